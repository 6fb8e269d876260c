/**
 * A sweep of 63 HTTP checks of which 10 hang, through the monitor (bounded concurrency), next to the same
 * checks run one after another as health-check.sh does, in the same run. Prints figures; asserts nothing.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import pino from 'pino';
import { buildChecks, SweepContext } from '../src/alerts/checks';
import { Monitor } from '../src/alerts/monitor';
import { Catalog } from '../src/config/catalog';
import { estateSchema } from '../src/config/schema';
import { StatfsDiskProbe } from '../src/ops/probes/disk-probe';
import { NetProber } from '../src/ops/probes/net-prober';
import { MemoryStore } from '../src/ops/state/memory-store';

const N = 63;
const HANGING = 10;
const TIMEOUT_MS = 2_000;
const server = createServer((req, res) => {
  if (req.url?.startsWith('/hang')) return; // never answers
  res.writeHead(200).end('ok');
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const port = (server.address() as { port: number }).port;

const services = Array.from({ length: N }, (_, i) => ({
  name: `svc-${i}`,
  container: `mana-svc-${i}`,
  category: 'web',
  checks: [{ type: 'http', url: `http://127.0.0.1:${port}/${i < HANGING ? 'hang' : 'ok'}/${i}`, timeout: `${TIMEOUT_MS}ms` }],
}));
const catalog = new Catalog(estateSchema.parse({ version: 1, docker_hosts: [{ name: 'mac-mini', endpoint: 'unix:///x.sock' }], services, users: [{ id: 1, name: 'a', role: 'admin' }] }));
const deps = { catalog, prober: new NetProber(), disk: new StatfsDiskProbe(), docker: () => undefined, gpu: undefined, tunnels: undefined };
const checks = buildChecks(deps);
const monitor = new Monitor({
  checks,
  deps,
  store: new MemoryStore(),
  notifier: { send: async () => 1, edit: async () => {} },
  catalog,
  log: pino({ level: 'silent' }),
  now: Date.now,
  instanceId: 'bench',
});
await monitor.load();

let t = performance.now();
await monitor.sweep();
const sweepMs = performance.now() - t;

t = performance.now();
const sweep = new SweepContext(deps);
for (const c of checks) await c.run(sweep);
const serialMs = performance.now() - t;

console.log(`${N} HTTP checks, ${HANGING} hanging, per-check timeout ${TIMEOUT_MS} ms`);
console.log(`  monitor sweep (bounded concurrency 16): ${sweepMs.toFixed(0)} ms  (timeout + ${(sweepMs - TIMEOUT_MS).toFixed(0)} ms)`);
console.log(`  one after another (like health-check.sh): ${serialMs.toFixed(0)} ms  (x${(serialMs / sweepMs).toFixed(1)})`);
server.closeAllConnections();
server.close();
