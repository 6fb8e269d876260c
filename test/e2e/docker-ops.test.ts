import { request as httpRequest } from 'node:http';
import type Docker from 'dockerode';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDockerSocketProxy } from '../../src/proxy/docker-socket-proxy';
import { estateSchema } from '../../src/config/schema';
import { RedisStore } from '../../src/ops/state/redis-store';
import { startBot, type RunningBot } from '../support/bot-harness';
import { httpdCmd, removeContainers, runContainer, testDocker } from '../support/docker';
import { ADMIN, NO_RATE_LIMIT, OPERATOR, OPS_GROUP, TEST_USERS, VIEWER } from '../support/estate';
import { freePort, RedisServer } from '../support/redis';
import type { SentMessage, TgUser } from '../support/telegram-emulator';
import { decodePng } from '../support/png';
import { BAR_CHART } from '../../src/charts/bar-chart';

/**
 * The Docker commands against a small estate of real containers on the test dockerd, named like the
 * real one: serving /health on loopback, unhealthy, exited 137, in a restart loop, a million log lines,
 * a TTY, one that ignores SIGTERM, one near its memory limit.
 */
const redis = new RedisServer();
let bot: RunningBot;
let docker: Docker;
let store: RedisStore;
let verify: RedisStore;
let chatPort = 0;
let proxySocket = '';
let proxy: Server;
let todoPort = 0;
let deafPort = 0;
const NAMES = ['chat-web', 'todo-web', 'chat-backend', 'todo-backend', 'sync', 'biglog', 'tty', 'stubborn', 'memhog', 'secretive', 'quiet', 'ephemeral', 'slowpoke', 'jsonlog', 'deaf', 'mule'].map((n) => `mana-${n}`);

const startedAt = async (name: string) => (await docker.getContainer(name).inspect()).State.StartedAt;

async function ask(user: TgUser, text: string): Promise<SentMessage> {
  const before = bot.emu.messagesTo(user.id).length;
  bot.emu.sendText(user, text);
  return bot.emu.nextMessage(user.id, before, 15_000);
}

async function press(user: TgUser, msg: SentMessage, data: string) {
  const id = bot.emu.press(user, msg, data);
  await bot.emu.waitFor(() => bot.emu.answeredQueries.get(id), 5_000, 'answerCallbackQuery');
}

const buttons = (msg: SentMessage) => (msg.reply_markup?.inline_keyboard ?? []).flat();
const button = (msg: SentMessage, label: string) => buttons(msg).find((b) => b.text.includes(label))?.callback_data ?? `no button ${label}`;

/** Asks, confirms, and waits for the final edit of the confirmation message. */
async function restart(user: TgUser, line: string, timeoutMs = 30_000): Promise<SentMessage> {
  const prompt = await ask(user, line);
  await press(user, prompt, button(prompt, 'Confirm'));
  // Progress edits carry a ⏳ line while a service is still being restarted; the outcome has none.
  await bot.emu.waitFor(() => !prompt.text.includes('⏳ Restarting') && prompt.edits >= 2 && prompt, timeoutMs, `the outcome of ${line}`);
  return prompt;
}

