/**
 * Charts of a whole estate: `/graph <service> 7d` for 63 services, one after another, through the dispatcher, against
 * a real VictoriaMetrics holding a week of Blackbox samples (one a minute, two series per service), rendered by
 * resvg as the bot does. Each measurement is a fresh process run from an esbuild bundle with plain node, as the image
 * runs the bot, so its RSS is a bot's and not this script's. Baseline in the same run: the same commands answered
 * in words only (no renderer), so the ratios are what the pictures cost. Then the same charts without the young
 * collection after each, to show what it holds back. Modes alternate over the rounds.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VictoriaMetricsServer } from '../test/support/victoria-metrics';

const SERVICES = 63;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ROUNDS = 3;
const MIN = 60_000;
const MiB = 1024 * 1024;
const END = Math.floor(Date.now() / MIN) * MIN;
const target = (i: number) => `https://svc-${i}.mana.how/health`;

const vm = await new VictoriaMetricsServer().start();
const loadStarted = performance.now();
for (let i = 0; i < SERVICES; i++) {
  const lines: string[] = [];
  for (let k = 0; k < 7 * 1440; k++) {
    const at = END - k * MIN;
    const down = k % 1440 >= 300 + i && k % 1440 < 310 + i;
    lines.push(`probe_success{instance="${target(i)}"} ${down ? 0 : 1} ${at}`, `probe_duration_seconds{instance="${target(i)}"} ${down ? 5 : 0.08 + 0.04 * Math.sin(k / 90 + i)} ${at}`);
  }
  await vm.import(lines);
}
console.log(`VictoriaMetrics filled: ${SERVICES} services × 10,080 minutes × 2 series in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);

// The child as the image runs the bot: bundled, plain node. Kept under node_modules so its imports resolve.
const outDir = join('node_modules', '.cache', 'mana-ops-bench');
mkdirSync(outDir, { recursive: true });
const bundle = join(outDir, 'render-child.mjs');
execFileSync('npx', ['esbuild', 'bench/support/render-child.ts', '--bundle', '--platform=node', '--format=esm', '--target=node20', '--packages=external', `--outfile=${bundle}`, '--log-level=warning'], { stdio: 'inherit' });

interface ChildRun {
  mode: string;
  before: number;
  peak: number;
  after: number;
  command: number[];
  render: number[];
  photoBytes: number;
}

// The node flags of the image's ENTRYPOINT (a small young generation among them), read from the Dockerfile.
const entrypoint = /^ENTRYPOINT \[(.*)\]$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1] ?? '';
const nodeFlags = [...entrypoint.matchAll(/"(--[^"]+)"/g)].map((m) => m[1] as string);

type Mode = 'words' | 'collect' | 'none';

function child(mode: Mode, flags: string[]): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...flags, bundle], { env: { ...process.env, VM_URL: vm.url, SERVICES: String(SERVICES), RUNS: String(RUNS), MODE: mode }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as ChildRun) : reject(new Error(`render child (${mode}) exited ${code}`))));
  });
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor((xs.length - 1) / 2)] as number;
const p95 = (xs: number[]) => sorted(xs)[Math.floor(0.95 * (xs.length - 1))] as number;
const mib = (b: number) => `${(b / MiB).toFixed(1)} MiB`;

// The image's flags with and without pictures; node's defaults (a console, `npm start`) with and without the collection.
const configs: { label: string; flags: string[]; mode: Mode }[] = [
  { label: 'image flags, in words only (baseline)', flags: nodeFlags, mode: 'words' },
  { label: 'image flags, as a picture', flags: nodeFlags, mode: 'collect' },
  { label: "node's defaults, as a picture", flags: [], mode: 'collect' },
  { label: "node's defaults, no collection after each", flags: [], mode: 'none' },
];
const runs = configs.map(() => [] as ChildRun[]);
for (let r = 0; r < ROUNDS; r++) {
  // Rotated, so no configuration always runs first or last.
  for (let k = 0; k < configs.length; k++) {
    const i = (k + r) % configs.length;
    const c = configs[i]!;
    runs[i]!.push(await child(c.mode, c.flags));
  }
}
await vm.dispose();

const charts = SERVICES * RUNS;
const all = (i: number, k: 'command' | 'render') => runs[i]!.flatMap((x) => x[k]);
const peak = (i: number) => Math.max(...runs[i]!.map((x) => x.peak));
const before = (i: number) => median(runs[i]!.map((x) => x.before));
console.log(`\n/graph <service> 7d: ${SERVICES} services × ${RUNS} in each process (${charts} commands; 672 points per series, 15-minute steps), ${ROUNDS} processes per configuration, order rotated`);
console.log(`image flags: node ${nodeFlags.join(' ')} (the Dockerfile's ENTRYPOINT), from an esbuild bundle`);
configs.forEach((c, i) => {
  const ratio = i === 0 ? '' : ` (x${(median(all(i, 'command')) / median(all(0, 'command'))).toFixed(2)} the baseline)`;
  console.log(`  ${c.label}: median ${median(all(i, 'command')).toFixed(1)} ms, p95 ${p95(all(i, 'command')).toFixed(1)} ms${ratio}; RSS ${mib(before(i))} after the first command, peak ${mib(peak(i))}`);
});
console.log(`  rendering alone (SVG to PNG, 960×540, image flags): median ${median(all(1, 'render')).toFixed(1)} ms, p95 ${p95(all(1, 'render')).toFixed(1)} ms; a PNG is ${(runs[1]![0]!.photoBytes / charts / 1024).toFixed(0)} KB on average`);
console.log(`  peak RSS with pictures: +${mib(peak(1) - peak(0))} over words only (x${(peak(1) / peak(0)).toFixed(2)}), under the image's flags; the container's limit is 128 MiB`);
console.log(`  under node's defaults, without the collection: x${(peak(3) / peak(2)).toFixed(2)} the peak with it`);
