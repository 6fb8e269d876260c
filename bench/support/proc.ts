import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A process's resident set size in MiB, as the kernel reports it (VmRSS in /proc/<pid>/status). */
export function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

/**
 * The node flags of `npm run start:prod` (the image's too), for benchmarks to run the bot as production does.
 * BENCH_NODE_FLAGS replaces them ("" for node's defaults).
 */
export function benchNodeFlags(): string[] {
  if (process.env.BENCH_NODE_FLAGS !== undefined) return process.env.BENCH_NODE_FLAGS.split(' ').filter(Boolean);
  const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
  return (scripts['start:prod'] ?? '').split(' ').filter((w) => w.startsWith('--') && w !== '--enable-source-maps');
}

/**
 * For a benchmark that measures the bot's code in its own process (the monitor's sweeps): runs the file again under
 * benchNodeFlags() when it was started without them, and exits with that run's status. Returns in the run that has them.
 */
export function underBenchNodeFlags(file: string): void {
  if (process.env.MANA_OPS_BENCH_FLAGS_SET === '1') return;
  const run = spawnSync(process.execPath, [...benchNodeFlags(), '--import', 'tsx', file], { stdio: 'inherit', env: { ...process.env, MANA_OPS_BENCH_FLAGS_SET: '1' } });
  process.exit(run.status ?? 1);
}
