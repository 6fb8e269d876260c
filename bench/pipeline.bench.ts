/**
 * Pipeline benchmark: /ping through the Bot API emulator, update -> reply latency and RSS, for mana-ops
 * (the real process: src/main.ts with Redis) next to a bare grammY bot measured in the same run as the floor.
 * Prints figures and ratios; asserts nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { RedisServer } from '../test/support/redis';
import { TelegramEmulator, type SentMessage } from '../test/support/telegram-emulator';
import { benchNodeFlags, rssMiB } from './support/proc';

const WARMUP = Number(process.env.BENCH_WARMUP ?? 3_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 1_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BURST = 1_000;
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
  /** CPU time (user + system) of the bot's process per measured command. */
  cpuPerCommandMs: number;
  /** Of which in the kernel (system time): the syscalls of sockets and timers. */
  sysPerCommandMs: number;
  rssStart: number;
  /** After 6,000 commands (warm-up included). */
  rssAfterRun: number;
  /** After 1,000 updates arriving at once. */
  rssAfterBurst: number;
  burstMs: number;
}

/** Both bots run with the node flags of `npm run start:prod`: what production runs, and the same collector settings for the floor. */
const NODE_FLAGS = benchNodeFlags();

const TICK_MS = 1000 / 100; // USER_HZ: /proc/<pid>/stat counts CPU in ticks of 10 ms
function cpuMs(pid: number): { all: number; sys: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return { all: (Number(fields[11]) + Number(fields[12])) * TICK_MS, sys: Number(fields[12]) * TICK_MS };
}

/** A bot process polling its own emulator, as production runs it. */
interface RunningBot {
  label: string;
  pid: number;
  emu: TelegramEmulator;
  /** One /ping from this user, and the time until its reply. */
  one(userId: number): Promise<number>;
  stop(): Promise<void>;
}

