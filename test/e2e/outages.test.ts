import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { RedisStore } from '../../src/ops/state/redis-store';
import { startBotProcess, type BotProcess } from '../support/bot-process';
import { freePort, RedisServer } from '../support/redis';
import { TelegramEmulator, type SentMessage } from '../support/telegram-emulator';

/**
 * The real process through outages: Telegram answering 502, refusing connections and hanging; the leader
 * killed with another instance on the same Redis; SIGTERM while Telegram is away. Checks run every 500 ms and
 * policy.fallback_after is 12 s, so minutes of the estate's time pass in seconds; the waits are for what the
 * chat, ntfy and the endpoints see.
 */
const INTERVAL_MS = 500;
const FALLBACK_MS = 12_000;
const ADMIN = { id: 100, is_bot: false, first_name: 'Ada' };
const dir = mkdtempSync(join(tmpdir(), 'mo-outage-'));
const emu = new TelegramEmulator();
const redis = new RedisServer();
const running: BotProcess[] = [];
/** Each service's endpoint: its status, and when it was probed. */
const endpoints = new Map<string, { status: number; hits: number[] }>();
const ntfyPosts: { title: string; body: string; at: number }[] = [];
let web: Server;
let ntfy: Server;
let estateFile = '';

const SERVICES = ['steady', 'breaks', 'blips'];
const hitsSince = (name: string, at: number) => (endpoints.get(name)?.hits ?? []).filter((t) => t >= at).length;
const setStatus = (name: string, status: number) => ((endpoints.get(name) as { status: number }).status = status);

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  await emu.start();
  await redis.start();
  for (const name of SERVICES) endpoints.set(name, { status: 200, hits: [] });
  web = createServer((req, res) => {
    const e = endpoints.get((req.url ?? '/').slice(1));
    e?.hits.push(Date.now());
    res.writeHead(e?.status ?? 404).end('x');
  });
  const webPort = await listen(web);
  ntfy = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      ntfyPosts.push({ title: String(req.headers.title), body, at: Date.now() });
      res.writeHead(200).end('{}');
    });
  });
  await listen(ntfy);
  estateFile = join(dir, 'estate.yml');
  httpPort = await freePort();
  writeFileSync(
    estateFile,
    `version: 1
docker_hosts: [{ name: local, endpoint: "unix:///tmp/mo-outage-no-docker.sock" }]
services:
${SERVICES.map((s) => `  - { name: ${s}, container: mo-outage-${s}, host: local, category: web, checks: [{ type: http, url: "http://127.0.0.1:${webPort}/${s}", interval: ${INTERVAL_MS}ms, timeout: 1s }] }`).join('\n')}
users:
  - { id: 100, name: ada, role: admin }
chats: { alerts: [100] }
policy: { fallback_after: ${FALLBACK_MS / 1000}s }
`,
  );
}, 30_000);

afterAll(async () => {
  for (const p of running) p.child.kill('SIGKILL');
  await emu.outage(undefined);
  await emu.stop();
  web?.close();
  ntfy?.close();
  await redis.dispose();
});

let httpPort = 0;

/** A bot process; the HTTP endpoint only for the first of two at once (they would share the port). */
function bot(options: { http?: boolean } = {}): BotProcess {
  const p = startBotProcess({
    ...(options.http !== false && { HTTP_PORT: String(httpPort) }),
    ESTATE_FILE: estateFile,
    TELEGRAM_BOT_TOKEN: emu.token,
    TELEGRAM_API_ROOT: emu.apiRoot,
    REDIS_URL: redis.url,
    NTFY_URL: `http://127.0.0.1:${(ntfy.address() as { port: number }).port}/mana-alerts`,
    MANA_OPS_POLL_TIMEOUT: '1',
  });
  running.push(p);
  // What the process said is what tells why a test of it failed.
  onTestFailed(() => console.error(`mana-ops (pid ${p.child.pid}) logged:\n${p.output().stderr.split('\n').slice(-40).join('\n')}`));
  return p;
}

const alerts = () => emu.messagesTo(ADMIN.id);
/** Where the current test's messages begin: alerts of earlier tests are not its business. */
let firstOfTest = 0;
const ours = () => alerts().slice(firstOfTest);
const failingAlerts = (name: string) => ours().filter((m) => m.text.startsWith(`🔴 <b>${name}</b> failing`));
const logged = (p: BotProcess, msg: RegExp) => p.logs().find((l) => msg.test(l.msg));

