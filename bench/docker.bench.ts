/**
 * Docker command benchmarks on a real dockerd (scripts/bench.sh starts one): /status over 63 containers,
 * /mem concurrently against the same stats read one by one, and /logs on a container with 1,000,000 lines
 * with the process's peak RSS. Prints figures; asserts nothing.
 */
import Docker from 'dockerode';
import pino from 'pino';
import { buildApp } from '../src/app';
import type { Envelope } from '../src/auth/gate';
import { estateSchema } from '../src/config/schema';
import { DockerRuntime } from '../src/ops/docker/docker-runtime';
import { MemoryStore } from '../src/ops/state/memory-store';
import { runContainer } from '../test/support/docker';

const socket = process.env.MO_DOCKER_SOCK;
const image = process.env.MO_TEST_IMAGE;
if (!socket || !image) throw new Error('run through scripts/bench.sh docker (it starts dockerd)');
const docker = new Docker({ socketPath: socket });
const CATEGORIES = ['infra', 'core', 'backend', 'web', 'sync', 'llm', 'monitoring', 'mirror', 'games'];
/** How many containers: the estate's 63 by default; BENCH_CONTAINERS for the scale table (300, 1,000). */
const N = Number(process.env.BENCH_CONTAINERS ?? 63);
const names = Array.from({ length: N }, (_, i) => `mana-bench-${String(i).padStart(4, '0')}`);

console.log(`creating ${N} containers and one with 1,000,000 log lines…`);
const t0 = Date.now();
for (let i = 0; i < N; i += 8) {
  await Promise.all(names.slice(i, i + 8).map((n, j) => runContainer(docker, image, n, { ...(j % 3 === 0 && { memoryBytes: 64 * 1024 * 1024 }) })));
}
await runContainer(docker, image, 'mana-bench-biglog', { cmd: 'seq 1 1000000; exec sleep 100000' });
for (;;) {
  const tail = (await docker.getContainer('mana-bench-biglog').logs({ stdout: true, tail: 1 })).toString();
  if (tail.includes('1000000')) break;
  await new Promise((r) => setTimeout(r, 200));
}
console.log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

const estate = estateSchema.parse({
  version: 1,
  docker_hosts: [{ name: 'mac-mini', endpoint: `unix://${socket}` }],
  services: [
    ...names.map((n, i) => ({ name: n.replace('mana-', ''), container: n, category: CATEGORIES[i % CATEGORIES.length] })),
    { name: 'biglog', container: 'mana-bench-biglog', category: 'tooling' },
  ],
  users: [{ id: 1, name: 'bench', role: 'admin' }],
  policy: { rate_limit: { commands: 1_000_000, window: '1m' } },
});
const runtime = new DockerRuntime(`unix://${socket}`);
const app = buildApp(estate, { store: new MemoryStore(), docker: new Map([['mac-mini', runtime]]), log: pino({ level: 'silent' }) });
const envelope = (): Envelope => ({ userId: 1, chatId: 1, chatType: 'private', sentAt: Date.now(), forwarded: false, edited: false });
const run = async (line: string) => {
  const out = await app.dispatcher.handleText(envelope(), line);
  if (out.kind !== 'reply') throw new Error(`${line}: ${out.kind}`);
  return out;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const time = async (fn: () => Promise<unknown>) => {
  const s = performance.now();
  await fn();
  return performance.now() - s;
};

// /status: dispatch to rendered text
for (let i = 0; i < 5; i++) await run('/status');
const status: number[] = [];
for (let i = 0; i < 50; i++) status.push(await time(() => run('/status')));
const listOnly: number[] = [];
for (let i = 0; i < 50; i++) listOnly.push(await time(() => runtime.list()));
console.log(`/status over ${N + 1} containers: median ${pct(status, 50).toFixed(1)} ms, p95 ${pct(status, 95).toFixed(1)} ms` +
  ` (the list call alone: median ${pct(listOnly, 50).toFixed(1)} ms; /status = x${(pct(status, 50) / pct(listOnly, 50)).toFixed(2)})`);

// /mem: concurrent against one by one
await run('/mem');
const memWall = await time(() => run('/mem'));
// One by one takes about a second per container on this dockerd: the baseline runs at the estate's size only.
if (N <= 100) {
  const oneByOne = await time(async () => {
    for (const n of [...names, 'mana-bench-biglog']) await runtime.stats(n);
  });
  console.log(`/mem over ${N + 1} containers: ${memWall.toFixed(0)} ms; the same stats read one by one: ${oneByOne.toFixed(0)} ms (x${(oneByOne / memWall).toFixed(1)})`);
} else console.log(`/mem over ${N + 1} containers: ${memWall.toFixed(0)} ms (the one-by-one baseline runs at 100 containers or fewer)`);
const cpuOne = await time(() => runtime.stats(names[0] as string, { cpu: true }));
console.log(`  (memory uses one-shot stats; a stats call with CPU%, two samples, takes ${cpuOne.toFixed(0)} ms each)`);

// /logs on 1,000,000 lines: time and peak RSS
async function measureLogs(line: string) {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
  const ms = await time(() => run(line));
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(`${line.padEnd(40)} ${ms.toFixed(0).padStart(6)} ms  RSS +${((peak - base) / 1048576).toFixed(1)} MiB at peak`);
}
console.log('');
await run('/logs biglog lines=200');
await measureLogs('/logs biglog lines=200');
await measureLogs('/logs biglog lines=2000 file=yes');
await measureLogs('/logs biglog grep=424242 lines=50');
await measureLogs('/logs biglog since=1d lines=200');

await Promise.all([...names, 'mana-bench-biglog'].map((n) => docker.getContainer(n).remove({ force: true }).catch(() => undefined)));
