import { execFileSync, spawn } from 'node:child_process';
import semver from 'semver';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bytesOf, composeConfig, createFromCompose, TEST_REDIS_PASSWORD, unescapeCompose } from '../support/compose';
import { RedisStore } from '../../src/ops/state/redis-store';
import { removeContainers, runContainer, testDocker } from '../support/docker';
import { ADMIN, NO_RATE_LIMIT, OPS_GROUP, TEST_USERS } from '../support/estate';
import { freePort, RedisServer } from '../support/redis';
import { makeKeys } from '../support/sshd';
import { TelegramEmulator, type SentMessage, type TgUser } from '../support/telegram-emulator';
import { decodePng } from '../support/png';
import { WindowsBox } from '../support/windows-box';

/**
 * The container image as docker-compose.bot.yml runs it: the bot and the socket proxy built from the Dockerfile
 * (scripts/test.sh builds it on a Debian base made offline and exports MO_BOT_IMAGE), each created with its
 * compose service's settings (user, network, read-only root, capabilities, memory, logging, volumes), against
 * the test dockerd, Redis, the Bot API emulator and the emulated GPU box.
 */
const { docker, socket, image: busybox } = testDocker();
const image = process.env.MO_BOT_IMAGE ?? '';
const { config: compose, dir: composeDir } = composeConfig();
const BOT = 'mo-img-bot';
const PROXY = 'mo-img-docker-proxy';
const TARGET = 'mo-img-chat-web';
const volume = `mo-img-proxy-${process.pid}`;
const emu = new TelegramEmulator();
const redis = new RedisServer();
const keys = makeKeys();
const box = new WindowsBox(keys);
const dir = mkdtempSync(join(tmpdir(), 'mo-img-'));
let bot: Docker.Container;
const ALERTMANAGER_TOKEN = 'image-test-alertmanager-token-0123';
mkdirSync(join(dir, 'secrets'));
const key = join(dir, 'secrets', 'gpu_ssh_key');
// The compose file's host paths, as `docker-compose config` resolved them, mapped into this test.
const mapSource = (source: string) =>
  ({
    [`${composeDir}/config/estate.yml`]: join(dir, 'estate.yml'),
    [`${composeDir}/secrets`]: join(dir, 'secrets'),
    '/home/admin/.mana-ops/disk': dir,
    '/Volumes/ManaData/.mana-ops/disk': dir,
    '/var/run/docker.sock': socket,
    'docker-proxy': volume,
  })[source] ?? `/nonexistent${source}`;

const service = (name: string) => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.bot.yml has no service ${name}`);
  return s;
};
const inspect = (name: string) => docker.getContainer(name).inspect();
const dockerCli = (...args: string[]) => execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${socket}` }, encoding: 'utf8' });

async function ask(user: TgUser, text: string, timeoutMs = 15_000): Promise<SentMessage> {
  const before = emu.messagesTo(user.id).length;
  emu.sendText(user, text);
  return emu.nextMessage(user.id, before, timeoutMs);
}

