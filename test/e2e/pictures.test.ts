import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIME_CHART } from '../../src/charts/time-chart';
import { IncidentLog } from '../../src/estate/incident-log';
import { VictoriaMetricsHistory } from '../../src/ops/metrics/victoria-metrics';
import { MemoryStore } from '../../src/ops/state/memory-store';
import { startBot, type RunningBot } from '../support/bot-harness';
import { startBotProcess } from '../support/bot-process';
import { ADMIN, NO_RATE_LIMIT, VIEWER, testEstate } from '../support/estate';
import { countInColumn, decodePng, isReddish, type Picture } from '../support/png';
import { freePort } from '../support/redis';
import type { SentMessage, TgUser } from '../support/telegram-emulator';
import { VictoriaMetricsServer } from '../support/victoria-metrics';

/**
 * Charts on the phone: a real VictoriaMetrics holding a week of Blackbox samples (one a minute) with planted
 * outages, the bot in-process against the Bot API emulator, and the console as a real process. The points limit is
 * lowered to 1,000 per series, so a week at the probes' own interval (10,080 points) would be refused.
 */
const vm = new VictoriaMetricsServer(['-search.maxPointsPerTimeseries=1000']);
const MIN = 60_000;
const HOUR = 60 * MIN;
const TARGET = 'https://chat.mana.how/health';
// The samples end at the minute the suite starts, on the real clock the bot reads.
const END = Math.floor(Date.now() / MIN) * MIN;
const OUTAGE_3D = { from: END - 3 * 24 * HOUR - 2 * HOUR, to: END - 3 * 24 * HOUR };
const dir = mkdtempSync(join(tmpdir(), 'mo-pictures-'));
let bot: RunningBot;
let silent: Server;
let silentPort = 0;

const estateWith = (url: string, extra: Record<string, unknown> = {}) =>
  testEstate({
    prefix: 'pic',
    overrides: { policy: NO_RATE_LIMIT, timezone: 'Europe/Berlin' },
    extend: (raw) => ({
      ...raw,
      victoria_metrics: { url, query_timeout: '1s', ...extra },
      // Its own check (not reached in this suite) names the incidents; Blackbox probes it at TARGET.
      services: (raw.services as { name: string }[]).map((s) => (s.name === 'chat-web' ? { ...s, probe_target: TARGET, checks: [{ type: 'http', url: 'http://127.0.0.1:9/health' }] } : s)),
    }),
  });

beforeAll(async () => {
  await vm.start();
  const lines: string[] = [];
  for (let i = 0; i < 7 * 24 * 60; i++) {
    const at = END - i * MIN;
    // Down 30 minutes within the last day, and 2 hours three days ago; slow (2 s, a timeout) while down.
    const down = (i >= 100 && i < 130) || (at > OUTAGE_3D.from && at <= OUTAGE_3D.to);
    lines.push(`probe_success{instance="${TARGET}",job="blackbox"} ${down ? 0 : 1} ${at}`);
    lines.push(`probe_duration_seconds{instance="${TARGET}",job="blackbox"} ${down ? 2 : 0.1 + 0.02 * Math.sin(i / 60)} ${at}`);
  }
  await vm.import(lines);
  silent = createServer(() => undefined); // takes connections, never answers
  silentPort = await freePort();
  silent.listen(silentPort, '127.0.0.1');
  bot = await startBot(estateWith(vm.url), new MemoryStore(), { history: new VictoriaMetricsHistory({ url: vm.url, timeoutMs: 5_000 }) });
  // The monitor's record of the incident three days ago, as it writes it.
  await new IncidentLog(bot.app.store).note([
    { checkId: 'chat-web:http', kind: 'fired', at: OUTAGE_3D.from },
    { checkId: 'chat-web:http', kind: 'resolved', at: OUTAGE_3D.to },
  ]);
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  silent?.close();
  await vm.dispose();
});

async function photoFor(user: TgUser, line: string, b = bot): Promise<SentMessage> {
  const before = b.emu.messagesTo(user.id).length;
  b.emu.sendText(user, line);
  return b.emu.waitFor(() => b.emu.messagesTo(user.id).slice(before).find((m) => m.photo || m.text), 20_000, `the answer to ${line}`);
}