beforeAll(async () => {
  const env = testDocker();
  docker = env.docker;
  chatPort = await freePort();
  todoPort = await freePort();
  deafPort = await freePort();
  const img = env.image;
  await Promise.all([
    runContainer(docker, img, 'mana-chat-web', { network: 'host', cmd: httpdCmd(chatPort), healthCmd: `wget -q -O- http://127.0.0.1:${chatPort}/health` }),
    runContainer(docker, img, 'mana-todo-web', { network: 'host', cmd: httpdCmd(todoPort) }),
    runContainer(docker, img, 'mana-chat-backend', { healthCmd: 'echo "db connection refused" && exit 1' }),
    runContainer(docker, img, 'mana-todo-backend', { cmd: 'echo todo up; exec sleep 100000' }).then((c) => c.kill()),
    runContainer(docker, img, 'mana-sync', { cmd: 'echo sync up; echo fatal: no config >&2; exit 3', restart: 'always' }),
    runContainer(docker, img, 'mana-biglog', { cmd: 'seq 1 1000000; exec sleep 100000' }),
    runContainer(docker, img, 'mana-tty', { tty: true, cmd: 'printf "\\033[31mred alert\\033[0m <b>bold</b>\\n"; exec sleep 100000' }),
    runContainer(docker, img, 'mana-stubborn', { cmd: "trap '' TERM; while true; do sleep 1; done" }),
    runContainer(docker, img, 'mana-memhog', { memoryBytes: 24 * 1024 * 1024, cmd: '(head -c 22000000 /dev/zero; sleep 100000) | tail > /dev/null' }),
    runContainer(docker, img, 'mana-secretive', {
      cmd: 'echo "MANA_STT_API_KEY=sk-live-abc123"; echo "db postgres://mana:hunter2@mana-postgres:5432/chat"; echo "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"; exec sleep 100000',
    }),
    runContainer(docker, img, 'mana-quiet', { cmd: 'exec sleep 100000' }),
    runContainer(docker, img, 'mana-ephemeral'),
    // Its first health probe comes after 60 s: it stays "starting" far beyond its verify timeout.
    runContainer(docker, img, 'mana-slowpoke', { healthCmd: 'true', healthIntervalMs: 60_000 }),
    // Runs, but nothing answers its HTTP check; and one that ignores SIGTERM with a 10 s stop timeout.
    runContainer(docker, img, 'mana-deaf', { cmd: 'exec sleep 100000' }),
    runContainer(docker, img, 'mana-mule', { cmd: "trap '' TERM; while true; do sleep 1; done" }),
    // pino-style JSON: every line full of quotes and < > &, with emoji, RTL text and one 900-character line.
    runContainer(docker, img, 'mana-jsonlog', {
      cmd: `i=0; while [ $i -lt 80 ]; do echo '{"level":30,"i":'$i',"msg":"GET /chat?q=<b>&x=\\"y\\" ✅ 🚀 שלום עולם","req":{"h":"<&>"}}'; i=$((i+1)); done; printf '{"msg":"%0900d"}\n' 0; echo '{"level":50,"msg":"newest <end> & \\"done\\""}'; exec sleep 100000`,
    }),
  ]);
  // The bot reaches Docker only through the socket proxy, as in production: the whole suite proves it needs no more.
  proxySocket = join(mkdtempSync(join(tmpdir(), 'mo-px-')), 'docker.sock');
  proxy = await startDockerSocketProxy({ upstreamSocket: env.socket, listen: { socketPath: proxySocket }, rules: { containers: new Set(NAMES) } });
  await redis.start();
  store = new RedisStore({ url: redis.url });
  verify = new RedisStore({ url: redis.url });
  await Promise.all([store.ready(), verify.ready()]);
  const quick = { stop_timeout: '2s', verify_timeout: '8s' };
  const estate = estateSchema.parse({
    version: 1,
    docker_hosts: [
      { name: 'mac-mini', endpoint: `unix://${proxySocket}` },
      { name: 'dead', endpoint: 'unix:///tmp/mo-docker-gone.sock' },
    ],
    disks: [
      { path: '/', label: 'root' },
      { path: '/nonexistent-volume', label: 'ManaData' },
    ],
    memory_budgets: { web: '64m' },
    services: [
      { name: 'postgres', container: 'mana-postgres', category: 'infra', restart: { role: 'admin' } },
      { name: 'chat-backend', container: 'mana-chat-backend', category: 'backend', restart: quick, checks: [{ type: 'docker' }] },
      { name: 'chat-web', aliases: ['chat'], container: 'mana-chat-web', category: 'web', depends_on: ['chat-backend'], restart: quick },
      { name: 'todo-backend', container: 'mana-todo-backend', category: 'backend', restart: quick },
      {
        name: 'todo-web',
        container: 'mana-todo-web',
        category: 'web',
        depends_on: ['todo-backend'],
        restart: quick,
        checks: [{ type: 'http', url: `http://127.0.0.1:${todoPort}/health` }],
      },
      { name: 'sync', container: 'mana-sync', category: 'sync', restart: quick },
      { name: 'biglog', container: 'mana-biglog', category: 'tooling' },
      { name: 'tty', container: 'mana-tty', category: 'tooling' },
      { name: 'stubborn', container: 'mana-stubborn', category: 'tooling', restart: quick },
      { name: 'memhog', container: 'mana-memhog', category: 'tooling' },
      { name: 'secretive', container: 'mana-secretive', category: 'tooling' },
      { name: 'quiet', container: 'mana-quiet', category: 'tooling' },
      { name: 'ephemeral', container: 'mana-ephemeral', category: 'tooling', restart: quick },
      { name: 'slowpoke', container: 'mana-slowpoke', category: 'tooling', restart: { stop_timeout: '2s', verify_timeout: '3s' } },
      { name: 'jsonlog', container: 'mana-jsonlog', category: 'tooling' },
      { name: 'deaf', container: 'mana-deaf', category: 'tooling', checks: [{ type: 'http', url: `http://127.0.0.1:${deafPort}/health`, timeout: '2s' }] },
      { name: 'mule', container: 'mana-mule', category: 'tooling', restart: { stop_timeout: '10s', verify_timeout: '8s' } },
      { name: 'minio', container: 'mana-minio', category: 'infra' },
      { name: 'faraway', container: 'mana-faraway', category: 'monitoring', host: 'dead' },
      { name: 'farther', container: 'mana-farther', category: 'monitoring', host: 'dead' },
    ],
    users: TEST_USERS,
    chats: { commands: [OPS_GROUP.id], alerts: [ADMIN.id] },
    policy: NO_RATE_LIMIT,
  });
  bot = await startBot(estate, store);
  // Let the restart loop, the kill and the million lines settle.
  await new Promise((r) => setTimeout(r, 1_500));
}, 90_000);

