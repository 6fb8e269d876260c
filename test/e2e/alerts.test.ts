import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { Bot } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/alerts/incident';
import { Monitor } from '../../src/alerts/monitor';
import { TelegramNotifier } from '../../src/bot/notifiers';
import { estateSchema } from '../../src/config/schema';
import { RedisStore } from '../../src/ops/state/redis-store';
import { startBot, type RunningBot } from '../support/bot-harness';
import { ADMIN, NO_RATE_LIMIT, OPERATOR, TEST_USERS } from '../support/estate';
import { silentLogger } from '../support/fakes';
import { freePort, RedisServer } from '../support/redis';
import type { SentMessage } from '../support/telegram-emulator';

/**
 * The monitor end to end: real HTTP and TCP endpoints failing on cue, real Redis, alerts in the chat of
 * the Bot API emulator, buttons through the dispatcher. A fake clock drives thresholds and reminders.
 */
const redis = new RedisServer();
let store: RedisStore;
let bot: RunningBot;
// The monitor's clock starts at the real time and runs ahead; the bot keeps the real one (message age, TTLs).
let clock = Date.now();
let webStatus = 200;
let backendStatus = 200;
let http: Server;
let db: TcpServer | undefined;
let dbPort = 0;
const monitors: Monitor[] = [];
const policy = { ...DEFAULT_POLICY, firstReminderMs: 10 * 60_000 };

async function openDb() {
  db = createTcpServer((s) => s.end());
  db.listen(dbPort, '127.0.0.1');
  await once(db, 'listening');
}


function monitor(id = 'bot-1') {
  const m = new Monitor({
    checks: bot.app.checks,
    deps: { catalog: bot.app.catalog, prober: bot.app.env.prober, disk: bot.app.env.disk, docker: bot.app.env.docker, gpu: undefined, tunnels: undefined },
    store,
    // No auto-retry here: a failed send must surface at once so the monitor's own retry is what is tested.
    notifier: new TelegramNotifier(new Bot(bot.emu.token, { client: { apiRoot: bot.emu.apiRoot } }).api, { privateMs: 0, groupMs: 0 }),
    catalog: bot.app.catalog,
    log: silentLogger(),
    now: () => clock,
    instanceId: id,
    policy,
    history: bot.app.checkHistory,
    // A refused delivery is retried at once here: the tests wait for what the chat shows, not for a backoff.
    retryMs: () => 20,
  });
  monitors.push(m);
  return m;
}

/** Advances the fake clock by a check interval and runs one sweep. */
async function minute(m: Monitor, n = 1) {
  for (let i = 0; i < n; i++) {
    clock += 60_000;
    await m.sweep();
  }
}

const alertsTo = () => bot.emu.messagesTo(ADMIN.id);
const labels = (msg: SentMessage) => (msg.reply_markup?.inline_keyboard ?? []).flat().map((b) => b.text);

beforeAll(async () => {
  await redis.start();
  store = new RedisStore({ url: redis.url });
  await store.ready();
  http = createServer((req, res) => res.writeHead(req.url?.startsWith('/web') ? webStatus : backendStatus).end('x'));
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const port = (http.address() as { port: number }).port;
  dbPort = await freePort();
  await openDb();
  const estate = estateSchema.parse({
    version: 1,
    docker_hosts: [{ name: 'mac-mini', endpoint: 'unix:///tmp/mo-alerts-no-docker.sock' }],
    services: [
      { name: 'postgres', container: 'mana-postgres', category: 'infra', checks: [{ type: 'tcp', host: '127.0.0.1', port: dbPort }] },
      { name: 'chat-backend', container: 'mana-chat-backend', category: 'backend', depends_on: ['postgres'], checks: [{ type: 'http', url: `http://127.0.0.1:${port}/backend/health` }] },
      { name: 'chat-web', container: 'mana-chat-web', category: 'web', depends_on: ['chat-backend'], checks: [{ type: 'http', url: `http://127.0.0.1:${port}/web/`, timeout: '2s' }] },
    ],
    users: TEST_USERS,
    chats: { alerts: [ADMIN.id], commands: [] },
    policy: NO_RATE_LIMIT,
  });
  bot = await startBot(estate, store);
}, 30_000);

afterAll(async () => {
  for (const m of monitors) await m.stop();
  await bot?.stop();
  http?.close();
  db?.close();
  await store?.close();
  await redis.dispose();
});