beforeAll(async () => {
  if (!image) throw new Error('MO_BOT_IMAGE is not set: run the tests with `npm test` (scripts/test.sh builds the image)');
  await Promise.all([emu.start(), redis.start(), box.start()]);
  box.tasks.set('ManaSTT', { state: 4, lastRunTime: Date.now() - 3_600_000, lastTaskResult: 267009 });
  // The README's instruction for the mounted key: readable by group 10001, the bot's.
  copyFileSync(keys.clientKeyPath, key);
  chownSync(key, 0, 10001);
  chmodSync(key, 0o640);
  writeFileSync(
    join(dir, 'estate.yml'),
    `version: 1
timezone: Europe/Berlin
docker_hosts: [{ name: mac-mini, endpoint: "unix:///run/docker-proxy/docker.sock" }]
gpu_box: { name: mana-gpu, host: 127.0.0.1, port: ${box.port}, user: mana, host_key_fingerprint: "${keys.hostFingerprint}", ollama_url: "http://127.0.0.1:9" }
disks: [{ path: /host/root, label: "Mac Mini internal SSD" }]
services:
  - { name: chat-web, container: ${TARGET}, category: web, checks: [{ type: docker }] }
  - { name: gpu-stt, host: gpu, windows: { scheduled_task: ManaSTT }, category: gpu }
users: ${JSON.stringify(TEST_USERS)}
chats: { alerts: [${OPS_GROUP.id}], commands: [] }
policy: ${JSON.stringify(NO_RATE_LIMIT)}
`,
  );
  await runContainer(docker, busybox, TARGET, { healthCmd: 'true' });
  const proxy = await createFromCompose(docker, service('docker-proxy'), { name: PROXY, image, mapSource, healthIntervalMs: 500 });
  await proxy.start();
  // As compose's depends_on (service_healthy): the bot starts once the proxy's own check passes.
  await vi.waitFor(
    async () => {
      const health = (await inspect(PROXY)).State.Health;
      if (health?.Status !== 'healthy') throw new Error(`the proxy is ${health?.Status}: ${health?.Log.at(-1)?.Output ?? ''}`);
    },
    { timeout: 30_000, interval: 250 },
  );
  bot = await createFromCompose(docker, service('bot'), {
    name: BOT,
    image,
    mapSource,
    healthIntervalMs: 1_000,
    env: { TELEGRAM_BOT_TOKEN: emu.token, TELEGRAM_API_ROOT: emu.apiRoot, REDIS_URL: redis.url, ALERTMANAGER_TOKEN, MANA_OPS_POLL_TIMEOUT: '1' },
  });
  await bot.start();
  await emu.waitFor(() => emu.messagesTo(OPS_GROUP.id).length > 0, 30_000, 'the start notice').catch(async (err: Error) => {
    throw new Error(`${err.message}\nthe bot's log:\n${(await bot.logs({ stdout: true, stderr: true, tail: 30 })).toString()}`);
  });
}, 120_000);

afterAll(async () => {
  await removeContainers(docker, [BOT, PROXY, TARGET]);
  await docker.getVolume(volume).remove().catch(() => undefined);
  await Promise.all([emu.stop(), redis.dispose(), box.stop()]);
});