afterAll(async () => {
  proxy?.close();
  await bot?.stop();
  await store?.close();
  await verify?.close();
  await redis.dispose();
  if (docker) await removeContainers(docker, NAMES);
});

// What a listener left behind on a command's signal shows as in the admin's log: a warning, once per signal.
const warnings: Error[] = [];
process.on('warning', (w) => warnings.push(w));
afterEach(() => {
  expect(warnings.splice(0).filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual([]);
});

describe('/status', () => {
  it('one message: counts per category, then only what is wrong', async () => {
    const msg = await ask(VIEWER, '/status');
    expect(msg.text.length).toBeLessThan(4096);
    expect(msg.text).toMatch(/web: 2\/2 running/);
    expect(msg.text).toMatch(/backend: 0\/2 running · 1 stopped · 1 unhealthy/);
    const problems = msg.text.slice(msg.text.indexOf('Problems'));
    expect(problems).toMatch(/⛔ <b>todo-backend<\/b>: exited \(exit 137, killed\/OOM\) · .* ago/);
    expect(problems).toMatch(/⚠️ <b>chat-backend<\/b>: Docker healthcheck says unhealthy · up /);
    expect(problems).toMatch(/<b>sync<\/b>: (restarting \(exit 3\)|exited \(exit 3\)|restart loop\?).* · \d+ restarts/);
    expect(problems).toContain('<b>minio</b>: no container mana-minio (never created, or removed)');
    // The host that does not answer is said once, with the services it takes along.
    expect(problems).toContain('🔴 <b>Docker host dead does not answer</b>: Docker unreachable at unix:///tmp/mo-docker-gone.sock (ENOENT). Next: ');
    expect(problems).toContain(' · 2 services: faraway, farther');
    expect(problems.match(/mo-docker-gone/g)).toHaveLength(1);
    expect(problems).not.toContain('<b>chat-web</b>');
    // A disk that cannot be read says why.
    expect(msg.text).toMatch(/Disk<\/b> root \d+% · ManaData \? \(cannot read \/nonexistent-volume \(ENOENT\)\)/);
    expect(buttons(msg).map((b) => b.text)).toEqual(['Problems only', 'All', '🔄 Refresh']);
  });

  it('Docker unreachable on a host: the admin is told where and what to check; other commands still answer', async () => {
    const msg = await ask(VIEWER, '/status faraway');
    expect(msg.text).toContain('Docker unreachable at unix:///tmp/mo-docker-gone.sock');
    expect(msg.text).toContain('Next: check that Colima/dockerd runs');
    expect((await ask(VIEWER, '/ping')).text).toMatch(/^pong/);
  });
});

describe('/status views', () => {
  it('All lists every service; Refresh edits the same message', async () => {
    const msg = await ask(VIEWER, '/status');
    await press(VIEWER, msg, button(msg, 'All'));
    await bot.emu.waitFor(() => msg.text.includes('All services'), 10_000, 'the All view');
    expect(msg.text).toMatch(/<i>web<\/i>: ✅chat-web {2}✅todo-web/);
    const edits = msg.edits;
    const count = bot.emu.messagesTo(VIEWER.id).length;
    await press(VIEWER, msg, button(msg, 'Refresh'));
    await bot.emu.waitFor(() => bot.emu.calls.filter((c) => c.method === 'editMessageText').length > 0 && msg.edits >= edits, 10_000, 'the refresh');
    expect(bot.emu.messagesTo(VIEWER.id).length).toBe(count);
  });

  it('/status <service>: state, health check output, memory, CPU, dependencies', async () => {
    const web = await ask(VIEWER, '/status chat');
    expect(web.text).toContain('<b>chat-web</b> (web)');
    expect(web.text).toMatch(/State: running, healthy · up /);
    expect(web.text).toMatch(/Last health check \(exit 0\): <code>ok<\/code>/);
    expect(web.text).toMatch(/Memory [\d.]+ (KiB|MiB) · CPU [\d.]+%/);
    expect(web.text).not.toContain(' of ');
    expect(web.text).toContain('Ports: host network');
    expect(web.text).toContain('Depends on: chat-backend');
    // A chart only where there is a response time to chart: chat-web has no HTTP check here, todo-web has one.
    expect(buttons(web).map((b) => b.text)).toEqual(['📜 Logs', '🔁 Restart', '🔄 Refresh']);
    expect(buttons(await ask(VIEWER, '/status todo-web')).map((b) => b.callback_data)).toEqual(['s:/logs todo-web', 's:/restart todo-web', 'e:/status todo-web', 's:/graph todo-web']);
    const backend = await ask(VIEWER, '/status chat-backend');
    expect(backend.text).toContain('Last health check (exit 1): <code>db connection refused</code>');
    expect(backend.text).toContain('needed by: chat-web');
    const oom = await ask(VIEWER, '/status todo-backend');
    expect(oom.text).toMatch(/State: exited · down since .* ago · exit 137/);
    expect(buttons(oom).map((b) => b.text)).toEqual(['📜 Logs', '🔁 Restart', '🔄 Refresh']);
  });

  it('/status <category> and an unknown target', async () => {
    const cat = await ask(VIEWER, '/status backend');
    expect(cat.text).toContain('<b>backend: 0/2 running</b>');
    const bad = await ask(VIEWER, '/status chat-wbe');
    expect(bad.text).toContain('unknown service or category &quot;chat-wbe&quot;. Did you mean chat-web?');
  });
});

describe('/restart with verification', () => {
  it('comes back healthy by its Docker healthcheck; the silence is in Redis and the lock is released', async () => {
    const before = await startedAt('mana-chat-web');
    const msg = await restart(OPERATOR, '/restart chat-web');
    expect(msg.text).toMatch(/^✅ <b>chat-web<\/b> healthy after [\d.]+ m?s \(Docker healthcheck\)\.$/);
    expect(await startedAt('mana-chat-web')).not.toBe(before);
    expect(await verify.get('silence:service:chat-web')).toContain('"reason":"restart"');
    expect(await verify.get('lock:restart:chat-web')).toBeNull();
  });

  it('without a Docker healthcheck, by its own HTTP check', async () => {
    const msg = await restart(OPERATOR, '/restart todo-web');
    expect(msg.text).toContain(`✅ <b>todo-web</b> healthy after`);
    expect(msg.text).toContain(`(its check http://127.0.0.1:${todoPort}/health)`);
  });

  it('still failing: the reason and a Logs button', async () => {
    const msg = await restart(OPERATOR, '/restart chat-backend');
    expect(msg.text).toMatch(/❌ <b>chat-backend<\/b> still failing after .*: Docker healthcheck says unhealthy: db connection refused/);
    expect(buttons(msg).map((b) => b.callback_data)).toEqual(['s:/logs chat-backend']);
    const [entry] = await bot.app.env.audit.recent(1);
    expect(entry).toMatchObject({ action: 'confirm:restart', result: 'failed', detail: expect.stringContaining('chat-backend: Docker healthcheck says unhealthy') });
    expect((await verify.tail('audit', 1))[0]?.fields.result).toBe('failed');
    const logs = await ask(OPERATOR, '/logs chat-backend');
    expect(logs.text).toContain('has no log lines');
  });

  it('several services restart in dependency order', async () => {
    const msg = await restart(OPERATOR, '/restart todo-web todo-backend');
    const lines = msg.text.split('\n');
    expect(lines[0]).toMatch(/<b>todo-backend<\/b> healthy after .* \(running\)/);
    expect(lines[1]).toMatch(/<b>todo-web<\/b> healthy after/);
  });

  it('a container that ignores SIGTERM is killed after the stop timeout; a second restart meanwhile is refused', async () => {
    const first = await ask(OPERATOR, '/restart stubborn');
    const second = await ask(ADMIN, '/restart stubborn');
    await press(OPERATOR, first, button(first, 'Confirm'));
    await bot.emu.waitFor(() => first.text.startsWith('⏳'), 5_000, 'restarting…');
    await press(ADMIN, second, button(second, 'Confirm'));
    await bot.emu.waitFor(() => second.text.includes('already restarting'), 10_000, 'the lock');
    expect(second.text).toMatch(/⏳ <b>stubborn<\/b>: already restarting \(started by otto .* ago\)\./);
    await bot.emu.waitFor(() => first.text.includes('healthy after'), 20_000, 'the stubborn restart');
    expect(first.text).toMatch(/✅ <b>stubborn<\/b> healthy after [\d.]+ s \(running\)\. It ignored SIGTERM and was killed after the 2\.0 s stop timeout\./);
    // The time it reports includes the stop timeout it waited out.
    expect(Number(/healthy after ([\d.]+) s/.exec(first.text)?.[1])).toBeGreaterThanOrEqual(2);
  });

  it('while a confirmed restart runs in a group (10 s: it ignores SIGTERM), the group still gets answers', async () => {
    const before = bot.emu.messagesTo(OPS_GROUP.id).length;
    bot.emu.sendText(OPERATOR, '/restart mule', { chat: OPS_GROUP });
    const prompt = await bot.emu.nextMessage(OPS_GROUP.id, before);
    await press(OPERATOR, prompt, button(prompt, 'Confirm'));
    await bot.emu.waitFor(() => prompt.text.startsWith('⏳'), 5_000, 'restarting…');
    const n = bot.emu.messagesTo(OPS_GROUP.id).length;
    bot.emu.sendText(VIEWER, '/ping', { chat: OPS_GROUP });
    const pong = await bot.emu.nextMessage(OPS_GROUP.id, n, 5_000);
    expect(pong.text).toMatch(/^pong/);
    // Answered while the restart was still running: its message still shows the progress.
    expect(prompt.text).toContain('⏳ Restarting');
    // And the group sees "typing…" while it runs (the chat action may land after a reply this quick).
    await bot.emu.waitFor(() => bot.emu.calls.some((c) => c.method === 'sendChatAction' && (c.params as { chat_id?: number }).chat_id === OPS_GROUP.id), 5_000, 'typing in the group');
    await bot.emu.waitFor(() => !prompt.text.startsWith('⏳') && prompt, 30_000, 'the mule restart');
    expect(prompt.text).toMatch(/✅ <b>mule<\/b> healthy after [\d.]+ s \(running\)\. It ignored SIGTERM and was killed after the 10 s stop timeout\./);
  });

  it('a restart whose verification times out says so, with the last reason', async () => {
    const msg = await restart(OPERATOR, '/restart slowpoke');
    expect(msg.text).toMatch(/❌ <b>slowpoke<\/b> still failing after [\d.]+ s: Docker healthcheck still starting/);
    // It gave the verification its whole 3 s before saying so.
    expect(Number(/still failing after ([\d.]+) s/.exec(msg.text)?.[1])).toBeGreaterThanOrEqual(3);
    expect(await verify.get('lock:restart:slowpoke')).toBeNull();
  });

  it('a container removed between confirmation and restart is reported, not crashed on', async () => {
    const prompt = await ask(OPERATOR, '/restart ephemeral');
    await docker.getContainer('mana-ephemeral').remove({ force: true });
    await press(OPERATOR, prompt, button(prompt, 'Confirm'));
    await bot.emu.waitFor(() => prompt.text.startsWith('❌'), 10_000, 'the failure');
    expect(prompt.text).toContain('❌ <b>ephemeral</b>: restart failed: container mana-ephemeral does not exist');
  });

  it('infra only for admins; the confirmation shows what depends on it', async () => {
    expect((await ask(OPERATOR, '/restart postgres')).text).toBe('postgres (infra) may only be restarted by admins.');
    const prompt = await ask(OPERATOR, '/restart chat-backend');
    expect(prompt.text).toContain('Depends on it: chat-web.');
  });
});

describe('/logs', () => {
  it('newest lines in the message, stdout and stderr, HTML-escaped', async () => {
    const msg = await ask(VIEWER, '/logs tty');
    expect(msg.text).toContain('red alert &lt;b&gt;bold&lt;/b&gt;');
    expect(msg.text).not.toContain('\u001b');
    const sync = await ask(VIEWER, '/logs sync lines=4');
    expect(sync.text).toMatch(/<pre>(.|\n)*! fatal: no config(.|\n)*<\/pre>/);
    expect(sync.text).toContain('4 lines');
  });

  it('JSON lines full of quotes and < > & reach the chat, the newest line included, and all of it as a file', async () => {
    const msg = await ask(VIEWER, '/logs jsonlog lines=200');
    expect(msg.text).toContain('newest &lt;end&gt; &amp; \\&quot;done\\&quot;');
    expect(msg.text).toMatch(/<\/pre>\n<i>\d+ older lines not shown/);
    const whole = await ask(VIEWER, '/logs jsonlog lines=200 file=yes');
    const doc = await bot.emu.waitFor(() => bot.emu.messagesTo(VIEWER.id).find((m) => m.document && m.message_id >= whole.message_id), 10_000, 'the document');
    expect(doc.document?.file_name).toMatch(/^jsonlog-/);
  });

  it('blanks secrets', async () => {
    const msg = await ask(VIEWER, '/logs secretive');
    expect(msg.text).toContain('MANA_STT_API_KEY=[redacted]');
    expect(msg.text).toContain('postgres://mana:[redacted]@mana-postgres');
    expect(msg.text).toContain('Authorization: Bearer [redacted]');
    expect(msg.text).not.toMatch(/sk-live|hunter2|eyJhbGci/);
  });

  it('the socket proxy: inspect without Env and command lines, estate containers only, restart with t alone, a bad escape a 400', async () => {
    const call = (method: string, path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({ socketPath: proxySocket, method, path }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const inspect = await call('GET', '/v1.41/containers/mana-secretive/json');
    expect(inspect.status).toBe(200);
    const info = JSON.parse(inspect.body) as { Name: string; State: { Running: boolean }; Config: Record<string, unknown> };
    expect(info).toMatchObject({ Name: '/mana-secretive', State: { Running: true } });
    expect(Object.keys(info.Config)).not.toEqual(expect.arrayContaining(['Env']));
    expect(info.Config.Cmd).toBeUndefined();
    expect(inspect.body).not.toMatch(/hunter2|sk-live|eyJhbGci/);
    expect(await call('GET', '/containers/mana-not-in-the-estate/json')).toMatchObject({ status: 403, body: expect.stringContaining('not a container of the estate') });
    expect((await call('POST', '/containers/mana-quiet/restart?signal=SIGKILL')).status).toBe(403);
    expect((await call('POST', '/containers/mana-quiet/restart?t=9999')).status).toBe(403);
    expect((await call('GET', '/containers/%E0%A4%A/json')).status).toBe(400);
    expect((await call('GET', '/_ping')).status).toBe(200); // still there
  });

  it('grep is no oracle for what is blanked: it matches only what the reader can see', async () => {
    // A viewer guessing the password a character at a time learns nothing: every guess finds no line.
    for (const guess of ['hunter2', 'hunt', 'sk-live-abc', 'eyJhbGci']) {
      const msg = await ask(VIEWER, `/logs secretive grep=${guess}`);
      expect(msg.text).toContain('has no log lines');
    }
    const seen = await ask(VIEWER, '/logs secretive grep=[redacted]');
    expect(seen.text).toContain('3 lines');
  });

  it('what does not fit comes as a .txt document on a button', async () => {
    const msg = await ask(VIEWER, '/logs biglog lines=2000');
    expect(msg.text.length).toBeLessThan(4096);
    expect(msg.text).toContain('999999\n');
    expect(msg.text).toMatch(/<i>\d+ older lines not shown\.<\/i>/);
    const data = button(msg, 'as .txt');
    expect(data).toBe('s:/logs biglog lines=2000 file=yes');
    const count = bot.emu.messagesTo(VIEWER.id).length;
    await press(VIEWER, msg, data);
    const doc = await bot.emu.waitFor(() => bot.emu.messagesTo(VIEWER.id).slice(count).find((m) => m.document), 10_000, 'the document');
    expect(doc.document?.file_name).toMatch(/^biglog-.*\.log\.txt$/);
    expect(doc.document?.size).toBeGreaterThan(2000 * 10);
  });

  it('grep is a literal search, even for a pattern that would backtrack', async () => {
    const hit = await ask(VIEWER, '/logs biglog grep=99999 lines=3');
    expect(hit.text).toContain('3 lines · matching &quot;99999&quot;');
    expect(hit.text).toMatch(/ 999997\n.* 999998\n.* 999999<\/pre>/);
    const evil = await ask(VIEWER, '/logs biglog grep=(a+)+$ lines=3');
    expect(evil.text).toContain('has no log lines (matching &quot;(a+)+$&quot;) in the 100000 lines searched.');
  });

  it('bad arguments get the usage, and no log is read', async () => {
    for (const [line, problem] of [
      ['/logs biglog lines=-5', 'lines: must be a whole number'],
      ['/logs biglog lines=10000000', 'lines: must be at most 2000'],
      ['/logs biglog since=yesterday', 'since: &quot;yesterday&quot; is not a duration'],
      ['/logs nothere', 'service: unknown service &quot;nothere&quot;'],
    ] as const) {
      const msg = await ask(VIEWER, line);
      expect(msg.text).toContain('Usage: <code>/logs &lt;service&gt;');
      expect(msg.text).toContain(problem);
    }
  });

  it('a container with no log output says so', async () => {
    expect((await ask(VIEWER, '/logs quiet')).text).toBe('<b>quiet</b> has no log lines.');
    expect((await ask(VIEWER, '/logs quiet since=5m')).text).toBe('<b>quiet</b> has no log lines (last 5m).');
  });
});

describe('one judgement: /status and the monitor agree', () => {
  it('on an unhealthy container and on a running container whose HTTP check fails', async () => {
    const results = Object.fromEntries(
      await Promise.all(
        bot.app.checks.filter((c) => ['deaf:http', 'chat-backend:docker'].includes(c.id)).map(async (c) => {
          const { SweepContext } = await import('../../src/alerts/checks');
          return [c.id, await c.run(new SweepContext({ catalog: bot.app.catalog, prober: bot.app.env.prober, disk: bot.app.env.disk, docker: bot.app.env.docker, gpu: undefined, tunnels: undefined }))] as const;
        }),
      ),
    );
    const msg = await ask(VIEWER, '/status');
    const problems = msg.text.slice(msg.text.indexOf('Problems'));
    // The monitor's alert reads "<label>: <detail>"; /status says the same words.
    const deaf = bot.app.checks.find((c) => c.id === 'deaf:http');
    expect(results['deaf:http']).toEqual({ ok: false, detail: 'ECONNREFUSED' });
    expect(problems).toContain(`⚠️ <b>deaf</b>: ${deaf?.label}: ECONNREFUSED · up `);
    expect(results['chat-backend:docker']).toMatchObject({ ok: false });
    expect(problems).toContain(`<b>chat-backend</b>: ${(results['chat-backend:docker'] as { detail: string }).detail.split(' · ')[0]}`);
    const detail = await ask(VIEWER, '/status deaf');
    expect(detail.text).toContain(`⛔ HTTP http://127.0.0.1:${deafPort}/health: ECONNREFUSED`);
  });
});

describe('docker checks for the alerting, on the real containers', () => {
  it('one container list per sweep judges every service: running, unhealthy, exited, missing', async () => {
    const { buildChecks, SweepContext } = await import('../../src/alerts/checks');
    const deps = { catalog: bot.app.catalog, prober: bot.app.env.prober, disk: bot.app.env.disk, docker: bot.app.env.docker, gpu: undefined, tunnels: undefined };
    const { estateSchema: schema } = await import('../../src/config/schema');
    const { Catalog } = await import('../../src/config/catalog');
    const estate = schema.parse({
      version: 1,
      docker_hosts: [{ name: 'mac-mini', endpoint: `unix://${proxySocket}` }],
      services: ['chat-web', 'chat-backend', 'quiet', 'minio'].map((n) => ({ name: n, container: `mana-${n}`, category: 'web', checks: [{ type: 'docker' }] })),
      users: [{ id: 1, name: 'a', role: 'admin' }],
    });
    const catalog = new Catalog(estate);
    await docker.getContainer('mana-quiet').kill();
    const checks = buildChecks({ ...deps, catalog });
    const sweep = new SweepContext({ ...deps, catalog });
    const results = Object.fromEntries(await Promise.all(checks.map(async (c) => [c.id, await c.run(sweep)] as const)));
    expect(results['chat-web:docker']).toEqual({ ok: true });
    expect(results['chat-backend:docker']).toEqual({ ok: false, detail: expect.stringMatching(/^Docker healthcheck says unhealthy · up /) });
    expect(results['quiet:docker']).toEqual({ ok: false, detail: expect.stringMatching(/^exited \(exit 137, killed\/OOM\) · .* ago$/) });
    expect(results['minio:docker']).toEqual({ ok: false, detail: 'no container mana-minio (never created, or removed)' });
  });
});

describe('the Docker socket proxy', () => {
  it('refuses what the bot never needs: create, exec, delete, images, and paths that try to escape', async () => {
    const viaProxy = new Dockerode({ socketPath: proxySocket });
    const refused = (p: Promise<unknown>) => p.then(() => 'allowed', (e: { statusCode?: number }) => e.statusCode);
    expect(await refused(viaProxy.createContainer({ Image: testDocker().image, name: 'mana-evil', HostConfig: { Privileged: true } }))).toBe(403);
    expect(await refused(viaProxy.getContainer('mana-chat-web').exec({ Cmd: ['sh'] }))).toBe(403);
    expect(await refused(viaProxy.getContainer('mana-chat-web').remove({ force: true }))).toBe(403);
    expect(await refused(viaProxy.getContainer('mana-chat-web').stop())).toBe(403);
    expect(await refused(viaProxy.listImages())).toBe(403);
    expect(await refused(viaProxy.getContainer('..%2F..%2Fimages%2Fcreate').restart())).toBe(403);
    expect(await docker.listContainers({ all: true, filters: { name: ['mana-evil'] } })).toEqual([]);
    expect((await docker.getContainer('mana-chat-web').inspect()).State.Running).toBe(true);
  });
});

describe('/mem and /disk', () => {
  it('/mem: per category against the budget, the top 10, and who is near the limit', async () => {
    const msg = await ask(VIEWER, '/mem');
    expect(msg.text).toMatch(/<b>Memory: [\d.]+ \w+ in \d+ containers<\/b>/);
    expect(msg.text).toMatch(/web \(2\): [\d.]+ \w+ of 64 MiB \(\d+%\)/);
    // Ahead of this suite's other containers (the image test's bot, sharing the dockerd, may be bigger still).
    const top = [...msg.text.matchAll(/^\d+\. ([\w-]+): /gm)].map((m) => m[1]).filter((n) => !n?.startsWith('mo-img-'));
    expect(top[0]).toBe('memhog');
    expect(msg.text).toMatch(/\d+\. memhog: 2\d MiB \/ 24 MiB \(9\d%\)/);
    expect(msg.text).toContain('Above 90% of their limit');
    expect(msg.text).toMatch(/⚠️ memhog: 2\d MiB of 24 MiB/);
    expect(msg.text).toContain('⚠️ Docker unreachable at unix:///tmp/mo-docker-gone.sock (ENOENT)');
  });

  it('/mem as a picture: its Chart button sends the categories as bars, the figures as the caption', async () => {
    const msg = await ask(VIEWER, '/mem');
    const n = bot.emu.messagesTo(VIEWER.id).length;
    await press(VIEWER, msg, button(msg, 'Chart'));
    const photo = await bot.emu.waitFor(() => bot.emu.messagesTo(VIEWER.id).slice(n).find((m) => m.photo), 15_000, 'the chart');
    expect(photo.text).toMatch(/web \(2\): [\d.]+ \w+ of 64 MiB \(\d+%\)/);
    expect(buttons(photo).map((b) => b.text)).toEqual(['🔄 Refresh', '📝 As text']);
    const pic = decodePng(photo.photo?.bytes ?? new Uint8Array());
    expect(pic.width).toBe(BAR_CHART.width);
    // One bar per category of the text, each drawn in a colour (not the track's grey).
    const categories = [...photo.text.matchAll(/^[🔴▫️]+ ([\w -]+) \(\d+\):/gmu)].length;
    expect(pic.height).toBe(BAR_CHART.top + categories * BAR_CHART.row + 60);
    for (let i = 0; i < categories; i++) {
      const [r, g, b] = pic.at(BAR_CHART.left + 1, BAR_CHART.top + i * BAR_CHART.row + BAR_CHART.barHeight / 2);
      expect(Math.max(r, g, b) - Math.min(r, g, b)).toBeGreaterThan(60);
    }
  });

  it('/disk: volumes with thresholds and what Docker takes', async () => {
    const msg = await ask(VIEWER, '/disk');
    expect(msg.text).toMatch(/<b>root<\/b>: \d+% used · [\d.]+ \w+ free of [\d.]+ \w+/);
    expect(msg.text).toContain("❓ <b>ManaData</b>: cannot read /nonexistent-volume (ENOENT). mount it into the bot's container");
    expect(msg.text).toContain('<b>Docker on mac-mini</b>');
    expect(msg.text).toMatch(/Images: [1-9]\d* · /);
    expect(msg.text).toContain('<b>Docker on dead</b>\n⚠️ Docker unreachable at unix:///tmp/mo-docker-gone.sock (ENOENT)');
  });
});