describe('alerting', () => {
  it('a failure is told once, after two failed checks, with buttons; recovery edits the same message', async () => {
    const m = monitor();
    await m.load();
    await minute(m);
    expect(alertsTo()).toHaveLength(0);
    webStatus = 502;
    await minute(m);
    expect(alertsTo()).toHaveLength(0); // pending, not told
    await minute(m);
    expect(alertsTo()).toHaveLength(1);
    const alert = alertsTo()[0] as SentMessage;
    expect(alert.text).toContain('🔴 <b>chat-web</b> failing: HTTP http://127.0.0.1:');
    expect(alert.text).toContain('HTTP 502 (expected 200)');
    expect(labels(alert)).toEqual(['👀 Ack', '🔕 Silence 1h', '🔁 Restart', '📜 Logs', '📈 Graph 1h']);
    // Graph: the last hour's chart as a photo, from the bot's own checks (no VictoriaMetrics in this estate).
    const graph = (alert.reply_markup?.inline_keyboard ?? []).flat().find((b) => b.text.includes('Graph'))?.callback_data ?? '';
    expect(graph).toBe('s:/graph chat-web 1h');
    bot.emu.press(OPERATOR, { ...alert, chat: { id: OPERATOR.id, type: 'private' } }, graph);
    const photo = await bot.emu.waitFor(() => bot.emu.messagesTo(OPERATOR.id).find((msg) => msg.photo), 10_000, 'the chart');
    expect(photo.text).toContain("📈 <b>chat-web</b> over the last 1h");
    expect(photo.text).toContain("the bot's own checks");
    expect(photo.photo?.width).toBe(960);
    await minute(m, 3);
    expect(alertsTo()).toHaveLength(1); // no repeat
    const open = JSON.parse((await store.get('incidents:open')) ?? '[]') as { check: string; status: string }[];
    expect(open).toEqual([expect.objectContaining({ check: 'chat-web:http', status: 'firing' })]);
    expect((await bot.emu.waitFor(() => true) && (await askAlerts())).text).toContain('chat-web');
    webStatus = 200;
    await minute(m, 2);
    expect(alertsTo()).toHaveLength(1);
    expect(alert.text).toMatch(/^✅ <b>chat-web<\/b> recovered after 6m · HTTP .* \(was: HTTP 502 \(expected 200\)\)$/);
    expect(alert.reply_markup).toBeUndefined();
  });

  it('a parent failure is one message listing what it takes down', async () => {
    const m = monitors[0] as Monitor;
    const before = alertsTo().length;
    db?.close();
    backendStatus = 503;
    await minute(m, 2);
    const fresh = alertsTo().slice(before);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]?.text).toContain('🔴 <b>postgres</b> failing: TCP 127.0.0.1:');
    expect(fresh[0]?.text).toContain('Also failing because of it: chat-backend');
    await openDb();
    backendStatus = 200;
    await minute(m, 2);
    expect(fresh[0]?.text).toMatch(/^✅ <b>postgres<\/b> recovered/);
    expect(alertsTo().length).toBe(before + 1);
  });

  it('Silence 1h from the alert: tracked quietly, resolved quietly; told when the silence ends still failing', async () => {
    const m = monitors[0] as Monitor;
    webStatus = 500;
    await minute(m, 2);
    const alert = alertsTo().at(-1) as SentMessage;
    const data = (alert.reply_markup?.inline_keyboard ?? []).flat().find((b) => b.text.includes('Silence'))?.callback_data ?? '';
    const n = bot.emu.messagesTo(OPERATOR.id).length;
    // The operator presses it in their own chat, as they would from a forwarded alert in a group.
    bot.emu.press(OPERATOR, { ...alert, chat: { id: OPERATOR.id, type: 'private' } }, data);
    const reply = await bot.emu.nextMessage(OPERATOR.id, n);
    expect(reply.text).toContain('🔕 <b>chat-web</b> silenced for 1h');
    webStatus = 200;
    await minute(m, 2);
    expect(alert.text).toMatch(/^✅ <b>chat-web<\/b> recovered/); // the told incident still resolves on its message
    const count = alertsTo().length;
    webStatus = 500;
    await minute(m, 3);
    expect(alertsTo().length).toBe(count); // silenced: nothing new
    clock += 60 * 60_000;
    await m.sweep();
    expect(alertsTo().length).toBe(count + 1);
    expect(alertsTo().at(-1)?.text).toContain('🔴 <b>chat-web</b> failing');
  });

  it('reminders come on schedule until acknowledged; /ack marks the message', async () => {
    const m = monitors[0] as Monitor;
    const alert = alertsTo().at(-1) as SentMessage;
    const count = alertsTo().length;
    await minute(m, 11);
    expect(alertsTo().length).toBe(count + 1);
    expect(alertsTo().at(-1)?.text).toMatch(/^⏰ Still failing for 1h \d+m: <b>chat-web<\/b>/);
    // A reminder that Telegram refuses stays queued and comes when it takes it, once.
    bot.emu.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' }, 1);
    await minute(m, 19); // the second reminder is due 20 minutes after the first, and refused
    await bot.emu.waitFor(() => alertsTo().length === count + 2, 5_000, 'the refused reminder');
    expect(alertsTo().at(-1)?.text).toMatch(/^⏰ Still failing/);
    await minute(m);
    expect(alertsTo().length).toBe(count + 2);
    const n = bot.emu.messagesTo(OPERATOR.id).length;
    bot.emu.sendText(OPERATOR, '/ack chat-web');
    expect((await bot.emu.nextMessage(OPERATOR.id, n)).text).toContain('👀 Acknowledged by otto: chat-web:http');
    await minute(m);
    expect(alert.text).toContain('👀 acknowledged by otto');
    await minute(m, 40);
    expect(alertsTo().length).toBe(count + 2);
  });

  it('Telegram refusing sends: the alert goes out once it takes them, never twice; a restart of the bot repeats nothing', async () => {
    const m = monitors[0] as Monitor;
    webStatus = 200;
    await minute(m, 2);
    const count = alertsTo().length;
    const sends = () => bot.emu.calls.filter((c) => c.method === 'sendMessage').length;
    const before = sends();
    bot.emu.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' }, 3);
    webStatus = 500;
    await minute(m, 2); // pending, then fired: three refused sends, then one that goes through
    await bot.emu.waitFor(() => alertsTo().length === count + 1, 5_000, 'the alert');
    expect(sends() - before).toBe(4);
    await minute(m, 2);
    expect(alertsTo().length).toBe(count + 1);
    const alert = alertsTo().at(-1) as SentMessage;
    expect(alert.text).toContain('🔴 <b>chat-web</b> failing');
    await m.stop();
    const again = monitor('bot-2');
    await again.load();
    await minute(again, 3);
    expect(alertsTo().length).toBe(count + 1);
    webStatus = 200;
    await minute(again, 2);
    expect(alert.text).toMatch(/^✅ <b>chat-web<\/b> recovered/);
  });

  it('Redis killed mid-incident: alerts still go out, and the state is written once Redis is back', async () => {
    const m = monitors.at(-1) as Monitor;
    const count = alertsTo().length;
    await redis.stop();
    backendStatus = 500;
    await minute(m, 2);
    expect(alertsTo().length).toBe(count + 1);
    expect(alertsTo().at(-1)?.text).toContain('🔴 <b>chat-backend</b> failing');
    await redis.start(redis.port);
    await expect.poll(() => store.ping().then(() => 'up', () => 'down'), { timeout: 10_000 }).toBe('up');
    await minute(m); // Redis is empty (no persistence in tests): the sweep writes what the monitor kept in memory
    const saved = JSON.parse((await store.get('incident:chat-backend:http')) ?? '{}') as { state?: { status: string }; messages?: unknown[] };
    expect(saved.state?.status).toBe('firing');
    expect(saved.messages).toHaveLength(1);
    backendStatus = 200;
    await minute(m, 2);
    expect(alertsTo().at(-1)?.text).toMatch(/^✅ <b>chat-backend<\/b> recovered/);
  });

  it('only one instance runs the checks', async () => {
    const leader = monitors.at(-1) as Monitor;
    const other = monitor('bot-3');
    await other.load();
    const count = alertsTo().length;
    webStatus = 500;
    await minute(other, 3);
    expect(alertsTo().length).toBe(count);
    await minute(leader, 2);
    expect(alertsTo().length).toBe(count + 1);
    webStatus = 200;
    await minute(leader, 2);
  });
});

async function askAlerts(): Promise<SentMessage> {
  const n = bot.emu.messagesTo(OPERATOR.id).length;
  bot.emu.sendText(OPERATOR, '/alerts');
  return bot.emu.nextMessage(OPERATOR.id, n);
}