const xAt = (t: number, from: number, to: number) => TIME_CHART.plot.left + ((t - from) / (to - from)) * (TIME_CHART.plot.right - TIME_CHART.plot.left);
const plotRows = (pic: Picture, x: number) => countInColumn(pic, x, TIME_CHART.plot.top + 5, TIME_CHART.plot.bottom - 5, isReddish);

describe('/graph with VictoriaMetrics', () => {
  it('a week as one photo: 15-minute steps within the points limit, the outage as a band, the incident marked, figures in the caption', async () => {
    // The probes' own minute for a week is more than this VictoriaMetrics serves: the step must be chosen.
    const history = new VictoriaMetricsHistory({ url: vm.url });
    await expect(history.rangeOf(`probe_success{instance="${TARGET}"}`, END - 7 * 24 * HOUR, END, MIN)).rejects.toThrow(/VictoriaMetrics refused the query/);
    const msg = await photoFor(VIEWER, '/graph chat-web 7d');
    expect(msg.photo).toBeDefined();
    expect(msg.text).toContain('📈 <b>chat-web</b> over the last 7d: uptime 98.5');
    expect(msg.text).toContain('<i>Blackbox probes, 15m steps</i>');
    expect(msg.text).toMatch(/1 incident \(\d{4}-\d\d-\d\d \d\d:\d\d CET\)/);
    expect(msg.reply_markup?.inline_keyboard?.flat().map((b) => b.callback_data)).toEqual(['s:/graph chat-web 1h', 's:/graph chat-web 24h']);
    const pic = decodePng(msg.photo?.bytes ?? new Uint8Array());
    expect([pic.width, pic.height]).toEqual([TIME_CHART.width, TIME_CHART.height]);
    const to = Math.floor(END / (15 * MIN)) * 15 * MIN;
    const from = to - 7 * 24 * HOUR;
    // Inside the 2-hour outage: red from the top of the plot to its bottom. A day before it: no red at all.
    expect(plotRows(pic, xAt((OUTAGE_3D.from + OUTAGE_3D.to) / 2, from, to))).toBeGreaterThan(300);
    expect(plotRows(pic, xAt(OUTAGE_3D.from - 24 * HOUR, from, to))).toBe(0);
  });

  it('the last hour, dark: a dark picture with a line and no band; the day shows the 30-minute outage', async () => {
    const hour = await photoFor(VIEWER, '/graph chat-web 1h theme=dark');
    expect(hour.text).toContain('uptime 100.00 %');
    expect(hour.text).toContain('15 s steps');
    const pic = decodePng(hour.photo?.bytes ?? new Uint8Array());
    expect(Math.max(...pic.at(3, 3))).toBeLessThan(40);
    let red = 0;
    for (let x = TIME_CHART.plot.left + 5; x < TIME_CHART.plot.right - 5; x += 10) red += plotRows(pic, x);
    expect(red).toBe(0);
    const day = await photoFor(VIEWER, '/graph chat 24h');
    expect(day.text).toContain('uptime 97.9');
    const dayPic = decodePng(day.photo?.bytes ?? new Uint8Array());
    const to = Math.floor(END / (2 * MIN)) * 2 * MIN;
    expect(plotRows(dayPic, xAt(END - 115 * MIN, to - 24 * HOUR, to))).toBeGreaterThan(300);
  });

  it('bad input: an unknown service, a service with nothing to chart, a range it does not know; nothing sent as a photo', async () => {
    const ask = async (line: string) => (await photoFor(VIEWER, line)).text;
    expect(await ask('/graph chat-wbe')).toContain('unknown service &quot;chat-wbe&quot;. Did you mean chat-web?');
    expect(await ask('/graph postgres')).toContain('postgres has no HTTP check and no probe_target: there is no response time to chart');
    expect(await ask('/graph chat-web 3w')).toContain('a range of 1h, 24h or 7d');
    expect(bot.emu.messagesTo(VIEWER.id).filter((m) => m.photo)).toHaveLength(3);
  });
});

