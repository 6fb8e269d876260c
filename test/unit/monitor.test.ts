import type { Html } from '../../src/util/html';
import { describe, expect, it, vi } from 'vitest';
import type { CheckDef } from '../../src/alerts/checks';
import { CheckHistory } from '../../src/estate/check-history';
import { IncidentLog } from '../../src/estate/incident-log';
import { Acks } from '../../src/estate/acks';
import { Monitor } from '../../src/alerts/monitor';
import { checkTelegramHtml } from '../support/telegram-emulator';
import { LocalTime } from '../../src/util/local-time';
import { Catalog } from '../../src/config/catalog';
import { estateSchema } from '../../src/config/schema';
import type { ChannelReach, FallbackChannel, Notifier, StateStore } from '../../src/ops/ports';
import { MemoryStore } from '../../src/ops/state/memory-store';
import { OpsError } from '../../src/ops/ports';
import { countingStore, DownStore, silentLogger } from '../support/fakes';

/** Unit tests only: a notifier that keeps what it was asked to show. */
class RecordingNotifier implements Notifier {
  readonly shown = new Map<number, string>();
  readonly buttons = new Map<number, { text: string; data: string }[][]>();
  sent = 0;
  async send(_chat: number, html: Html, buttons?: { text: string; data: string }[][]): Promise<number> {
    this.sent++;
    this.shown.set(this.sent, html.value);
    if (buttons) this.buttons.set(this.sent, buttons);
    return this.sent;
  }
  async edit(_chat: number, id: number, html: Html): Promise<void> {
    this.shown.set(id, html.value);
  }
}

/** Unit tests only: Telegram's reach, switched by the test. */
class SwitchedReach implements ChannelReach {
  downSince: number | undefined;
  private readonly listeners: ((up: boolean, since: number) => void)[] = [];
  private waiters: (() => void)[] = [];
  onChange(listener: (up: boolean, since: number) => void): void {
    this.listeners.push(listener);
  }
  whenUp(): Promise<void> {
    return this.downSince === undefined ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }
  away(at: number): void {
    this.downSince = at;
    for (const l of this.listeners) l(false, at);
  }
  back(): void {
    const since = this.downSince ?? 0;
    this.downSince = undefined;
    for (const l of this.listeners) l(true, since);
    for (const w of this.waiters.splice(0)) w();
  }
}

/** An estate of `n` web services (svc-0 …) with one alert chat. */
function estateOf(n: number, maintenance: unknown[] = [], timezone = 'UTC') {
  const names = Array.from({ length: n }, (_, i) => `svc-${i}`);
  const catalog = new Catalog(
    estateSchema.parse({
      version: 1,
      docker_hosts: [{ name: 'mac-mini', endpoint: 'unix:///x.sock' }],
      services: names.map((name) => ({ name, container: `mana-${name}`, category: 'web' })),
      users: [{ id: 1, name: 'a', role: 'admin' }],
      chats: { alerts: [1] },
      maintenance,
      timezone,
    }),
  );
  return { names, catalog };
}

function setup(
  n: number,
  options: {
    canary?: () => Promise<{ name: string; ok: boolean; detail?: string }[]>;
    maintenance?: unknown[];
    timezone?: string;
    start?: number;
    reach?: ChannelReach;
    fallback?: FallbackChannel;
    history?: CheckHistory;
    store?: StateStore;
  } = {},
) {
  const { canary } = options;
  const { names, catalog } = estateOf(n, options.maintenance, options.timezone);
  const failing = new Set<string>();
  const checks: CheckDef[] = catalog.services.map((service) => ({
    id: `${service.name}:http`, service, label: `HTTP ${service.name}`, intervalMs: 60_000, timeoutMs: 1_000,
    run: async () => (failing.has(service.name) ? { ok: false, detail: 'HTTP 502' } : { ok: true }),
  }));
  let clock = options.start ?? 0;
  const notifier = new RecordingNotifier();
  const store = options.store ?? new MemoryStore(() => clock);
  const monitor = new Monitor({
    checks, deps: { catalog, prober: undefined as never, disk: undefined as never, docker: () => undefined, gpu: undefined, tunnels: undefined },
    store, notifier, catalog, log: silentLogger(), now: () => clock, instanceId: 'x',
    ...(options.history && { history: options.history }),
    ...(canary && { canary }),
    ...(options.reach && { reach: options.reach }),
    ...(options.fallback && { fallback: { channel: options.fallback, afterMs: 5 * 60_000 } }),
  });
  const minutes = async (k: number) => {
    for (let i = 0; i < k; i++) {
      clock += 60_000;
      await monitor.sweep();
    }
  };
  return { monitor, notifier, failing, minutes, names, checks, store, setClock: (t: number) => (clock = t), now: () => clock };
}