/** Kills what an earlier test left running (it would keep the lead on a fresh Redis); this test's messages begin here. */
async function beginTest(): Promise<void> {
  for (const p of running.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.done;
  }
  firstOfTest = alerts().length;
}

/** A fresh Redis and a bot that has said it started. */
async function startFresh(): Promise<BotProcess> {
  await beginTest();
  await redis.stop();
  await redis.start(redis.port);
  const p = bot();
  const before = alerts().length;
  await emu.waitFor(() => alerts().slice(before).find((m) => m.text.startsWith('🟢 mana-ops started')), 20_000, 'the started notice');
  return p;
}

/** What the bot's book in Redis says: how many messages tell this incident. */
async function toldInRedis(checkId: string): Promise<number> {
  const store = new RedisStore({ url: redis.url });
  try {
    await store.ready();
    return ((JSON.parse((await store.get(`incident:${checkId}`)) ?? '{}') as { messages?: unknown[] }).messages ?? []).length;
  } finally {
    await store.close();
  }
}

async function stop(p: BotProcess): Promise<void> {
  p.child.kill('SIGTERM');
  await p.done;
}

describe.each([
  { mode: 'bad-gateway' as const, awayMs: 16_000 },
  { mode: 'refused' as const, awayMs: 16_000 },
  { mode: 'hanging' as const, awayMs: 20_000 },
  { mode: 'refused' as const, awayMs: 60_000 },
])('Telegram $mode for $awayMs ms while a service goes down', ({ mode, awayMs }) => {
  it('keeps checking, goes to ntfy once, and when Telegram is back catches up, then alerts once', async () => {
    for (const s of SERVICES) setStatus(s, 200);
    const p = await startFresh();
    const posts = ntfyPosts.length;
    await emu.outage(mode);
    const awayAt = Date.now();
    setStatus('breaks', 500);
    setStatus('blips', 500);
    // blips fails long enough to fire, then recovers while Telegram is still away.
    await emu.waitFor(() => hitsSince('blips', awayAt) >= 4, 10_000, 'blips to fail four times');
    setStatus('blips', 200);
    // The outage lasts as long as the steady service's probes say it has (one every 500 ms, give or take 10 %).
    const expected = awayMs / INTERVAL_MS;
    const ntfyPost = await emu.waitFor(() => ntfyPosts.slice(posts).find((x) => x.title === 'mana-ops: breaks failing'), FALLBACK_MS + 15_000, 'the ntfy post');
    await emu.waitFor(() => Date.now() - awayAt >= awayMs && hitsSince('steady', awayAt) > 0, awayMs + 30_000, 'the outage to run its course');
    const probed = hitsSince('steady', awayAt);
    const backAt = Date.now();
    const tookNothing = emu.history.filter((h) => h.chatId === ADMIN.id && h.at > awayAt).map((h) => h.text);
    await emu.outage(undefined);

    // Checking went on at its own pace: at least 80 % of the probes the outage had room for.
    expect(probed).toBeGreaterThanOrEqual(Math.floor(0.8 * ((backAt - awayAt) / INTERVAL_MS)));
    expect(probed).toBeGreaterThanOrEqual(0.8 * expected);
    expect(tookNothing).toEqual([]);
    // ntfy: once for the incident still failing, not for the one that came and went.
    expect(ntfyPosts.slice(posts).map((x) => x.title)).toEqual(['mana-ops: breaks failing']);
    expect(ntfyPost.body).toContain('HTTP 500');
    expect(logged(p, /^Telegram unreachable/)).toMatchObject({ err: expect.any(String) });
    const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    expect(health.status).toBe(503);
    const report = (await health.json()) as { telegram: { ok: boolean; detail: string }; outbox: { detail: string } };
    expect(report.telegram).toEqual({ ok: false, detail: expect.stringMatching(/^unreachable for \d/) });
    expect(report.outbox.detail).toMatch(/^[1-9]\d* queued$/);
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(metrics).toMatch(/^mana_ops_telegram_reachable 0$/m);
    expect(metrics).toMatch(/^mana_ops_outbox_depth [1-9]/m);

    // Back: within 15 s the catch-up, then the held alert, once.
    const n = alerts().length;
    const catchUp = await emu.waitFor(() => alerts().slice(n).find((m) => m.text.startsWith('📶')), 15_000, 'the catch-up message');
    const alert = await emu.waitFor(() => failingAlerts('breaks')[0], 15_000, 'the held alert');
    expect(catchUp.text).toMatch(/Telegram was unreachable for \d/);
    expect(catchUp.text).toContain('🔴 <b>breaks</b> failed at');
    expect(catchUp.text).toContain('still failing, its alert follows · sent to ntfy');
    expect(catchUp.text).toMatch(/✅ <b>blips<\/b> failed at \d\d:\d\d · recovered at \d\d:\d\d/);
    expect(catchUp.message_id).toBeLessThan(alert.message_id);
    expect(failingAlerts('blips')).toHaveLength(0);
    await emu.waitFor(() => logged(p, /^Telegram reachable again after/), 5_000, 'the "back" log line');
    expect(logged(p, /^Telegram reachable again after/)).toMatchObject({ awayMs: expect.any(Number), queued: expect.any(Number) });

    // The recovery edits the same message; nothing was sent twice.
    setStatus('breaks', 200);
    await emu.waitFor(() => alert.text.startsWith('✅ <b>breaks</b> recovered'), 10_000, 'the recovery');
    expect(failingAlerts('breaks')).toHaveLength(0);
    expect(ours().filter((m) => m.text.includes('<b>breaks</b>') && m.message_id !== alert.message_id && !m.text.startsWith('📶'))).toEqual([]);
    await stop(p);
  }, awayMs + 120_000);
});