describe('the image under docker-compose.bot.yml', () => {
  it('starts as uid 10001 in its read-only, 128 MB container and says so in the alert chat', async () => {
    expect(emu.messagesTo(OPS_GROUP.id)[0]?.text).toMatch(/^🟢 mana-ops started · 3 checks · 2 services · polling$/);
    const info = await inspect(BOT);
    // tini is PID 1 of the container; the bot is its child, not root.
    const children = readFileSync(`/proc/${info.State.Pid}/task/${info.State.Pid}/children`, 'utf8').trim().split(' ');
    expect(children).toHaveLength(1);
    const status = readFileSync(`/proc/${children[0]}/status`, 'utf8');
    expect(status).toMatch(/^Uid:\s+10001\s+10001\s+10001\s+10001$/m);
    expect(status).toMatch(/^CapEff:\s+0+$/m);
    expect(readFileSync(`/proc/${children[0]}/cmdline`, 'utf8').split('\0')).toContain('dist/main.js');
  });

  it("runs a Node LTS line that is not past its end of life, the Dockerfile's default, within engines; @types/node follows the oldest line engines names", () => {
    // The Node.js release schedule (github.com/nodejs/Release): when each LTS line's maintenance ends.
    const endOfLife: Record<number, string> = { 18: '2025-04-30', 20: '2026-04-30', 22: '2027-04-30', 24: '2028-04-30', 26: '2029-04-30' };
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string }; devDependencies: Record<string, string> };
    const imageNode = dockerCli('exec', BOT, 'node', '--version').trim();
    const defaultBase = /^ARG BASE_IMAGE=node:(\d+)-/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1];
    expect(semver.major(imageNode)).toBe(Number(defaultBase));
    expect(readFileSync('docker-compose.bot.yml', 'utf8')).toContain(`BASE_IMAGE:-node:${defaultBase}-`);
    expect(endOfLife[semver.major(imageNode)], `Node ${imageNode} is not an LTS line`).toBeDefined();
    expect(Date.parse(endOfLife[semver.major(imageNode)] as string)).toBeGreaterThan(Date.now());
    expect(semver.satisfies(imageNode, pkg.engines.node)).toBe(true);
    expect(semver.satisfies(process.version, pkg.engines.node)).toBe(true);
    const oldest = semver.minVersion(pkg.engines.node);
    expect(semver.minVersion(pkg.devDependencies['@types/node'] ?? '')?.major).toBe(oldest?.major);
  });

  it("reads the estate's clock from the system's time-zone files (tzdata), not from Intl's ICU data", () => {
    const probe = "const b = require('fs').readFileSync('/usr/share/zoneinfo/Europe/Berlin'); process.stdout.write(b.toString('latin1', 0, 4) + ' ' + b.toString('latin1').trim().split('\\n').pop())";
    expect(dockerCli('exec', BOT, 'node', '-e', probe)).toBe('TZif CET-1CEST,M3.5.0,M10.5.0/3');
  });

  it('/status and /restart reach Docker only through the proxy container', async () => {
    const status = await ask(ADMIN, '/status chat-web');
    expect(status.text).toContain('chat-web');
    expect(status.text).toMatch(/running/);
    const before = (await inspect(TARGET)).State.StartedAt;
    const prompt = await ask(ADMIN, '/restart chat-web');
    emu.press(ADMIN, prompt, prompt.reply_markup?.inline_keyboard?.[0]?.[0]?.callback_data ?? 'none');
    await emu.waitFor(() => /healthy after|still failing|Failed/.test(prompt.text) && prompt, 30_000, 'the restart outcome');
    expect(prompt.text).toMatch(/^✅ <b>chat-web<\/b> healthy after [\d.]+ m?s \(Docker healthcheck\)/);
    expect((await inspect(TARGET)).State.StartedAt).not.toBe(before);
  });

  it('/gpu reaches the GPU box over SSH with the key mounted read-only', async () => {
    const msg = await ask(ADMIN, '/gpu');
    expect(msg.text).toContain('NVIDIA GeForce RTX 3090');
    expect(msg.text).toMatch(/gpu-stt<\/b> \(ManaSTT\): Running/);
  });

  it('draws pictures inside the image: /mem chart arrives as a PNG (resvg and its font in the production dependencies)', async () => {
    const before = emu.messagesTo(ADMIN.id).length;
    emu.sendText(ADMIN, '/mem chart');
    const msg = await emu.waitFor(() => emu.messagesTo(ADMIN.id).slice(before).find((m) => m.photo || m.text), 20_000, 'the chart');
    expect(msg.photo?.width).toBe(960);
    expect(msg.text).toContain('Memory:');
    // Text was drawn (the font was found): the title's row has dark pixels on the white background.
    const pic = decodePng(msg.photo?.bytes ?? new Uint8Array());
    let dark = 0;
    for (let x = 30; x < 330; x++) for (let y = 15; y < 45; y++) if (Math.max(...pic.at(x, y)) < 100) dark++;
    expect(dark).toBeGreaterThan(500);
  });

  it('/disk reads the disk mounted at /host/root', async () => {
    const msg = await ask(ADMIN, '/disk');
    expect(msg.text).toContain('Mac Mini internal SSD');
    expect(msg.text).toMatch(/\d+ ?%/);
  });

  it('code run inside the bot container gets no Docker socket, no writable root and no create through the proxy', () => {
    const probe = `
      const http = require('node:http'); const fs = require('node:fs');
      const call = (method, path) => new Promise((resolve) => {
        const req = http.request({ socketPath: '/run/docker-proxy/docker.sock', method, path, headers: { 'content-type': 'application/json' } }, (res) => {
          let body = ''; res.on('data', (d) => (body += d)); res.on('end', () => resolve({ status: res.statusCode, body }));
        });
        req.on('error', (e) => resolve({ error: e.code }));
        req.end(method === 'POST' ? JSON.stringify({ Image: '${busybox}' }) : undefined);
      });
      (async () => {
        let write; try { fs.writeFileSync('/app/dist/evil.js', 'x'); write = 'written'; } catch (e) { write = e.code; }
        const out = {
          uid: process.getuid(), socket: fs.existsSync('/var/run/docker.sock'), write,
          list: (await call('GET', '/v1.41/containers/json')).status,
          create: await call('POST', '/v1.41/containers/create?name=mo-img-evil'),
          exec: (await call('POST', '/v1.41/containers/${TARGET}/exec')).status,
        };
        console.log(JSON.stringify(out));
      })();`;
    const out = JSON.parse(dockerCli('exec', BOT, 'node', '-e', probe)) as Record<string, unknown> & { create: { status: number; body: string } };
    expect(out).toMatchObject({ uid: 10001, socket: false, write: 'EROFS', list: 200, exec: 403 });
    expect(out.create.status).toBe(403);
    expect(out.create.body).toContain('refused by the mana-ops socket proxy');
    expect(dockerCli('ps', '-a', '--format', '{{.Names}}')).not.toContain('mo-img-evil');
  });

  it("Docker's health check runs the image's HEALTHCHECK: healthy, then unhealthy naming Redis while it is down", async () => {
    const health = async () => (await inspect(BOT)).State.Health;
    await expect.poll(async () => (await health())?.Status, { timeout: 20_000, interval: 500 }).toBe('healthy');
    expect((await health())?.Log.at(-1)?.Output).toContain('"telegram":{"ok":true}');
    await redis.stop();
    try {
      await expect.poll(async () => (await health())?.Status, { timeout: 30_000, interval: 500 }).toBe('unhealthy');
      expect((await health())?.Log.at(-1)?.Output).toMatch(/"redis":\{"ok":false,"detail":"[^"]+"\}/);
    } finally {
      await redis.start(redis.port);
    }
    await expect.poll(async () => (await health())?.Status, { timeout: 30_000, interval: 500 }).toBe('healthy');
  });

  it("takes an Alertmanager webhook at the one URL the README, .env.example and the compose file give, through extra_hosts' host-gateway", async () => {
    const readme = readFileSync('README.md', 'utf8');
    const urls = new Set([...readme.matchAll(/https?:\/\/[\w.-]+:\d+\/alertmanager/g), ...readFileSync('.env.example', 'utf8').matchAll(/https?:\/\/[\w.-]+:\d+\/alertmanager/g)].map((m) => m[0]));
    expect([...urls]).toEqual(['http://mana-ops:9095/alertmanager']);
    expect(readme).toContain('extra_hosts: ["mana-ops:host-gateway"]');
    expect(service('bot').environment?.HTTP_PORT).toBe('9095');
    const url = [...urls][0] as string;
    // Alertmanager's side, as the README sets it up: a container whose /etc/hosts names mana-ops host-gateway
    // (the test dockerd's host-gateway is 127.0.0.1, where the bot listens with host networking).
    const hook = {
      version: '4', groupKey: '{}:{alertname="ImageProbe"}', status: 'firing', receiver: 'mana-ops', groupLabels: { alertname: 'ImageProbe' },
      commonLabels: { alertname: 'ImageProbe', service: 'chat-web' }, commonAnnotations: { summary: 'posted to the README URL' }, externalURL: 'http://alertmanager:9093',
      alerts: [{ status: 'firing', labels: { alertname: 'ImageProbe', service: 'chat-web' }, annotations: { summary: 'posted to the README URL' }, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', fingerprint: 'aa11' }],
    };
    const before = emu.messagesTo(OPS_GROUP.id).length;
    const poster = await runContainer(docker, busybox, 'mo-img-alertmanager', {
      network: 'host',
      extraHosts: ['mana-ops:host-gateway'],
      cmd: `wget -q -O - --header 'Authorization: Bearer ${ALERTMANAGER_TOKEN}' --header 'Content-Type: application/json' --post-data '${JSON.stringify(hook)}' ${url}`,
    });
    const { StatusCode } = (await poster.wait()) as { StatusCode: number };
    const out = (await poster.logs({ stdout: true, stderr: true })).toString();
    await removeContainers(docker, ['mo-img-alertmanager']);
    expect(StatusCode, out).toBe(0);
    const alert = await emu.nextMessage(OPS_GROUP.id, before, 15_000);
    expect(alert.text).toContain('ImageProbe');
    expect(alert.text).toContain('posted to the README URL');
  });

  it('docker stop: tini hands SIGTERM to the bot, which says so in the alert chat and exits 0', async () => {
    await bot.stop({ t: 15 });
    const info = await inspect(BOT);
    expect(info.State.ExitCode).toBe(0);
    expect(emu.messagesTo(OPS_GROUP.id).at(-1)?.text).toMatch(/^🔴 mana-ops stopping \(clean shutdown at \d\d:\d\d CES?T\): no alerts until it is back\.$/);
  });

  it('without a token the container stops at once with a sentence, not a console on a closed stdin', async () => {
    const name = 'mo-img-no-token';
    const c = await createFromCompose(docker, service('bot'), { name, image, mapSource });
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    const logs = (await c.logs({ stdout: true, stderr: true })).toString();
    await removeContainers(docker, [name]);
    expect(StatusCode).toBe(2);
    expect(logs).toContain('TELEGRAM_BOT_TOKEN is required in telegram mode');
  });
});

describe('docker-compose.bot.yml', () => {
  const services = Object.entries(compose.services);

  it('has the bot, its Redis and the socket proxy, each restarting unless stopped, logs rotated like the estate', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['bot', 'docker-proxy', 'redis']);
    for (const [, s] of services) {
      expect(s.restart).toBe('unless-stopped');
      expect(s.logging).toEqual({ driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } });
      expect(s.read_only).toBe(true);
      expect(s.security_opt).toContain('no-new-privileges:true');
    }
  });

  it('keeps the bot within 128 MB without swap, and the stack within 256 MB', () => {
    const limit = (s: { mem_limit?: string }) => bytesOf(s.mem_limit ?? '0');
    expect(limit(service('bot'))).toBeLessThanOrEqual(128 * 1024 ** 2);
    for (const [, s] of services) expect(s.memswap_limit).toBe(s.mem_limit);
    expect(services.reduce((sum, [, s]) => sum + limit(s), 0)).toBeLessThanOrEqual(256 * 1024 ** 2);
  });

  it('gives the Docker socket to the proxy alone, which has no network and no capabilities', () => {
    const withSocket = services.filter(([, s]) => (s.volumes ?? []).some((v) => v.startsWith('/var/run/docker.sock:'))).map(([n]) => n);
    expect(withSocket).toEqual(['docker-proxy']);
    expect(service('docker-proxy').network_mode).toBe('none');
    expect(service('docker-proxy').cap_drop).toEqual(['ALL']);
    expect(service('bot').cap_drop).toEqual(['ALL']);
  });

  it('mounts the estate file and the secrets directory read-only, and reads every secret of .env.example by name', () => {
    const vols = service('bot').volumes ?? [];
    expect(vols).toContain(`${composeDir}/config/estate.yml:/app/config/estate.yml:ro`);
    expect(vols).toContain(`${composeDir}/secrets:/run/secrets:ro`);
    const names = [...readFileSync('.env.example', 'utf8').matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]).filter((n) => n !== 'REDIS_PASSWORD');
    expect(Object.keys(service('bot').environment ?? {})).toEqual(expect.arrayContaining(names));
    // .env's values, never the compose file's own.
    expect(readFileSync('docker-compose.bot.yml', 'utf8')).not.toMatch(/^\s*[A-Z_]*(TOKEN|SECRET):[ \t]*[^\s$]/m);
  });

  it("the README's Colima mounts keep the home mount next to the SSD (a mounts: list replaces Colima's default)", () => {
    const block = /```yaml\n# ~\/\.colima\/default\/colima\.yaml[^\n]*\n([\s\S]*?)```/.exec(readFileSync('README.md', 'utf8'))?.[1] ?? '';
    const mounts = (parse(block) as { mounts?: { location: string }[] }).mounts?.map((m) => m.location);
    // The compose file's host paths: the project (estate file, secrets) and ~/.mana-ops under home, and the SSD.
    expect(mounts).toEqual(['/Users/mana', '/Volumes/ManaData']);
    const binds = (service('bot').volumes ?? []).map((v) => v.split(':')[0] as string).filter((src) => src.startsWith('/'));
    for (const src of binds.map((b) => b.replace(composeDir, '/Users/mana/projects/mana-ops').replace('/home/admin', '/Users/mana'))) {
      expect(mounts?.some((m) => src === m || src.startsWith(`${m}/`)), `${src} is not under a Colima mount`).toBe(true);
    }
  });

  it('resolves without a .env, saying only that REDIS_PASSWORD is needed; with it alone, the secrets are empty', () => {
    expect(() => composeConfig(null)).toThrow(/REDIS_PASSWORD is not set: put one in \.env \(openssl rand -hex 24\)/);
    const bare = composeConfig(null, { REDIS_PASSWORD: TEST_REDIS_PASSWORD }).config.services.bot;
    expect(bare?.environment?.TELEGRAM_BOT_TOKEN).toBe('');
    expect(bare?.environment?.HEARTBEAT_INTERVAL).toBe('60s');
  });

  it("mounts for the disk probe only empty directories of its own: never the home directory, ~/.ssh, ~/.cloudflared, the estate's .env or the SSD's backups", () => {
    const binds = (service('bot').volumes ?? []).map((v) => v.split(':')[0] as string).filter((src) => src.startsWith('/'));
    const guarded = ['/home/admin', '/home/admin/.ssh/id_ed25519', '/home/admin/.cloudflared/cert.pem', '/home/admin/projects/mana-monorepo/.env', '/Volumes/ManaData/backups/postgres', '/Volumes/ManaData'];
    for (const src of binds) for (const path of guarded) expect(path === src || path.startsWith(`${src}/`), `${src} exposes ${path}`).toBe(false);
    expect(service('bot').volumes).toEqual(expect.arrayContaining(['/home/admin/.mana-ops/disk:/host/root:ro', '/Volumes/ManaData/.mana-ops/disk:/host/ManaData:ro']));
  });

  it('runs Redis as its own user without capabilities, with the password from .env on stdin, and the bot only once Redis and the proxy are healthy', async () => {
    const r = service('redis');
    expect(r.user).toBe('redis');
    expect(r.cap_drop).toEqual(['ALL']);
    expect(service('bot').depends_on).toEqual({ redis: { condition: 'service_healthy' }, 'docker-proxy': { condition: 'service_healthy' } });
    expect(service('docker-proxy').healthcheck?.test).toBeUndefined(); // the image's check, on the proxy's health port
    expect(service('docker-proxy').environment).toMatchObject({ PROXY_HEALTH_PORT: '9096', HEALTHCHECK_PORT: '9096' });
    // The service's command and healthcheck run for real, with Debian's redis-server, on a free port.
    const port = String(await freePort());
    const [shell, flag, script] = (r.command as string[]).map(unescapeCompose);
    const onPort = (text: string) => text.replaceAll('6390', port);
    const data = mkdtempSync(join(tmpdir(), 'mo-redis-compose-'));
    const env = { PATH: process.env.PATH ?? '', ...r.environment };
    const server = spawn(shell as string, [flag as string, onPort(script as string)], { cwd: data, env, stdio: 'ignore' });
    const healthcheck = (extra: Record<string, string> = {}) => {
      try {
        execFileSync('sh', ['-c', onPort(unescapeCompose((r.healthcheck?.test ?? [])[1] ?? ''))], { env: { ...env, ...extra }, stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    };
    try {
      await expect.poll(() => healthcheck(), { timeout: 10_000, interval: 100 }).toBe(true);
      expect(healthcheck({ REDISCLI_AUTH: 'wrong' })).toBe(false);
      // Anyone else on the VM's loopback: refused.
      expect(execFileSync('redis-cli', ['-p', port, 'set', 'k', 'v'], { env: { PATH: env.PATH }, encoding: 'utf8' })).toMatch(/NOAUTH/);
      // The bot's REDIS_URL, as compose builds it from the same .env.
      const store = new RedisStore({ url: onPort(service('bot').environment?.REDIS_URL ?? '') });
      expect(await store.ready()).toBe(true);
      await store.set('probe', 'ok', 10_000);
      expect(await store.get('probe')).toBe('ok');
      await store.close();
      expect(readFileSync(`/proc/${server.pid}/cmdline`, 'utf8')).not.toContain(TEST_REDIS_PASSWORD);
      const children = execFileSync('ps', ['-o', 'args=', '--ppid', String(server.pid), '--pid', String(server.pid)], { encoding: 'utf8' });
      expect(children).toContain('redis-server');
      expect(children).not.toContain(TEST_REDIS_PASSWORD);
    } finally {
      server.kill('SIGTERM');
    }
  });

  it('without REDIS_PASSWORD in .env, compose stops and says what to put there', () => {
    let problem = '';
    try {
      composeConfig('');
    } catch (err) {
      problem = String((err as { stderr?: string }).stderr ?? err);
    }
    expect(problem).toContain('REDIS_PASSWORD is not set: put one in .env (openssl rand -hex 24)');
  });

  it('keeps Redis append-only on a named volume', () => {
    const redisService = service('redis');
    expect(String(redisService.command)).toContain('--appendonly yes');
    expect(redisService.volumes).toContain('redis-data:/data:rw');
    expect(compose.volumes).toHaveProperty('redis-data');
  });
});

