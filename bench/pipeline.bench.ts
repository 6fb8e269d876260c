/**
 * Pipeline benchmark: /ping through the Bot API emulator, update -> reply latency and RSS, for mana-ops
 * (the real process: src/main.ts with Redis) next to a bare grammY bot measured in the same run as the floor.
 * Prints figures and ratios; asserts nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { RedisServer } from '../test/support/redis';
import { TelegramEmulator, type SentMessage } from '../test/support/telegram-emulator';
import { rssMiB } from './support/proc';

const WARMUP = Number(process.env.BENCH_WARMUP ?? 3_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 1_000);
const USERS = 20;
const FIRST_USER = 5_000;

const dir = mkdtempSync(join(tmpdir(), 'mo-bench-'));
const estateFile = join(dir, 'estate.yml');
writeFileSync(
  estateFile,
  `version: 1
docker_hosts: [{ name: local, endpoint: "unix:///tmp/mo-bench-no-docker.sock" }]
services:
  - { name: chat-web, container: mo-bench-chat-web, category: web, host: local }
users:
${Array.from({ length: USERS }, (_, i) => `  - { id: ${FIRST_USER + i}, name: u${i}, role: operator }`).join('\n')}
policy:
  rate_limit: { commands: 1000000, window: 1m }
`,
);

/** Both bots run as production does: bundled to plain JS, dependencies from node_modules, no loader. */
async function bundle(entry: string, name: string): Promise<string> {
  const outfile = join(process.cwd(), 'dist', 'bench', `${name}.js`);
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile, logLevel: 'error' });
  return outfile;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

interface Figures {
  seq: number[];
  conc: number[];
  concWallMs: number;
  rssStart: number;
  rssEnd: number;
}

async function measure(label: string, script: string[], env: Record<string, string>): Promise<Figures> {
  const emu = await new TelegramEmulator().start();
  const waiting = new Map<number, (msg: SentMessage) => void>();
  emu.events.on('message', (msg: SentMessage) => {
    const resolve = waiting.get(msg.chat.id);
    waiting.delete(msg.chat.id);
    resolve?.(msg);
  });
  const flags = process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : [];
  const child: ChildProcess = spawn(process.execPath, [...flags, ...script], {
    env: { PATH: process.env.PATH ?? '', TELEGRAM_BOT_TOKEN: emu.token, TELEGRAM_API_ROOT: emu.apiRoot, MANA_OPS_POLL_TIMEOUT: '1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.resume();
  await emu.waitFor(() => emu.calls.some((c) => c.method === 'getUpdates'), 30_000, `${label} to poll`);
  await new Promise((r) => setTimeout(r, 500));
  const rssStart = rssMiB(child.pid as number);

  const one = async (userId: number): Promise<number> => {
    const reply = new Promise<SentMessage>((resolve) => waiting.set(userId, resolve));
    const t0 = process.hrtime.bigint();
    emu.sendText({ id: userId, is_bot: false, first_name: 'bench' }, '/ping');
    await reply;
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  for (let i = 0; i < WARMUP; i++) await one(FIRST_USER + (i % USERS));
  emu.clearRecords();
  const seq: number[] = [];
  for (let i = 0; i < RUNS; i++) seq.push(await one(FIRST_USER));
  emu.clearRecords();
  const conc: number[] = [];
  const started = Date.now();
  await Promise.all(
    Array.from({ length: USERS }, async (_, u) => {
      for (let i = 0; i < RUNS / USERS; i++) conc.push(await one(FIRST_USER + u));
    }),
  );
  const concWallMs = Date.now() - started;
  const rssEnd = rssMiB(child.pid as number);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await emu.stop();
  return { seq: seq.sort((a, b) => a - b), conc: conc.sort((a, b) => a - b), concWallMs, rssStart, rssEnd };
}

const redis = await new RedisServer().start();
const bare = await measure('bare grammY', [await bundle('bench/bots/bare-grammy.ts', 'bare-grammy')], {});
const mana = await measure('mana-ops', [await bundle('src/main.ts', 'mana-ops')], { ESTATE_FILE: estateFile, REDIS_URL: redis.url, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info' });
await redis.dispose();

const row = (name: string, f: Figures, kind: 'seq' | 'conc') => {
  const s = f[kind];
  return `${name.padEnd(12)} p50 ${percentile(s, 50).toFixed(2).padStart(6)} ms  p95 ${percentile(s, 95).toFixed(2).padStart(6)} ms  p99 ${percentile(s, 99).toFixed(2).padStart(6)} ms`;
};
console.log(`pipeline benchmark: /ping via the Bot API emulator, warm-up ${WARMUP}, ${RUNS} measured per mode (node ${process.version})`);
console.log(`\none at a time (${RUNS} commands, one user)`);
console.log(row('bare grammY', bare, 'seq'));
console.log(row('mana-ops', mana, 'seq'));
console.log(`\n${USERS} users at once (${RUNS} commands)`);
console.log(row('bare grammY', bare, 'conc') + `  wall ${bare.concWallMs} ms`);
console.log(row('mana-ops', mana, 'conc') + `  wall ${mana.concWallMs} ms`);
const d = (k: 'seq' | 'conc', p: number) => (percentile(mana[k], p) - percentile(bare[k], p)).toFixed(2);
const r = (k: 'seq' | 'conc', p: number) => (percentile(mana[k], p) / percentile(bare[k], p)).toFixed(2);
console.log(`\nmana-ops minus floor: one-at-a-time p50 +${d('seq', 50)} ms (x${r('seq', 50)}), p99 +${d('seq', 99)} ms (x${r('seq', 99)}); 20 users p99 +${d('conc', 99)} ms (x${r('conc', 99)})`);
console.log(`RSS after start: bare ${bare.rssStart.toFixed(1)} MiB, mana-ops ${mana.rssStart.toFixed(1)} MiB (+${(mana.rssStart - bare.rssStart).toFixed(1)} MiB)`);
console.log(`RSS after run:   bare ${bare.rssEnd.toFixed(1)} MiB, mana-ops ${mana.rssEnd.toFixed(1)} MiB (+${(mana.rssEnd - bare.rssEnd).toFixed(1)} MiB)`);
