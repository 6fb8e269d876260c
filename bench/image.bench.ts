/**
 * The container image: its size; the bot's start-up to its first poll; its memory idle and under a 500-alert
 * storm. The bot runs in its container as docker-compose.bot.yml runs it (128 MB, read-only, uid 10001, the
 * socket proxy beside it), and, as the baseline in the same run, as a plain process on this machine from the
 * same bundle with the same node flags. Prints figures only. Run with `npm run bench:image`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { build } from 'esbuild';
import { Alertmanager } from '../test/support/alertmanager';
import { composeConfig, createFromCompose } from '../test/support/compose';
import { removeContainers, runContainer } from '../test/support/docker';
import { freePort, RedisServer } from '../test/support/redis';
import { TelegramEmulator } from '../test/support/telegram-emulator';
import { rssMiB } from './support/proc';
import { namedIn, playStorm } from './support/storm';

const socket = process.env.MO_DOCKER_SOCK ?? '';
const image = process.env.MO_BOT_IMAGE ?? '';
const busybox = process.env.MO_TEST_IMAGE ?? '';
if (!socket || !image || !busybox) throw new Error('run with `npm run bench:image` (scripts/bench.sh builds the image and starts dockerd)');
const N = Number(process.env.STORM_ALERTS ?? 500);
const RESOLVE_AFTER_MS = Number(process.env.STORM_RESOLVE_AFTER_MS ?? 60_000);
const IDLE_MS = Number(process.env.IDLE_MS ?? 30_000);
const STARTS = 5;
const TOKEN = 'image-bench-webhook-secret-0000';
const ADMIN = 100;
const TARGETS = Array.from({ length: 8 }, (_, i) => `mo-bench-svc-${i}`);

const docker = new Docker({ socketPath: socket });
const emu = await new TelegramEmulator().start();
emu.chatLimit = { max: 20, windowMs: 60_000 };
const redis = await new RedisServer().start();
const dir = mkdtempSync(join(tmpdir(), 'mo-image-bench-'));
const { config: compose } = composeConfig();
const volume = `mo-bench-proxy-${process.pid}`;
const mib = (bytes: number) => bytes / 1024 ** 2;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const name of TARGETS) await runContainer(docker, busybox, name);
const estate = (endpoint: string, alertChat: number) => {
  const file = join(dir, `estate-${alertChat}.yml`);
  writeFileSync(
    file,
    `version: 1
docker_hosts: [{ name: mac-mini, endpoint: "unix://${endpoint}" }]
services:
${TARGETS.map((t, i) => `  - { name: svc-${i}, container: ${t}, category: web, checks: [{ type: docker }] }`).join('\n')}
users: [{ id: ${ADMIN}, name: admin, role: admin }]
chats: { alerts: [${alertChat}], commands: [] }
`,
  );
  return file;
};

// The socket proxy, as in the compose file; the host process reaches its socket through the volume's mountpoint.
const proxyService = compose.services['docker-proxy'];
const botService = compose.services.bot;
if (!proxyService || !botService) throw new Error('docker-compose.bot.yml lacks bot or docker-proxy');
const proxy = await createFromCompose(docker, proxyService, {
  name: 'mo-bench-docker-proxy',
  image,
  mapSource: (s) => ({ '/var/run/docker.sock': socket, 'docker-proxy': volume })[s] ?? `/nonexistent${s}`,
});
await proxy.start();
const proxySocket = join((await docker.getVolume(volume).inspect()).Mountpoint, 'docker.sock');

// The baseline: the image's bundle and node flags, as a process on this machine.
const outfile = join(process.cwd(), 'dist', 'bench', 'mana-ops-image-baseline.js');
await build({ entryPoints: ['src/main.ts'], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile, logLevel: 'error' });
const entrypoint = (await docker.getImage(image).inspect()).Config.Entrypoint ?? [];
const nodeFlags = (typeof entrypoint === 'string' ? entrypoint.split(' ') : entrypoint).filter((a) => a.startsWith('--') && a !== '--');

interface Bot {
  /** The node process's pid on this machine. */
  pid(): number;
  /** What `docker stats` would show (usage less inactive file pages), where there is a container. */
  cgroupBytes(): number | undefined;
  stop(): Promise<void>;
}

function botEnv(httpPort: number, estateFile: string): Record<string, string> {
  return { TELEGRAM_BOT_TOKEN: emu.token, TELEGRAM_API_ROOT: emu.apiRoot, REDIS_URL: redis.url, HTTP_PORT: String(httpPort), ALERTMANAGER_TOKEN: TOKEN, ESTATE_FILE: estateFile, LOG_LEVEL: 'warn', MANA_OPS_POLL_TIMEOUT: '1', MANA_OPS_MODE: 'telegram' };
}

async function startContainer(alertChat: number, httpPort: number): Promise<Bot> {
  const file = estate('/run/docker-proxy/docker.sock', alertChat);
  const c = await createFromCompose(docker, botService as NonNullable<typeof botService>, {
    name: 'mo-bench-bot',
    image,
    mapSource: (s) => (s.endsWith('/config/estate.yml') ? file : s === 'docker-proxy' ? volume : dir),
    env: botEnv(httpPort, '/app/config/estate.yml'),
  });
  await c.start();
  const info = await c.inspect();
  const tini = info.State.Pid;
  const cg = `/sys/fs/cgroup/memory/docker/${info.Id}`;
  return {
    pid: () => Number(readFileSync(`/proc/${tini}/task/${tini}/children`, 'utf8').trim().split(' ')[0]),
    cgroupBytes: () => {
      try {
        const usage = Number(readFileSync(`${cg}/memory.usage_in_bytes`, 'utf8'));
        const inactive = Number(/^total_inactive_file (\d+)$/m.exec(readFileSync(`${cg}/memory.stat`, 'utf8'))?.[1] ?? 0);
        return usage - inactive;
      } catch {
        return undefined;
      }
    },
    stop: async () => {
      await c.stop({ t: 15 }).catch(() => undefined);
      const state = (await c.inspect()).State;
      if (state.OOMKilled) console.log('  the bot container was OOM-killed');
      await c.remove({ force: true });
    },
  };
}