describe('the history the charts read', () => {
  it("every result goes into the check history; each incident's start and end into incidents:log, once; HTTP alerts offer the chart", async () => {
    const history = new CheckHistory();
    const { monitor, failing, minutes, names, store, notifier } = setup(2, { history });
    await monitor.load();
    await minutes(3);
    failing.add(names[0] as string);
    await minutes(4);
    expect(notifier.buttons.get(1)?.flat().map((b) => b.data)).toContain('s:/graph svc-0 1h');
    failing.clear();
    await minutes(3);
    expect(history.series('svc-0:http', 0, 11 * 60_000, 60_000, 11 * 60_000).map((p) => p.up)).toEqual([1, 1, 1, 0, 0, 0, 0, 1, 1, 1]);
    expect(history.series('svc-1:http', 0, 11 * 60_000, 60_000, 11 * 60_000).every((p) => p.up === 1)).toBe(true);
    const log = new IncidentLog(store);
    await expect.poll(() => log.between(['svc-0:http'], 0, 60 * 60_000).then((m) => m.length)).toBe(2);
    const marks = await log.between(['svc-0:http', 'svc-1:http'], 0, 60 * 60_000);
    expect(marks.map((m) => [m.kind, m.at / 60_000])).toEqual([['fired', 4], ['resolved', 9]]);
  });
});

describe('acks', () => {
  it("an ack written by an older version (its own ack:<check> key) still marks the alert, moved into the one acks hash", async () => {
    const { monitor, notifier, failing, minutes, names, store, now } = setup(2);
    await monitor.load();
    failing.add(names[0] as string);
    await minutes(1); // pending, and acked then by the older version
    await store.set('ack:svc-0:http', JSON.stringify({ by: 'otto', at: now() }));
    await monitor.load(); // the new version starts
    await minutes(1);
    expect(notifier.shown.get(1)).toContain('👀 acknowledged by otto');
    expect(await store.get('ack:svc-0:http')).toBeNull();
    expect(Object.keys(await store.hashAll('acks'))).toEqual(['svc-0:http']);
  });

  it('an ack of a failure that ended untold is dropped: the next failure of that check is not acknowledged', async () => {
    const { monitor, notifier, failing, minutes, names, store, now } = setup(2);
    await monitor.load();
    failing.add(names[0] as string);
    await minutes(1); // pending: on /alerts, and acked there
    await new Acks(store).set(['svc-0:http'], { by: 'otto', at: now() });
    failing.clear();
    await minutes(1);
    failing.add(names[0] as string);
    await minutes(2);
    expect(notifier.shown.get(1)).toContain('🔴 <b>svc-0</b> failing');
    expect(notifier.shown.get(1)).not.toContain('acknowledged');
    await expect.poll(() => store.hashAll('acks')).toEqual({});
  });

  it('an ack older than the failure it would cover (left behind, or written by hand) does not ack it', async () => {
    const { monitor, notifier, failing, minutes, names, store, now } = setup(2);
    await monitor.load();
    await new Acks(store).set(['svc-0:http'], { by: 'otto', at: now() });
    await minutes(1);
    failing.add(names[0] as string);
    await minutes(2);
    expect(notifier.shown.get(1)).not.toContain('acknowledged');
    await expect.poll(() => store.hashAll('acks')).toEqual({});
  });
});