describe('/graph when VictoriaMetrics fails', () => {
  let other: RunningBot | undefined;
  afterAll(() => other?.stop());

  const answer = async (url: string, extra: Record<string, unknown> = {}, own = false) => {
    await other?.stop();
    other = await startBot(estateWith(url, extra), new MemoryStore(), { history: new VictoriaMetricsHistory({ url, timeoutMs: 1_000 }) });
    if (own) for (let t = Date.now() - 50 * MIN; t < Date.now(); t += 30_000) other.app.checkHistory.record('chat-web:http', t, true, 80);
    return photoFor(ADMIN, '/graph chat-web 1h', other);
  };

  it('down: says so, and with none of its own results, no picture but where to look', async () => {
    const msg = await answer(`http://127.0.0.1:${await freePort()}`);
    expect(msg.photo).toBeUndefined();
    expect(msg.text).toContain('📈 No chart of <b>chat-web</b> over 1h: VictoriaMetrics is unreachable (ECONNREFUSED).');
    expect(msg.text).toContain('/status chat-web shows its state now.');
  });

  it("slow: after the query timeout, the chart from the bot's own checks, saying why", async () => {
    const msg = await answer(`http://127.0.0.1:${silentPort}`, {}, true);
    expect(msg.photo).toBeDefined();
    expect(msg.text).toContain("⚠️ VictoriaMetrics did not answer within 1 s: this chart is from the bot's own checks instead.");
    expect(msg.text).toContain('uptime 100.00 %');
  });

  it('a query it refuses (a broken probe_duration in the estate file): the error, and the uptime still shown in words', async () => {
    const msg = await answer(vm.url, { probe_duration: 'probe_duration_seconds{instance="{target}"' });
    expect(msg.photo).toBeUndefined();
    expect(msg.text).toMatch(/No chart of <b>chat-web<\/b> over 1h: VictoriaMetrics refused the query \(\w+: /);
    expect(msg.text).toContain('Uptime (Blackbox probes): 24h 97.9');
  });
});

describe('/graph in the console', () => {
  it("without VictoriaMetrics, from the bot's own checks, which the console runs even when it tells no alerts", async () => {
    let hits = 0;
    let thirdHit: () => void = () => undefined;
    const threeResults = new Promise<void>((r) => (thirdHit = r));
    const web = createHttpServer((_req, res) => {
      if (++hits === 3) thirdHit();
      res.end('ok');
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    const estate = join(dir, 'own.yml');
    writeFileSync(
      estate,
      `version: 1
docker_hosts: [{ name: mac-mini, endpoint: "unix:///nonexistent/docker.sock" }]
services:
  - { name: chat-web, container: own-chat-web, category: web, checks: [{ type: http, url: "http://127.0.0.1:${(web.address() as { port: number }).port}/health", interval: 1s }] }
users: [{ id: 100, name: ada, role: admin }]
`,
    );
    const proc = startBotProcess({ ESTATE_FILE: estate, HOME: dir, DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    try {
      // Three results recorded: the chart has something to show.
      await threeResults;
      proc.child.stdin.end('/graph chat-web 1h\n');
      const run = await proc.done;
      expect(run.stdout).toContain("📈 chat-web over the last 1h: uptime 100.00 %");
      expect(run.stdout).toContain("the bot's own checks, 1m steps");
      const path = /\(picture graph-chat-web-1h-[\d-]+\.png, \d+ KB, saved to (\S+)\)/.exec(run.stdout)?.[1] ?? '';
      expect(decodePng(readFileSync(path)).width).toBe(TIME_CHART.width);
      expect(run.stdout).not.toContain('[alert');
    } finally {
      proc.child.kill();
      web.close();
    }
  }, 30_000);

  it('saves the PNG and prints its path', async () => {
    const estate = join(dir, 'estate.yml');
    writeFileSync(
      estate,
      `version: 1
timezone: Europe/Berlin
docker_hosts: [{ name: mac-mini, endpoint: "unix:///nonexistent/docker.sock" }]
victoria_metrics: { url: "${vm.url}" }
services:
  - { name: chat-web, container: pic-chat-web, category: web, probe_target: "${TARGET}" }
users: [{ id: 100, name: ada, role: admin }]
`,
    );
    const run = await startBotProcess({ ESTATE_FILE: estate, HOME: dir, DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, '/graph chat-web 24h\n').done;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('📈 chat-web over the last 24h: uptime 97.9');
    const saved = /\(picture (graph-chat-web-24h-\d{4}-\d\d-\d\d\.png), (\d+) KB, saved to (\S+)\)/.exec(run.stdout);
    expect(saved).not.toBeNull();
    const path = saved?.[3] ?? '';
    expect(existsSync(path)).toBe(true);
    const pic = decodePng(readFileSync(path));
    expect([pic.width, pic.height]).toEqual([TIME_CHART.width, TIME_CHART.height]);
  });
});
