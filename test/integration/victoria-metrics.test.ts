import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VictoriaMetricsHistory } from '../../src/ops/metrics/victoria-metrics';
import { commandHarness, plain } from '../support/command-harness';
import { VIEWER, testEstate } from '../support/estate';
import { freePort } from '../support/redis';
import { VictoriaMetricsServer } from '../support/victoria-metrics';

/**
 * Uptime from the estate's recorded probes: a real VictoriaMetrics filled with a week of probe_success samples, one
 * a minute, with planted outages whose share is known exactly.
 */
const vm = new VictoriaMetricsServer();
const MIN = 60_000;
// The harness's clock: 2026-11-27T10:00Z. The last sample is taken at it.
const NOW = Date.parse('2026-11-27T10:00:00Z');
const TARGET = 'https://chat.mana.how/health';

beforeAll(async () => {
  await vm.start();
  const lines: string[] = [];
  for (let i = 0; i < 7 * 24 * 60; i++) {
    const at = NOW - i * MIN;
    // Down 30 minutes within the last day, and 2 hours three days ago.
    const down = (i >= 100 && i < 130) || (i >= 3 * 1440 && i < 3 * 1440 + 120);
    lines.push(`probe_success{instance="${TARGET}",job="blackbox"} ${down ? 0 : 1} ${at}`);
    lines.push(`probe_success{instance="https://todo.mana.how/health",job="blackbox"} 1 ${at}`);
  }
  await vm.import(lines);
}, 30_000);

afterAll(() => vm.dispose());

const estateWith = (url: string) =>
  testEstate({
    prefix: 'vm',
    extend: (raw) => ({
      ...raw,
      victoria_metrics: { url, query_timeout: '2s' },
      services: (raw.services as { name: string }[]).map((s) => (s.name === 'chat-web' ? { ...s, probe_target: TARGET } : s.name === 'todo-web' ? { ...s, checks: [{ type: 'http', url: 'https://todo.mana.how/health' }] } : s)),
    }),
  });

describe('uptime from VictoriaMetrics', () => {
  it('agrees with the planted outages to 0.01 percentage points, over 24 h and 7 d', async () => {
    const history = new VictoriaMetricsHistory({ url: vm.url });
    const d1 = (await history.meanOver(`probe_success{instance="${TARGET}"}`, 1440 * MIN, NOW)) as number;
    const d7 = (await history.meanOver(`probe_success{instance="${TARGET}"}`, 7 * 1440 * MIN, NOW)) as number;
    // 30 of the day's 1,440 samples down; 150 of the week's 10,080.
    expect(Math.abs(d1 * 100 - (1 - 30 / 1440) * 100)).toBeLessThan(0.01);
    expect(Math.abs(d7 * 100 - (1 - 150 / 10_080) * 100)).toBeLessThan(0.01);
  });

  it('/status <service> shows them; a service probed at its check URL too; one with nothing recorded says so', async () => {
    const { say } = commandHarness({ estate: estateWith(vm.url), ports: { history: new VictoriaMetricsHistory({ url: vm.url, timeoutMs: 2_000 }) } });
    expect(plain(await say(VIEWER.id, '/status chat-web'))).toContain('Uptime (Blackbox probes): 24h 97.91 % · 7d 98.51 %');
    expect(plain(await say(VIEWER.id, '/status todo-web'))).toContain('Uptime (Blackbox probes): 24h 100.00 % · 7d 100.00 %');
    expect(plain(await say(VIEWER.id, '/status postgres'))).not.toContain('Uptime');
  });

  it("without victoria_metrics: the bot's own checks since it has them, 7 d only once it has more than a day", async () => {
    const estate = testEstate({ prefix: 'own', extend: (raw) => ({ ...raw, services: (raw.services as { name: string }[]).map((s) => (s.name === 'chat-web' ? { ...s, checks: [{ type: 'http', url: 'http://127.0.0.1:9/' }] } : s)) }) });
    const { say, app } = commandHarness({ estate });
    expect(plain(await say(VIEWER.id, '/status chat-web'))).not.toContain('Uptime');
    // Twelve hours of a result a minute, 18 of them failed.
    for (let i = 0; i < 720; i++) app.checkHistory.record('chat-web:http', NOW - 720 * MIN + i * MIN, i < 100 || i >= 118, 50);
    expect(plain(await say(VIEWER.id, '/status chat-web'))).toContain("Uptime (the bot's own checks since 2026-11-26 22:00 UTC): 24h 97.50 %\n");
    for (let i = 0; i < 1440; i++) app.checkHistory.record('chat-web:http', NOW - 2160 * MIN + i * MIN, true, 50);
    expect(plain(await say(VIEWER.id, '/status chat-web'))).toMatch(/Uptime \(the bot's own checks since 2026-11-25 22:00 UTC\): 24h 9\d\.\d\d % · 7d 99\.\d\d %/);
  });

  it('VictoriaMetrics down, or a query it refuses: a clear line, and the rest of /status still shown', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const { say } = commandHarness({ estate: estateWith(down), ports: { history: new VictoriaMetricsHistory({ url: down, timeoutMs: 2_000 }) } });
    const out = plain(await say(VIEWER.id, '/status chat-web'));
    expect(out).toMatch(/Uptime: not readable \(VictoriaMetrics is unreachable \(ECONNREFUSED\)\)/);
    expect(out).toContain('State: running');
    const bad = new VictoriaMetricsHistory({ url: vm.url });
    await expect(bad.meanOver('probe_success{instance=', 60_000, NOW)).rejects.toMatchObject({ code: 'failed', message: expect.stringMatching(/^VictoriaMetrics refused the query/) });
  });
});