describe('monitor storms', () => {
  it('started while Redis is down, it waits a lease for it, then runs the checks and alerts: no other instance can be known to lead', async () => {
    const s = setup(2, { store: new DownStore() });
    s.failing.add('svc-0');
    await s.monitor.sweep();
    expect(s.monitor.leading).toBe(false); // Redis may be a few seconds late (a reboot): its book is read first
    await s.minutes(2);
    expect(s.monitor.leading).toBe(true);
    expect([...s.notifier.shown.values()].map((t) => t.split('\n')[0])).toEqual(['🔴 <b>svc-0</b> failing: HTTP svc-0']);
  });

  it('Redis up a few seconds after the bot (a reboot): its book is read before anything is written over it, so an alert told before the restart is edited when it recovers', async () => {
    const before = setup(2);
    before.failing.add('svc-0');
    await before.minutes(3);
    expect(before.notifier.shown.get(1)).toContain('🔴 <b>svc-0</b> failing');
    await before.monitor.stop();
    let up = false;
    const late = new Proxy(before.store, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => (up ? (value as (...a: unknown[]) => unknown).apply(target, args) : Promise.reject(new OpsError('unreachable', 'Redis connection refused')));
      },
    });
    const after = setup(2, { store: late, start: before.now() });
    after.failing.add('svc-0');
    await after.monitor.sweep(); // Redis is not there yet
    up = true;
    await after.minutes(1);
    after.failing.clear();
    await after.minutes(2);
    expect(after.notifier.sent).toBe(0);
    expect(after.notifier.shown.get(1)).toMatch(/^✅ <b>svc-0<\/b> recovered/);
  });

  it('six services failing together are one summary, edited as they recover, closed when all have', async () => {
    const { monitor, notifier, failing, minutes, names } = setup(20);
    await monitor.load();
    names.slice(0, 6).forEach((n) => failing.add(n));
    await minutes(2);
    expect(notifier.sent).toBe(1);
    expect(notifier.shown.get(1)).toMatch(/^🔴 <b>6 checks started failing together<\/b> at .* · 6 still failing\n⛔ svc-0: HTTP 502/);
    failing.delete('svc-0');
    await minutes(2);
    expect(notifier.shown.get(1)).toContain('· 5 still failing');
    expect(notifier.shown.get(1)).toContain('✅ svc-0: recovered');
    failing.clear();
    await minutes(2);
    expect(notifier.shown.get(1)).toMatch(/^✅ All 6 checks that failed together at .* UTC recovered after 4m\.$/);
    expect(notifier.sent).toBe(1);
    failing.add('svc-7');
    await minutes(2);
    expect(notifier.sent).toBe(2); // a lone failure afterwards gets its own message again
    expect(notifier.shown.get(2)).toContain('🔴 <b>svc-7</b> failing');
  });

  it('a storm while Telegram is away goes to ntfy once, as one post; when Telegram is back the catch-up comes first, then the summary', async () => {
    const reach = new SwitchedReach();
    const posts: { title: string; text: string }[] = [];
    const { monitor, notifier, failing, minutes, names, now } = setup(10, { reach, fallback: { notify: async (title, text) => void posts.push({ title, text }) } });
    await monitor.load();
    reach.away(now());
    names.slice(0, 6).forEach((n) => failing.add(n));
    await minutes(4);
    expect(posts).toEqual([]);
    await minutes(3); // Telegram has taken nothing for more than 5 minutes
    await expect.poll(() => posts.length).toBe(1);
    expect(posts[0]?.title).toBe('mana-ops: 6 checks failing together');
    expect(posts[0]?.text).toContain('svc-5: HTTP 502');
    await minutes(3);
    expect(posts).toHaveLength(1);
    expect(notifier.sent).toBe(0);
    reach.back();
    await minutes(1);
    expect(notifier.sent).toBe(2);
    expect(notifier.shown.get(1)).toMatch(/^📶 <b>Back in touch<\/b>: Telegram was unreachable for 10m/);
    expect(notifier.shown.get(2)).toMatch(/^🔴 <b>6 checks started failing together<\/b>/);
  });

  it('almost everything failing at once points at the monitor itself, with what the canary saw', async () => {
    const { monitor, notifier, failing, minutes, names } = setup(12, {
      canary: async () => [
        { name: 'Docker socket', ok: true },
        { name: 'DNS', ok: false, detail: 'EAI_AGAIN' },
      ],
    });
    await monitor.load();
    names.forEach((n) => failing.add(n));
    await minutes(2);
    expect(notifier.sent).toBe(1);
    expect(notifier.shown.get(1)).toContain('the monitor itself may have lost its network, DNS or the Docker socket');
    expect(notifier.shown.get(1)).toContain("The monitor's own reach: ✅ Docker socket · ❌ DNS (EAI_AGAIN)");
  });

  it('a storm of 300 never shows more than Telegram takes: cut between lines, measured after entity parsing', async () => {
    const { notifier, failing, minutes, names } = setup(300);
    for (const n of names) failing.add(n);
    await minutes(2);
    const summary = notifier.shown.get(1) ?? '';
    const checked = checkTelegramHtml(summary);
    expect(checked.ok).toBe(true);
    expect(checked.ok && checked.plain.length).toBeLessThanOrEqual(4096);
    expect(summary).toMatch(/⛔ svc-\d+: HTTP 502\n… and more$/);
  });
});

