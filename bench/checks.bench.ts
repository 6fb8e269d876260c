/**
 * The monitor's sweeps against real loopback endpoints and a real redis-server: 63 HTTP checks with 10 hanging and
 * 300 with 50 (every 6th endpoint never answers; 5 s timeout), the first sweep after start (load included) and a
 * steady one; the bookkeeping of 1,000 failing checks; and, in the same run, the estate's health-check.sh way (a bash
 * loop of curl, one URL after another) as the baseline; and the running schedule with 1,000 and 3,000 checks due at
 * once, against the same runs awaited together. Prints figures; asserts nothing.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { cpus, loadavg } from 'node:os';
import pino from 'pino';
import { CheckSchedule } from '../src/alerts/check-schedule';
import { buildChecks, type CheckDef } from '../src/alerts/checks';
import { Monitor } from '../src/alerts/monitor';
import { Catalog } from '../src/config/catalog';
import { estateSchema } from '../src/config/schema';
import { StatfsDiskProbe } from '../src/ops/probes/disk-probe';
import { NetProber } from '../src/ops/probes/net-prober';
import { RedisStore } from '../src/ops/state/redis-store';
import { RedisServer } from '../test/support/redis';
import { benchNodeFlags, underBenchNodeFlags } from './support/proc';

// The monitor runs in this process: with start:prod's node flags (the image's), as production runs it.
underBenchNodeFlags(fileURLToPath(import.meta.url));

const TIMEOUT_MS = 5_000;
const INTERVAL_MS = 60_000;
const log = pino({ level: 'silent' });

const server = createServer((req, res) => {
  if (req.url?.startsWith('/hang')) return; // never answers
  res.writeHead(200).end('ok');
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const port = (server.address() as { port: number }).port;
const redis = await new RedisServer().start();

const hangs = (i: number) => i % 6 === 5;
const urlOf = (i: number) => `http://127.0.0.1:${port}/${hangs(i) ? 'hang' : 'ok'}/${i}`;

function catalogOf(n: number): Catalog {
  const services = Array.from({ length: n }, (_, i) => ({
    name: `svc-${i}`,
    container: `mana-svc-${i}`,
    category: 'web',
    checks: [{ type: 'http', url: urlOf(i), timeout: `${TIMEOUT_MS}ms`, interval: `${INTERVAL_MS}ms` }],
  }));
  return new Catalog(estateSchema.parse({ version: 1, docker_hosts: [{ name: 'mac-mini', endpoint: 'unix:///x.sock' }], services, users: [{ id: 1, name: 'a', role: 'admin' }], chats: { alerts: [1] } }));
}

/** A monitor on real Redis whose clock the benchmark moves by one interval between sweeps. */
function monitorOf(catalog: Catalog, checks: CheckDef[], prefix: string) {
  let offset = 0;
  const deps = { catalog, prober: new NetProber(), disk: new StatfsDiskProbe(), docker: () => undefined, gpu: undefined, tunnels: undefined };
  const store = new RedisStore({ url: redis.url, keyPrefix: `${prefix}:` });
  const monitor = new Monitor({
    checks: checks.length ? checks : buildChecks(deps),
    deps,
    store,
    notifier: { send: async () => 1, edit: async () => {} },
    catalog,
    log,
    now: () => Date.now() + offset,
    instanceId: prefix,
  });
  return { monitor, store, advance: () => (offset += INTERVAL_MS) };
}

async function sweeps(n: number) {
  const { monitor, store, advance } = monitorOf(catalogOf(n), [], `bench-${n}`);
  await store.ready();
  let t = performance.now();
  await monitor.sweep();
  const first = performance.now() - t;
  advance();
  t = performance.now();
  await monitor.sweep();
  const steady = performance.now() - t;
  await store.close();
  return { first, steady };
}

/** health-check.sh's way: one curl after another, each with the same timeout. */
async function curlLoop(n: number): Promise<number> {
  const urls = Array.from({ length: n }, (_, i) => urlOf(i)).join(' ');
  const t = performance.now();
  // Asynchronously: the endpoints are served by this process, which must keep answering meanwhile.
  await promisify(execFile)('bash', ['-c', `for u in ${urls}; do curl -s -o /dev/null --max-time ${TIMEOUT_MS / 1000} "$u" || true; done`]);
  return performance.now() - t;
}