describe('Redis killed for 30 s mid-incident', () => {
  it('checks and alerts go on from memory, and the book is written back when Redis returns', async () => {
    for (const s of SERVICES) setStatus(s, 200);
    const p = await startFresh();
    setStatus('breaks', 500);
    const first = await emu.waitFor(() => failingAlerts('breaks')[0], 10_000, 'the first alert');
    await redis.stop();
    const goneAt = Date.now();
    setStatus('blips', 500);
    const second = await emu.waitFor(() => failingAlerts('blips')[0], 10_000, 'an alert while Redis is away');
    expect(second.text).toContain('HTTP 500');
    await emu.waitFor(() => hitsSince('steady', goneAt) >= 60, 45_000, '30 s of checks without Redis');
    expect(hitsSince('steady', goneAt)).toBeGreaterThanOrEqual(Math.floor(0.8 * ((Date.now() - goneAt) / INTERVAL_MS)));
    await redis.start(redis.port); // empty: nothing is kept on disk in tests
    await expect.poll(() => toldInRedis('blips:http'), { timeout: 15_000 }).toBe(1);
    expect(await toldInRedis('breaks:http')).toBe(1);
    setStatus('breaks', 200);
    setStatus('blips', 200);
    await emu.waitFor(() => first.text.startsWith('✅ <b>breaks</b> recovered') && second.text.startsWith('✅ <b>blips</b> recovered'), 15_000, 'both recoveries');
    expect(ours().filter((m) => m.text.includes('<b>breaks</b>'))).toEqual([first]);
    expect(logged(p, /^incident state not persisted/)).toBeDefined();
    await stop(p);
  }, 120_000);
});

describe('Redis down when the bot starts', () => {
  it('after waiting a lease for Redis it checks and alerts all the same, and writes its book when Redis is back: the recovery edits the same message', async () => {
    for (const s of SERVICES) setStatus(s, 200);
    await beginTest();
    await redis.stop();
    const p = bot();
    setStatus('breaks', 500);
    // It waits a lease (30 s) for Redis before it runs the checks without it.
    const alert = await emu.waitFor(() => failingAlerts('breaks')[0], 60_000, 'an alert, Redis down since the start');
    expect(alert.text).toContain('HTTP 500');
    expect(logged(p, /^state store unreachable since start: running the checks without it/)).toBeDefined();
    await redis.start(redis.port);
    await expect.poll(() => toldInRedis('breaks:http'), { timeout: 15_000 }).toBe(1);
    setStatus('breaks', 200);
    await emu.waitFor(() => alert.text.startsWith('✅ <b>breaks</b> recovered'), 15_000, 'the recovery');
    expect(ours().filter((m) => m.text.includes('<b>breaks</b>'))).toEqual([alert]);
    await stop(p);
  }, 120_000);
});