describe('maintenance windows', () => {
  it('recurring windows, also past midnight, and one-off windows', async () => {
    const { inWindow } = await import('../../src/alerts/maintenance');
    const utc = new LocalTime('UTC');
    const w = (x: object) => ({ name: 'w', services: ['all'], days: ['daily'] as ('daily' | 'sun')[], ...x });
    const at = (iso: string) => Date.parse(iso);
    expect(inWindow(w({ from: '01:58', to: '02:15' }), at('2026-11-27T02:00:00Z'), utc)).toBe(true);
    expect(inWindow(w({ from: '01:58', to: '02:15' }), at('2026-11-27T02:15:00Z'), utc)).toBe(false);
    const sundayNight = w({ days: ['sun'], from: '22:00', to: '02:00' });
    expect(inWindow(sundayNight, at('2026-11-29T23:00:00Z'), utc)).toBe(true); // Sunday evening
    expect(inWindow(sundayNight, at('2026-11-30T01:00:00Z'), utc)).toBe(true); // Monday morning, same window
    expect(inWindow(sundayNight, at('2026-11-28T23:00:00Z'), utc)).toBe(false); // Saturday
    expect(inWindow(w({ start: '2026-12-01T03:00:00Z', end: '2026-12-01T05:00:00Z' }), at('2026-12-01T04:00:00Z'), utc)).toBe(true);
  });

  it('on the estate clock, the 03:00 backup window holds in winter, in summer and on both switch nights', async () => {
    const { inWindow } = await import('../../src/alerts/maintenance');
    const berlin = new LocalTime('Europe/Berlin');
    const backup = { name: 'nightly backup', services: ['postgres'], days: ['daily' as const], from: '02:58', to: '03:15' };
    const inside = (iso: string) => inWindow(backup, Date.parse(iso), berlin);
    // Winter (CET, UTC+1) and summer (CEST, UTC+2): the window is at 03:00 on the wall both times.
    expect([inside('2026-12-01T01:57:00Z'), inside('2026-12-01T02:00:00Z'), inside('2026-12-01T02:15:00Z')]).toEqual([false, true, false]);
    expect([inside('2026-07-01T00:57:00Z'), inside('2026-07-01T01:00:00Z'), inside('2026-07-01T01:15:00Z')]).toEqual([false, true, false]);
    // Spring night, 29 March 2026: 02:00 CET becomes 03:00 CEST at 01:00 UTC; 02:58 never shows, 03:00 does.
    expect([inside('2026-03-29T00:59:59Z'), inside('2026-03-29T01:00:00Z'), inside('2026-03-29T01:14:59Z'), inside('2026-03-29T01:15:00Z')]).toEqual([false, true, true, false]);
    // Autumn night, 25 October 2026: 03:00 CEST becomes 02:00 CET at 01:00 UTC; 02:58 shows twice, the backup's 03:00 once.
    expect([inside('2026-10-25T00:58:00Z'), inside('2026-10-25T01:00:00Z'), inside('2026-10-25T01:58:00Z'), inside('2026-10-25T02:00:00Z'), inside('2026-10-25T02:15:00Z')]).toEqual([true, false, true, true, false]);
    // A one-off window without an offset is local time; with one it is that instant.
    const oneOff = (start: string, end: string, iso: string) => inWindow({ ...backup, start, end }, Date.parse(iso), berlin);
    expect(oneOff('2026-07-01T10:00', '2026-07-01T11:00', '2026-07-01T08:30:00Z')).toBe(true);
    expect(oneOff('2026-07-01T10:00', '2026-07-01T11:00', '2026-07-01T10:30:00Z')).toBe(false);
    expect(oneOff('2026-07-01T10:00:00Z', '2026-07-01T11:00:00Z', '2026-07-01T10:30:00Z')).toBe(true);
  });

  it('the estate clock reads wall times back to instants across both switches', () => {
    const berlin = new LocalTime('Europe/Berlin');
    expect(berlin.instant(2026, 12, 1, 3, 0)).toBe(Date.parse('2026-12-01T02:00:00Z'));
    expect(berlin.instant(2026, 7, 1, 3, 0)).toBe(Date.parse('2026-07-01T01:00:00Z'));
    expect(berlin.instant(2026, 3, 29, 2, 30)).toBe(Date.parse('2026-03-29T01:30:00Z')); // skipped: 03:30 CEST
    expect(berlin.instant(2026, 10, 25, 2, 30)).toBe(Date.parse('2026-10-25T00:30:00Z')); // twice: the first
    expect([berlin.stamp(Date.parse('2026-12-01T16:05:00Z')), berlin.stamp(Date.parse('2026-07-01T16:05:00Z'))]).toEqual(['2026-12-01 17:05 CET', '2026-07-01 18:05 CEST']);
    expect(berlin.hms(Date.parse('2026-12-31T23:30:05Z'))).toBe('00:30:05');
    expect(berlin.date(Date.parse('2026-12-31T23:30:05Z'))).toBe('2027-01-01');
  });

  it('a failure inside the spring night\'s backup window (local time) is not told, and is once the window closed', async () => {
    const { monitor, notifier, failing, names, setClock } = setup(1, {
      maintenance: [{ name: 'nightly backup', services: ['svc-0'], from: '02:58', to: '03:15' }],
      timezone: 'Europe/Berlin',
      start: Date.parse('2026-03-29T00:50:00Z'),
    });
    await monitor.load();
    names.forEach((n) => failing.add(n));
    // 03:00-03:14 CEST: inside the window although 02:58 never showed on the clock that night.
    for (const t of ['2026-03-29T01:00:30Z', '2026-03-29T01:05:00Z', '2026-03-29T01:10:00Z', '2026-03-29T01:14:30Z']) {
      setClock(Date.parse(t));
      await monitor.sweep();
    }
    expect(notifier.shown.size).toBe(0);
    for (const t of ['2026-03-29T01:15:30Z', '2026-03-29T01:16:30Z', '2026-03-29T01:17:30Z', '2026-03-29T01:18:30Z']) {
      setClock(Date.parse(t));
      await monitor.sweep();
    }
    expect([...notifier.shown.values()].map((t) => t.split('\n')[0])).toEqual(['🔴 <b>svc-0</b> failing: HTTP svc-0']);
  });

  it('a failure inside a maintenance window is not told', async () => {
    const { monitor, notifier, failing, minutes, names, setClock } = setup(2, {
      maintenance: [{ name: 'deploy', services: ['svc-0'], start: '2026-11-27T10:00:00Z', end: '2026-11-27T11:00:00Z' }],
      start: Date.parse('2026-11-27T10:00:00Z'),
    });
    await monitor.load();
    names.forEach((n) => failing.add(n));
    await minutes(3);
    expect([...notifier.shown.values()].map((t) => t.split('\n')[0])).toEqual(['🔴 <b>svc-1</b> failing: HTTP svc-1']);
    setClock(Date.parse('2026-11-27T11:00:30Z'));
    await monitor.sweep();
    // The window closed with svc-0 still failing: now it is told (svc-1 gets its first reminder meanwhile).
    expect([...notifier.shown.values()].filter((t) => t.startsWith('🔴 <b>svc-0</b> failing'))).toHaveLength(1);
  });
});