/** 1,000 checks that fail at once (no network): what is left is the monitor's own work and its Redis round trips. */
async function bookkeeping(n: number, round: number) {
  // An empty Redis, as production's holds one estate's keys: the earlier phases' thousands would slow the SCANs of the
  // first sweep's load (records of removed checks, acks of older versions) with keys that are not this estate's.
  await redis.stop();
  await redis.start(redis.port);
  const catalog = catalogOf(n);
  const checks: CheckDef[] = catalog.services.map((service) => ({ id: `${service.name}:http`, service, label: `HTTP ${service.name}`, intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS, run: async () => ({ ok: false, detail: 'HTTP 502' }) }));
  const { monitor, store, advance } = monitorOf(catalog, checks, `bench-book-${n}-${round}`);
  await store.ready();
  const times: number[] = [];
  for (let i = 0; i < 8; i++) {
    const t = performance.now();
    await monitor.sweep();
    times.push(performance.now() - t);
    advance();
  }
  await store.close();
  return times;
}

/**
 * The running schedule (as in production, not sweep()): n checks due at once that answer at once. CPU from the start
 * until every check has run, against the same n runs awaited together without a schedule.
 */
async function scheduleBatch(n: number): Promise<{ schedule: number; bare: number }> {
  const defs: CheckDef[] = Array.from({ length: n }, (_, i) => ({ id: `c${i}`, label: `c${i}`, intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS, run: async () => ({ ok: false }) }));
  const cpuMs = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1000;
  };
  let ran = 0;
  let allRan = () => {};
  const done = new Promise<void>((resolve) => (allRan = resolve));
  const schedule = new CheckSchedule({
    checks: defs,
    now: Date.now,
    jitterRatio: 0,
    run: async (def) => {
      await def.run({} as never, 0);
      if (++ran === n) allRan();
    },
  });
  schedule.reset();
  let since = process.cpuUsage();
  schedule.start();
  await done;
  const scheduled = cpuMs(since);
  schedule.stop();
  since = process.cpuUsage();
  await Promise.all(defs.map((def) => def.run({} as never, 0)));
  return { schedule: scheduled, bare: cpuMs(since) };
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
console.log(`checks benchmark · ${cpus().length} cores · load ${loadavg().map((l) => l.toFixed(2)).join(' ')} · timeout ${TIMEOUT_MS / 1000} s · every 6th endpoint hangs · real redis-server · node flags: ${benchNodeFlags().join(' ') || "node's defaults"}`);
for (const n of [63, 300, 1_000]) {
  const { first, steady } = await sweeps(n);
  console.log(`  ${n} checks, ${Array.from({ length: n }, (_, i) => i).filter(hangs).length} hanging: first sweep (load included) ${fmt(first)} · steady ${fmt(steady)}`);
}
const baseline = await curlLoop(63);
console.log(`  baseline, health-check.sh's bash loop of curl, 63 URLs one after another: ${fmt(baseline)}`);
const { first: f63 } = await sweeps(63);
console.log(`  the monitor's first sweep of 63 again, after the baseline: ${fmt(f63)} (x${(baseline / f63).toFixed(1)} faster than the loop)`);
// The sweeps of a storm: the first (taking the lead, which loads the book; 1,000 new pending incidents), the second
// (all 1,000 fire at once), then firing. The first storm this process meets runs code not optimised yet: shown on its
// own. Then four more storms, each of 1,000 other checks, by the median and the slowest of each kind of sweep.
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const ms = (x: number) => `${x.toFixed(1)} ms`;
const cold = await bookkeeping(1_000, 0);
console.log(`  1,000 failing checks, bookkeeping per sweep, the first storm this process sees: first (taking the lead) ${ms(cold[0] ?? NaN)}, all firing at once ${ms(cold[1] ?? NaN)}, then ${cold.slice(2).map((t) => t.toFixed(1)).join(' / ')} ms`);
const warm: number[][] = [];
for (let round = 1; round <= 4; round++) warm.push(await bookkeeping(1_000, round));
const kinds: [string, number[]][] = [
  ['first (taking the lead)', warm.map((b) => b[0] ?? NaN)],
  ['all firing at once', warm.map((b) => b[1] ?? NaN)],
  ['while they stay firing', warm.flatMap((b) => b.slice(2))],
];
console.log(`  1,000 failing checks, bookkeeping per sweep, four more storms: ${kinds.map(([kind, xs]) => `${kind} median ${ms(median(xs))}, slowest ${ms(Math.max(...xs))}`).join(' · ')}`);

for (const n of [1_000, 3_000]) {
  const runs = [await scheduleBatch(n), await scheduleBatch(n), await scheduleBatch(n)];
  const schedule = runs.map((r) => r.schedule.toFixed(1)).join(' / ');
  const bare = runs.map((r) => r.bare.toFixed(1)).join(' / ');
  console.log(`  the running schedule, ${n.toLocaleString('en')} checks due at once, CPU until all ran: ${schedule} ms (the same runs awaited together: ${bare} ms)`);
}

server.closeAllConnections();
server.close();
await redis.stop();
process.exit(0);