describe('two instances on one Redis', () => {
  it('the leader is killed: the other takes over within 45 s, alerts nothing twice, and resolves in the same message', async () => {
    for (const s of SERVICES) setStatus(s, 200);
    const first = await startFresh();
    const second = bot({ http: false });
    await emu.waitFor(() => logged(second, /^monitor started: following/), 20_000, 'the second instance to follow');
    setStatus('breaks', 500);
    const alert = await emu.waitFor(() => failingAlerts('breaks')[0], 10_000, 'the alert from the leader');
    // Killed once its book says the alert was told (between Telegram's answer and that write, no process can know).
    await expect.poll(() => toldInRedis('breaks:http'), { timeout: 5_000 }).toBe(1);
    first.child.kill('SIGKILL');
    const n = alerts().length;
    await emu.waitFor(() => alerts().slice(n).find((m) => m.text.includes('another instance took over the checks')), 45_000, 'the takeover');
    await emu.waitFor(() => logged(second, /^took over the checks/), 5_000, 'the takeover in the log'); // pino writes asynchronously
    setStatus('breaks', 200);
    await emu.waitFor(() => alert.text.startsWith('✅ <b>breaks</b> recovered'), 15_000, 'the recovery in the first message');
    expect(ours().filter((m) => m.text.includes('<b>breaks</b>'))).toEqual([alert]);
    await stop(second);
  }, 120_000);
});

describe('shutdown while Telegram is away', () => {
  it('SIGTERM exits within 10 s; the stopping notice waits in Redis and comes with the next start', async () => {
    for (const s of SERVICES) setStatus(s, 200);
    const p = await startFresh();
    await emu.outage('hanging');
    setStatus('breaks', 500);
    await emu.waitFor(() => hitsSince('breaks', 0) > 0 && logged(p, /^Telegram unreachable/), 30_000, 'the bot to notice');
    await emu.waitFor(() => hitsSince('breaks', Date.now() - 1_000) > 0, 5_000, 'breaks to be checked');
    p.child.kill('SIGTERM');
    const exit = await Promise.race([p.done, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 10_000))]);
    expect(exit).toMatchObject({ code: 0 });
    await emu.outage(undefined);
    const store = new RedisStore({ url: redis.url });
    await store.ready();
    const queued = JSON.parse((await store.get('notices:pending')) ?? '[]') as { text: string }[];
    expect(queued.map((q) => q.text)).toEqual([expect.stringMatching(/^🔴 mana-ops stopping \(clean shutdown at/)]);
    const incident = JSON.parse((await store.get('incident:breaks:http')) ?? '{}') as { state?: { status: string }; messages?: unknown[] };
    expect(incident).toMatchObject({ state: { status: 'firing' }, messages: [] });
    await store.close();
    const n = alerts().length;
    const again = bot();
    const seen = (text: string) => alerts().slice(n).findIndex((m: SentMessage) => m.text.startsWith(text));
    await emu.waitFor(() => seen('🟢 mana-ops started') >= 0, 20_000, 'the next start');
    expect(seen('🔴 mana-ops stopping')).toBeGreaterThanOrEqual(0);
    expect(seen('🔴 mana-ops stopping')).toBeLessThan(seen('🟢 mana-ops started'));
    await stop(again);
  }, 90_000);

  it('SIGTERM with Redis gone too and Telegram hanging still exits within 10 s, saying what it could not write', async () => {
    for (const s of SERVICES) setStatus(s, 200);
    const p = await startFresh();
    await emu.outage('hanging');
    setStatus('breaks', 500);
    await emu.waitFor(() => logged(p, /^Telegram unreachable/), 30_000, 'the bot to notice Telegram');
    await redis.stop();
    await emu.waitFor(() => hitsSince('breaks', Date.now() - 1_000) > 0, 5_000, 'breaks to be checked');
    p.child.kill('SIGTERM');
    const exit = await Promise.race([p.done, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 10_000))]);
    expect(exit).toMatchObject({ code: 0 });
    expect(logged(p, /^stopped$|^shutdown did not finish/)).toBeDefined();
    await emu.outage(undefined);
    await redis.start(redis.port);
  }, 90_000);
});