async function startProcess(alertChat: number, httpPort: number): Promise<Bot> {
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags, outfile], {
    env: { PATH: process.env.PATH ?? '', ...botEnv(httpPort, estate(proxySocket, alertChat)) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    pid: () => child.pid ?? 0,
    cgroupBytes: () => undefined,
    stop: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}

const rss = (pid: number) => rssMiB(pid) * 1024 ** 2;
const firstPollAfter = (t: number) => emu.waitFor(() => emu.calls.find((c) => c.method === 'getUpdates' && c.at >= t)?.at, 60_000, 'the first poll');

async function startUp(kind: 'container' | 'process'): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const t = Date.now();
    const bot = kind === 'container' ? await startContainer(-200 - i, await freePort()) : await startProcess(-300 - i, await freePort());
    times.push((await firstPollAfter(t)) - t);
    await bot.stop();
  }
  return times;
}

interface Memory {
  idleRss: number;
  idleCgroup: number | undefined;
  peakRss: number;
  peakCgroup: number | undefined;
  named: number;
  allNamedAfterS: number | undefined;
  currentAfterS: number;
}

async function memory(kind: 'container' | 'process', alertChat: number): Promise<Memory> {
  const httpPort = await freePort();
  const t = Date.now();
  const bot = kind === 'container' ? await startContainer(alertChat, httpPort) : await startProcess(alertChat, httpPort);
  await firstPollAfter(t);
  await sleep(IDLE_MS);
  const idleRss = rss(bot.pid());
  const idleCgroup = bot.cgroupBytes();
  let peakRss = idleRss;
  let peakCgroup = idleCgroup;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rss(bot.pid()));
    const cg = bot.cgroupBytes();
    if (cg !== undefined) peakCgroup = Math.max(peakCgroup ?? 0, cg);
  }, 200);
  const am = await new Alertmanager().start(`http://127.0.0.1:${httpPort}/alertmanager`, TOKEN);
  const times = await playStorm({ emu, botChat: alertChat, alertmanagers: [am], n: N, resolveAfterMs: RESOLVE_AFTER_MS });
  clearInterval(sampler);
  await am.stop();
  await bot.stop();
  return {
    idleRss,
    idleCgroup,
    peakRss,
    peakCgroup,
    named: namedIn(emu, alertChat, N).size,
    allNamedAfterS: times.allNamedAt && (times.allNamedAt - times.t0) / 1000,
    currentAfterS: times.currentAfterMs / 1000,
  };
}

const imageInfo = await docker.getImage(image).inspect();
const baseName = process.env.MO_BOT_BASE ?? 'mana-ops-base:trixie';
const baseInfo = await docker.getImage(baseName).inspect().catch(() => undefined);
const startContainerTimes = await startUp('container');
const startProcessTimes = await startUp('process');
const inContainer = await memory('container', -100_001);
const asProcess = await memory('process', -100_002);

const f1 = (n: number) => n.toFixed(1);
console.log(`image ${image}: ${f1(mib(imageInfo.Size))} MiB${baseInfo ? ` (base ${baseName} ${f1(mib(baseInfo.Size))} MiB; mana-ops adds ${f1(mib(imageInfo.Size - baseInfo.Size))} MiB)` : ''}`);
console.log(`node flags in the image: ${nodeFlags.join(' ')}`);
const sc = median(startContainerTimes);
const sp = median(startProcessTimes);
console.log(`start-up to first poll, median of ${STARTS}: container ${sc} ms (${startContainerTimes.join(', ')}), process ${sp} ms (${startProcessTimes.join(', ')}), x${(sc / sp).toFixed(2)}`);
const row = (label: string, m: Memory) =>
  console.log(
    `${label.padEnd(10)} idle ${IDLE_MS / 1000} s: RSS ${f1(mib(m.idleRss))} MiB${m.idleCgroup !== undefined ? `, docker stats ${f1(mib(m.idleCgroup))} MiB of 128` : ''}` +
      ` · ${N}-alert storm peak: RSS ${f1(mib(m.peakRss))} MiB${m.peakCgroup !== undefined ? `, docker stats ${f1(mib(m.peakCgroup))} MiB of 128` : ''}` +
      ` · named ${m.named} of ${N}${m.allNamedAfterS !== undefined ? ` (all ${f1(m.allNamedAfterS)} s after the first post)` : ''}, current ${f1(m.currentAfterS)} s after the resolve`,
  );
row('container', inContainer);
row('process', asProcess);
console.log(`container / process: idle RSS x${(inContainer.idleRss / asProcess.idleRss).toFixed(2)}, storm peak RSS x${(inContainer.peakRss / asProcess.peakRss).toFixed(2)}`);

await proxy.remove({ force: true });
await docker.getVolume(volume).remove().catch(() => undefined);
await removeContainers(docker, TARGETS);
await redis.dispose();
await emu.stop();