describe('monitor after a reload', () => {
  it('keeps open incidents of checks that stay, runs new ones, and names once the failing ones that were removed', async () => {
    const history = new CheckHistory();
    const { monitor, notifier, failing, minutes, checks, now } = setup(3, { history });
    const added: CheckDef = { id: 'backup:age', label: 'newest backup', intervalMs: 60_000, timeoutMs: 1_000, run: async () => ({ ok: false, detail: 'older than 26h' }) };
    await monitor.load();
    failing.add('svc-0');
    failing.add('svc-1');
    await minutes(3);
    expect([...notifier.shown.values()].map((t) => t.split('\n')[0])).toEqual(['🔴 <b>svc-0</b> failing: HTTP svc-0', '🔴 <b>svc-1</b> failing: HTTP svc-1']);
    // svc-1 leaves the estate file while failing, a failing check joins; svc-0 stays failing.
    expect(await monitor.adopt([checks[0] as CheckDef, checks[2] as CheckDef, added])).toEqual({ added: 1, removed: 1 });
    await minutes(3);
    const all = [...notifier.shown.values()].map((t) => t.split('\n')[0]);
    expect(all.filter((t) => t?.startsWith('⚪ No longer checked (removed from the estate file) while failing: svc-1.'))).toHaveLength(1);
    expect(all.filter((t) => t === '🔴 <b>newest backup</b> failing: newest backup')).toHaveLength(1);
    // svc-0's incident went on: not told again.
    expect(all.filter((t) => t?.startsWith('🔴 <b>svc-0</b> failing'))).toHaveLength(1);
    // The removed check's history is gone with it; the others' goes on.
    expect(history.since('svc-1:http', now())).toBeUndefined();
    expect(history.since('svc-0:http', now())).toBeDefined();
    expect(history.since('backup:age', now())).toBeDefined();
    expect(await monitor.adopt([checks[0] as CheckDef, checks[2] as CheckDef, added])).toEqual({ added: 0, removed: 0 });
  });
});