async function startBot(label: string, script: string[], env: Record<string, string>): Promise<RunningBot> {
  const emu = await new TelegramEmulator().start();
  const waiting = new Map<number, (msg: SentMessage) => void>();
  emu.events.on('message', (msg: SentMessage) => {
    const resolve = waiting.get(msg.chat.id);
    waiting.delete(msg.chat.id);
    resolve?.(msg);
  });
  const child: ChildProcess = spawn(process.execPath, [...NODE_FLAGS, ...script], {
    env: { PATH: process.env.PATH ?? '', TELEGRAM_BOT_TOKEN: emu.token, TELEGRAM_API_ROOT: emu.apiRoot, MANA_OPS_POLL_TIMEOUT: '1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.resume();
  await emu.waitFor(() => emu.calls.some((c) => c.method === 'getUpdates'), 30_000, `${label} to poll`);
  return {
    label,
    pid: child.pid as number,
    emu,
    async one(userId) {
      const reply = new Promise<SentMessage>((resolve) => waiting.set(userId, resolve));
      const t0 = process.hrtime.bigint();
      emu.sendText({ id: userId, is_bot: false, first_name: 'bench' }, '/ping');
      await reply;
      return Number(process.hrtime.bigint() - t0) / 1e6;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await emu.stop();
    },
  };
}

/** Commands per turn: the two bots take turns this often, so both meet the same moments of a noisy machine. */
const TURN = 200;

/**
 * One round: both bots running, taking turns of TURN commands (the warm-up, one at a time, then 20 users at once),
 * each bot's CPU counted over its own turns only; then a burst to each.
 */
async function round(pair: readonly RunningBot[]): Promise<Figures[]> {
  const f = pair.map((b) => ({ seq: [] as number[], conc: [] as number[], concWallMs: 0, cpu: 0, sys: 0, rssStart: rssMiB(b.pid) }));
  const turns = async (count: number, work: (b: RunningBot, n: number) => Promise<void>, counted: boolean) => {
    for (let done = 0; done < count; done += TURN) {
      for (const [i, b] of pair.entries()) {
        const before = cpuMs(b.pid);
        await work(b, Math.min(TURN, count - done));
        const after = cpuMs(b.pid);
        const fig = f[i] as (typeof f)[number];
        if (counted) {
          fig.cpu += after.all - before.all;
          fig.sys += after.sys - before.sys;
        }
      }
    }
  };
  await turns(WARMUP, async (b, n) => {
    for (let i = 0; i < n; i++) await b.one(FIRST_USER + (i % USERS));
  }, false);
  for (const b of pair) b.emu.clearRecords();
  await turns(RUNS, async (b, n) => {
    const seq = f[pair.indexOf(b)]?.seq as number[];
    for (let i = 0; i < n; i++) seq.push(await b.one(FIRST_USER));
  }, true);
  await turns(2 * RUNS, async (b, n) => {
    const fig = f[pair.indexOf(b)] as (typeof f)[number];
    const started = Date.now();
    await Promise.all(
      Array.from({ length: USERS }, async (_, u) => {
        for (let i = 0; i < n / USERS; i++) fig.conc.push(await b.one(FIRST_USER + u));
      }),
    );
    fig.concWallMs += Date.now() - started;
  }, true);
  const rssAfterRun = pair.map((b) => rssMiB(b.pid));
  const bursts: { ms: number; rss: number }[] = [];
  for (const b of pair) {
    // A burst: 1,000 updates at once (50 from each user), all answered.
    b.emu.clearRecords();
    const started = Date.now();
    for (let i = 0; i < BURST; i++) b.emu.sendText({ id: FIRST_USER + (i % USERS), is_bot: false, first_name: 'bench' }, '/ping');
    await b.emu.waitFor(() => b.emu.messages.length >= BURST, 120_000, `${b.label} to answer the burst`);
    bursts.push({ ms: Date.now() - started, rss: rssMiB(b.pid) });
  }
  return f.map((x, i) => ({
    seq: x.seq.sort((a, b) => a - b),
    conc: x.conc.sort((a, b) => a - b),
    concWallMs: x.concWallMs,
    cpuPerCommandMs: x.cpu / (3 * RUNS),
    sysPerCommandMs: x.sys / (3 * RUNS),
    rssStart: x.rssStart,
    rssAfterRun: rssAfterRun[i] as number,
    rssAfterBurst: bursts[i]?.rss as number,
    burstMs: bursts[i]?.ms as number,
  }));
}

const redis = await new RedisServer().start();
const bots = {
  bare: { label: 'bare grammY', script: [await bundle('bench/bots/bare-grammy.ts', 'bare-grammy')], env: {} },
  mana: { label: 'mana-ops', script: [await bundle('src/main.ts', 'mana-ops')], env: { ESTATE_FILE: estateFile, REDIS_URL: redis.url, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info' } },
};
const results: { bare: Figures[]; mana: Figures[] } = { bare: [], mana: [] };
for (let r = 0; r < ROUNDS; r++) {
  // Both start afresh each round; who takes the first turn alternates.
  const order = r % 2 === 0 ? (['bare', 'mana'] as const) : (['mana', 'bare'] as const);
  const running: RunningBot[] = [];
  for (const which of order) running.push(await startBot(bots[which].label, bots[which].script, bots[which].env));
  await new Promise((resolve) => setTimeout(resolve, 500));
  const figures = await round(running);
  order.forEach((which, i) => results[which].push(figures[i] as Figures));
  for (const b of running) await b.stop();
}
await redis.dispose();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
/** A figure per round, and its median over the rounds. */
const over = (which: 'bare' | 'mana', f: (x: Figures) => number) => median(results[which].map(f));
const p = (k: 'seq' | 'conc', q: number) => (x: Figures) => percentile(x[k], q);
const ms = (v: number) => `${v.toFixed(2).padStart(6)} ms`;
const row = (which: 'bare' | 'mana', k: 'seq' | 'conc') =>
  `${bots[which].label.padEnd(12)} p50 ${ms(over(which, p(k, 50)))}  p95 ${ms(over(which, p(k, 95)))}  p99 ${ms(over(which, p(k, 99)))}`;
console.log(`pipeline benchmark: /ping via the Bot API emulator (node ${process.version}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
console.log(`node flags for both: ${NODE_FLAGS.join(' ') || "(node's defaults)"}`);
console.log(`${ROUNDS} rounds, both bots running, taking turns of ${TURN} commands (who goes first alternates); per round and bot: warm-up ${WARMUP}, ${RUNS} one at a time, ${2 * RUNS} from ${USERS} users at once (CPU counted over each bot's own turns), then a burst of ${BURST}; medians over the rounds`);
console.log(`\none at a time`);
console.log(row('bare', 'seq'));
console.log(row('mana', 'seq'));
console.log(`\n${USERS} users at once`);
console.log(row('bare', 'conc'));
console.log(row('mana', 'conc'));
const d = (k: 'seq' | 'conc', q: number) => (over('mana', p(k, q)) - over('bare', p(k, q))).toFixed(2);
console.log(`\nmana-ops minus floor: one at a time p99 +${d('seq', 99)} ms (goal ≤ +2), 20 users p99 +${d('conc', 99)} ms (goal ≤ +5)`);
const cpuBare = over('bare', (x) => x.cpuPerCommandMs);
const cpuMana = over('mana', (x) => x.cpuPerCommandMs);
const perRound = results.mana.map((m, i) => m.cpuPerCommandMs / (results.bare[i]?.cpuPerCommandMs ?? NaN));
// Each round's two figures come from the same minutes of the machine: their ratio is the paired measurement.
console.log(`CPU per command: bare ${cpuBare.toFixed(3)} ms, mana-ops ${cpuMana.toFixed(3)} ms (x${(cpuMana / cpuBare).toFixed(2)} the medians; goal ≤ x1.3); per round x${perRound.map((r) => r.toFixed(2)).join(' / x')}, median x${median(perRound).toFixed(2)}`);
console.log(`  of which in the kernel: bare ${over('bare', (x) => x.sysPerCommandMs).toFixed(3)} ms, mana-ops ${over('mana', (x) => x.sysPerCommandMs).toFixed(3)} ms`);
const mib = (which: 'bare' | 'mana', f: (x: Figures) => number) => over(which, f).toFixed(1);
for (const [name, f] of [
  ['after start', (x: Figures) => x.rssStart],
  [`after ${WARMUP + 3 * RUNS} commands`, (x: Figures) => x.rssAfterRun],
  [`after a burst of ${BURST}`, (x: Figures) => x.rssAfterBurst],
] as const) {
  console.log(`RSS ${name.padEnd(22)} bare ${mib('bare', f)} MiB, mana-ops ${mib('mana', f)} MiB (+${(over('mana', f) - over('bare', f)).toFixed(1)} MiB)`);
}
console.log(`burst of ${BURST} answered in: bare ${over('bare', (x) => x.burstMs)} ms, mana-ops ${over('mana', (x) => x.burstMs)} ms`);
process.exit(0);
