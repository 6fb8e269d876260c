import { once } from 'node:events';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startBotProcess } from '../support/bot-process';
import { freePort, RedisServer } from '../support/redis';
import { TelegramEmulator } from '../support/telegram-emulator';

const dir = mkdtempSync(join(tmpdir(), 'mo-proc-'));
const start = startBotProcess;

const ESTATE = (extra = '') => `
version: 1
docker_hosts: [{ name: local, endpoint: "unix:///tmp/mo-no-docker.sock" }]
services:
  - { name: chat-web, container: mo-proc-chat-web, category: web, host: local }
users:
  - { id: 100, name: ada, role: admin }
${extra}`;

describe('the mana-ops process', () => {
  it('refuses a bad estate file with exit code 2 and one line per problem, no stack trace', async () => {
    const file = join(dir, 'bad.yml');
    writeFileSync(file, ESTATE().replace('category: web', 'category: webb').replace('id: 100', 'id: -5'));
    const run = await start({ ESTATE_FILE: file }).done;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('services[0] (chat-web), line 5: category:');
    expect(run.stderr).toContain('users[0] (ada), line 7: id:');
    expect(run.stderr).not.toMatch(/\n\s+at .*\(/);
  });

  it('refuses a malformed token with exit code 2', async () => {
    const run = await start({ ESTATE_FILE: join(dir, 'missing.yml'), TELEGRAM_BOT_TOKEN: 'oops' }).done;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('TELEGRAM_BOT_TOKEN: does not look like a BotFather token');
  });

  it("refuses to run Telegram mode on the example's placeholders, naming each, with exit code 2", async () => {
    const run = await start({ TELEGRAM_BOT_TOKEN: '123456789:TEST-emulator-token-000000000000000', TELEGRAM_API_ROOT: 'http://127.0.0.1:9' }).done;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("config/estate.example.yml: still the example's placeholders");
    expect(run.stderr).toContain('  - gpu_box.host_key_fingerprint');
    expect(run.stderr).toContain('  - cloudflare.account_id');
    expect(run.stderr).toContain('  - cloudflare.zone_id');
    // The example's made-up tunnel id, marked only by a YAML comment that the parser drops.
    expect(run.stderr).toContain("  - tunnels[0].uuid");
  });

  it('with no token opens the console on the example estate; piped input answers and exits', async () => {
    const run = await start({}, '/help\n/whoami\n/restart chat-backend\nn\n').done;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('speaking as admin (admin, id 7117174865)');
    expect(run.stdout).toContain('/restart <service>');
    expect(run.stdout).toContain('Restart chat-backend (mana-chat-backend, backend)?');
    expect(run.stdout).toContain('Depends on it: chat-web.');
    expect(run.stdout).toContain('Cancelled: /restart chat-backend. Nothing was run.');
  });

  describe('in Telegram mode', () => {
    const emu = new TelegramEmulator();
    const redis = new RedisServer();
    beforeAll(async () => {
      await emu.start();
      await redis.start();
    });
    afterAll(async () => {
      await emu.stop();
      await redis.dispose();
    });

    it('a port already taken: exit 1 with what to do, not a process left hanging', async () => {
      const file = join(dir, 'port.yml');
      writeFileSync(file, ESTATE('chats: { alerts: [100] }'));
      const taken = createServer();
      taken.listen(0, '127.0.0.1');
      await once(taken, 'listening');
      const port = (taken.address() as { port: number }).port;
      const run = await start({ HTTP_PORT: String(port), ESTATE_FILE: file, TELEGRAM_BOT_TOKEN: emu.token, TELEGRAM_API_ROOT: emu.apiRoot, REDIS_URL: redis.url, MANA_OPS_POLL_TIMEOUT: '1' }).done;
      taken.close();
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('HTTP_PORT is in use by another process');
    });

    it('answers through the Bot API, logs JSON without the token, and stops cleanly on SIGTERM', async () => {
      const file = join(dir, 'ok.yml');
      writeFileSync(file, ESTATE('chats: { alerts: [100] }'));
      const httpPort = await freePort();
      const beats: number[] = [];
      const heart = createServer((req, res) => {
        beats.push(Date.now());
        res.writeHead(200).end('OK');
      });
      heart.listen(0, '127.0.0.1');
      await once(heart, 'listening');
      const proc = start({
        HEARTBEAT_URL: `http://127.0.0.1:${(heart.address() as { port: number }).port}/ping/abc`,
        HEARTBEAT_INTERVAL: '1s',
        HTTP_PORT: String(httpPort),
        ESTATE_FILE: file,
        TELEGRAM_BOT_TOKEN: emu.token,
        TELEGRAM_API_ROOT: `${emu.apiRoot}/`,
        REDIS_URL: redis.url,
        MANA_OPS_POLL_TIMEOUT: '1',
      });
      await emu.waitFor(() => emu.calls.some((c) => c.method === 'getUpdates'), 15_000, 'polling');
      const started = await emu.nextMessage(100, 0, 10_000);
      expect(started.text).toMatch(/^🟢 mana-ops started · 0 checks · 1 services · polling$/);
      emu.sendText({ id: 100, is_bot: false, first_name: 'Ada' }, '/ping');
      const reply = await emu.nextMessage(100, 1, 10_000);
      expect(reply.text).toMatch(/^pong · up .* · state store: redis ok/);
      emu.sendText({ id: 100, is_bot: false, first_name: 'Ada' }, '/status');
      expect((await emu.nextMessage(100, 2, 10_000)).text).toContain('unreachable');
      const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ ok: true, telegram: { ok: true }, redis: { ok: true }, monitor: { ok: true, detail: 'leader' }, outbox: { ok: true, detail: '0 queued' } });
      const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      expect(metrics).toContain('mana_ops_commands_total{command="ping",result="ok"} 1');
      expect(metrics).toContain('mana_ops_process_resident_memory_bytes');
      // The Docker host of this estate does not exist: the failed list call is counted with its latency.
      expect(metrics).toMatch(/^mana_ops_call_duration_seconds_count\{target="docker",op="list",result="fail"\} [1-9]/m);
      expect(metrics).toMatch(/^mana_ops_outbox_depth 0$/m);
      expect(metrics).toMatch(/^mana_ops_telegram_reachable 1$/m);
      await redis.stop();
      const down = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
      expect(down.status).toBe(503);
      expect(((await down.json()) as { redis: { ok: boolean } }).redis.ok).toBe(false);
      await redis.start(redis.port);
      await expect.poll(() => beats.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2); // one at start, then every second
      proc.child.kill('SIGTERM');
      const run = await proc.done;
      expect(run.code).toBe(0);
      expect(emu.messagesTo(100).at(-1)?.text).toMatch(/^🔴 mana-ops stopping \(clean shutdown at \d\d:\d\d UTC\): no alerts until it is back\.$/);
      heart.close();
      const lines = run.stderr.trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
      expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['mana-ops starting', 'polling Telegram', 'stopped']));
      expect(run.stderr).not.toContain(emu.token.split(':')[1]);
      expect(emu.pendingUpdates).toBe(0);
    });

    it('SIGHUP and /reload put an edited estate file in force; an invalid one is refused and the old one keeps running', async () => {
      const file = join(dir, 'reload.yml');
      writeFileSync(file, ESTATE('chats: { alerts: [100] }'));
      const ada = { id: 100, is_bot: false, first_name: 'Ada' };
      const bob = { id: 200, is_bot: false, first_name: 'Bob' };
      const proc = start({ ESTATE_FILE: file, TELEGRAM_BOT_TOKEN: emu.token, TELEGRAM_API_ROOT: emu.apiRoot, REDIS_URL: redis.url, MANA_OPS_POLL_TIMEOUT: '1', MANA_OPS_MONITOR: 'off' });
      // A failed expectation must not leave the bot running.
      onTestFailed(() => void proc.child.kill('SIGKILL'));
      await emu.waitFor(() => emu.calls.some((c) => c.method === 'getUpdates'), 15_000, 'polling');
      const seen = () => emu.messagesTo(100).length;
      let n = seen();
      emu.sendText(ada, '/silence todo 1h');
      expect((await emu.nextMessage(100, n, 10_000)).text).toContain('&quot;todo&quot; is neither a service nor a check');
      // Bob is not on the allowlist yet: nothing answers him.
      emu.sendText(bob, '/ping');
      writeFileSync(
        file,
        ESTATE('chats: { alerts: [100] }')
          .replace('users:', 'users:\n  - { id: 200, name: bob, role: operator }')
          .replace('services:', 'services:\n  - { name: todo-web, aliases: [todo], container: mo-proc-todo-web, category: web, host: local }'),
      );
      proc.child.kill('SIGHUP');
      await expect.poll(() => proc.logs().some((l) => l.msg === 'estate file reloaded'), { timeout: 10_000 }).toBe(true);
      n = seen();
      emu.sendText(ada, '/silence todo 1h');
      expect((await emu.nextMessage(100, n, 10_000)).text).toContain('🔕 <b>todo-web</b> silenced for 1h');
      emu.sendText(bob, '/ping');
      expect((await emu.nextMessage(200, 0, 10_000)).text).toMatch(/^pong/);
      // The new user's menu is set for his role.
      await expect.poll(() => emu.calls.some((c) => c.method === 'setMyCommands' && JSON.stringify(c.params).includes('"chat_id":200'))).toBe(true);
      writeFileSync(file, ESTATE('chats: { alerts: [100] }').replace('category: web', 'category: webb'));
      n = seen();
      emu.sendText(ada, '/reload');
      const refused = await emu.nextMessage(100, n, 10_000);
      expect(refused.text).toContain('Not reloaded');
      expect(refused.text).toContain('services[0] (chat-web), line 5: category:');
      n = seen();
      emu.sendText(ada, '/unsilence todo');
      expect((await emu.nextMessage(100, n, 10_000)).text).toContain('🔔 <b>todo-web</b> is no longer silenced.');
      proc.child.kill('SIGTERM');
      expect((await proc.done).code).toBe(0);
    });
  });
});