describe('monitor at scale', () => {
  /** A memory store that counts the calls made to it: each would be one round trip to Redis. */
  const countingMemory = (clock: () => number) => countingStore(new MemoryStore(clock));

  function scaled(n: number, run: (i: number) => Promise<{ ok: boolean; detail?: string }>, store: StateStore, clock: () => number) {
    const { catalog } = estateOf(n);
    const checks: CheckDef[] = catalog.services.map((service, i) => ({ id: `${service.name}:http`, service, label: `HTTP ${service.name}`, intervalMs: 60_000, timeoutMs: 5_000, run: () => run(i) }));
    const monitor = new Monitor({
      checks, deps: { catalog, prober: undefined as never, disk: undefined as never, docker: () => undefined, gpu: undefined, tunnels: undefined },
      store, notifier: new RecordingNotifier(), catalog, log: silentLogger(), now: clock, instanceId: 'x',
    });
    return { monitor, checks };
  }

  it('300 checks with 50 hanging: every result is in one timeout after the sweep began, whatever hangs', async () => {
    vi.useFakeTimers();
    try {
      const { store } = countingMemory(() => Date.now());
      const answered = new Set<number>();
      const { monitor } = scaled(300, (i) => (i % 6 === 0 ? new Promise(() => {}) : (answered.add(i), Promise.resolve({ ok: true }))), store, () => Date.now());
      await monitor.load();
      const began = Date.now();
      let done = false;
      void monitor.sweep().then(() => (done = true));
      await vi.advanceTimersByTimeAsync(6_000 + 100); // the 5 s timeout and its 1 s grace
      expect(answered.size).toBe(250);
      expect(done).toBe(true);
      expect(Date.now() - began).toBeLessThanOrEqual(6_100);
      const open = JSON.parse((await store.get('incidents:open')) ?? '[]') as { check: string; detail?: string }[];
      expect(open).toHaveLength(50);
      expect(open[0]?.detail).toBe('no result within 5.0 s');
    } finally {
      vi.useRealTimers();
    }
  });

  it('1,000 failing checks: one judgement reads silences and acks in a few batched calls and writes only what changed', async () => {
    let clock = 0;
    const { store, calls } = countingMemory(() => clock);
    const { monitor } = scaled(1_000, async () => ({ ok: false, detail: 'HTTP 502' }), store, () => clock);
    await monitor.load();
    const sweepCounting = async () => {
      calls.length = 0;
      clock += 60_000;
      await monitor.sweep();
      return calls.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c]: (acc[c] ?? 0) + 1 }), {});
    };
    await sweepCounting(); // 1,000 pending
    const storm = await sweepCounting(); // all 1,000 fire at once: one storm
    await sweepCounting();
    const steady = await sweepCounting(); // steady: all firing, told in their storm, nothing changes but the reminder clocks
    // The lease (2); the silence index and one MGET of the silences; every ack in one read; the 1,000 records and the
    // open list in one write. The storm adds its markers in one append and its own record. 4,000 GETs before.
    const reads = { extendIf: 1, setIfAbsent: 1, get: 1, getMany: 1, hashAll: 1 };
    expect(storm).toEqual({ ...reads, writeMany: 1, appendMany: 1, set: 1 });
    expect(steady).toEqual({ ...reads, writeMany: 1 });
  });

  it('loading the book deletes the incident records of checks the estate file no longer has', async () => {
    const clock = () => 0;
    const { store } = countingMemory(clock);
    await store.set('incident:removed-long-ago:http', JSON.stringify({ state: { status: 'firing' }, messages: [] }));
    await store.set('incident:svc-0:http', JSON.stringify({ state: { status: 'ok', since: 0, flips: [], flapping: false, reminders: 0, consecutiveFailures: 0, consecutiveOks: 1 }, messages: [] }));
    await store.set('silence:all', JSON.stringify({ by: 'a', reason: 'kept', until: 10 }));
    const { monitor } = scaled(2, async () => ({ ok: true }), store, clock);
    await monitor.load();
    expect(await store.get('incident:removed-long-ago:http')).toBeNull();
    expect(await store.get('incident:svc-0:http')).not.toBeNull();
    expect(await store.get('silence:all')).not.toBeNull();
  });
});
