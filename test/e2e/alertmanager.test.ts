import { Bot } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertmanagerIntake } from '../../src/alerts/alertmanager';
import { TelegramNotifier } from '../../src/bot/notifiers';
import { startHttpServer } from '../../src/bot/http-server';
import { estateSchema } from '../../src/config/schema';
import { Catalog } from '../../src/config/catalog';
import { RedisStore } from '../../src/ops/state/redis-store';
import { Alertmanager } from '../support/alertmanager';
import { ADMIN, TEST_USERS } from '../support/estate';
import { silentLogger } from '../support/fakes';
import { RedisServer } from '../support/redis';
import { TelegramEmulator, type SentMessage } from '../support/telegram-emulator';

/** A real Alertmanager posts its webhook (version 4) to the bot on loopback; alerts arrive as living messages. */
const TOKEN = 'am-webhook-secret-0123456789';
const emu = new TelegramEmulator();
const redis = new RedisServer();
const am = new Alertmanager();
let store: RedisStore;
let http: Awaited<ReturnType<typeof startHttpServer>>;
let intake: AlertmanagerIntake;

beforeAll(async () => {
  await emu.start();
  await redis.start();
  store = new RedisStore({ url: redis.url });
  await store.ready();
  const catalog = new Catalog(
    estateSchema.parse({
      version: 1,
      docker_hosts: [{ name: 'mac-mini', endpoint: 'unix:///x.sock' }],
      services: [{ name: 'chat-backend', container: 'mana-chat-backend', category: 'backend' }],
      users: TEST_USERS,
      chats: { alerts: [ADMIN.id] },
    }),
  );
  const notifier = new TelegramNotifier(new Bot(emu.token, { client: { apiRoot: emu.apiRoot } }).api, { privateMs: 0, groupMs: 0 });
  intake = new AlertmanagerIntake({ store, notifier, catalog, log: silentLogger(), groupWaitMs: 500 });
  intake.start(200);
  http = await startHttpServer({ port: 0, host: '127.0.0.1', log: silentLogger(), alertmanager: { intake, token: TOKEN } });
  await am.start(`http://127.0.0.1:${http.port}/alertmanager`, TOKEN);
}, 30_000);

afterAll(async () => {
  await am.stop();
  await http?.close();
  await intake?.stop();
  await store?.close();
  await redis.dispose();
  await emu.stop();
});

const alertsIn = () => emu.messagesTo(ADMIN.id);

describe('Alertmanager webhook', () => {
  it('many new groups at once are one storm digest that names every alert, resolved on the same messages', async () => {
    const before = alertsIn().length;
    await am.post(Array.from({ length: 120 }, (_, i) => ({ labels: { alertname: `Probe${i}`, instance: `svc-${i}:80` }, annotations: { summary: `probe ${i} failed with a reasonably long explanation` } })));
    await emu.waitFor(() => alertsIn().length > before && alertsIn().at(-1)?.text.includes('Alert storm'), 20_000, 'the storm digest');
    await new Promise((r) => setTimeout(r, 2_000));
    const digest = alertsIn().slice(before);
    expect(digest.length).toBeGreaterThan(1); // paged: 120 alerts do not fit one message
    for (const m of digest) expect(m.text.length).toBeLessThanOrEqual(4_096);
    const named = new Set(digest.flatMap((m) => [...m.text.matchAll(/Probe(\d+)/g)].map((x) => x[1])));
    expect(named.size).toBe(120);
    const past = new Date(Date.now() - 1_000).toISOString();
    await am.post(Array.from({ length: 120 }, (_, i) => ({ labels: { alertname: `Probe${i}`, instance: `svc-${i}:80` }, annotations: { summary: `probe ${i} failed with a reasonably long explanation` }, endsAt: past })));
    await emu.waitFor(() => digest.every((m) => m.text.startsWith('✅')), 30_000, 'every page resolved');
    expect(digest[0]?.text).toMatch(/^✅ <b>Alert storm<\/b> of \d\d:\d\d UTC resolved · all 120 alerts \(Alertmanager\)$/);
    expect(alertsIn().length).toBe(before + digest.length);
  });


  it('a group of firing alerts is one message; resolving edits it; nothing is repeated', async () => {
    const before = alertsIn().length;
    await am.post([
      { labels: { alertname: 'APIDown', instance: 'chat-backend:3002', service: 'chat-backend', severity: 'critical' }, annotations: { summary: 'probe failed for 1m' } },
      { labels: { alertname: 'APIDown', instance: 'todo-backend:3031', severity: 'critical' }, annotations: { summary: 'probe failed for 1m' } },
    ]);
    const msg = await emu.waitFor(() => alertsIn()[before], 15_000, 'the Alertmanager alert');
    expect(msg.text).toContain('🔥 <b>alertname=APIDown</b> · 2 firing (Alertmanager)');
    expect(msg.text).toContain('🔴 APIDown · chat-backend:3002: probe failed for 1m');
    expect(msg.text).toContain('🔴 APIDown · todo-backend:3031: probe failed for 1m');
    const past = new Date(Date.now() - 1_000).toISOString();
    await am.post([{ labels: { alertname: 'APIDown', instance: 'todo-backend:3031', severity: 'critical' }, annotations: { summary: 'probe failed for 1m' }, endsAt: past }]);
    await emu.waitFor(() => msg.text.includes('1 firing, 1 resolved'), 15_000, 'the partial resolve');
    expect(msg.text).toContain('✅ APIDown · todo-backend:3031');
    await am.post([{ labels: { alertname: 'APIDown', instance: 'chat-backend:3002', service: 'chat-backend', severity: 'critical' }, annotations: { summary: 'probe failed for 1m' }, endsAt: past }]);
    await emu.waitFor(() => msg.text.startsWith('✅'), 15_000, 'the resolve');
    expect(msg.text).toBe('✅ <b>alertname=APIDown</b> resolved · 2 alerts (Alertmanager)');
    expect(alertsIn()).toHaveLength(before + 1);
  });

  it('Telegram refusing: the alert is kept and arrives once Telegram takes it, once', async () => {
    emu.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' }, 2);
    const before = alertsIn().length;
    await am.post([{ labels: { alertname: 'DiskFull', instance: 'mac-mini' }, annotations: { summary: '91% used' } }]);
    const msg = await emu.waitFor(() => alertsIn()[before], 30_000, 'the retried alert');
    expect(msg.text).toContain('DiskFull');
    await new Promise((r) => setTimeout(r, 2_500));
    expect(alertsIn().filter((m: SentMessage) => m.text.includes('DiskFull'))).toHaveLength(1);
  });

  it('refuses a wrong token and a body that is not a webhook', async () => {
    const url = `http://127.0.0.1:${http.port}/alertmanager`;
    expect((await fetch(url, { method: 'POST', headers: { authorization: 'Bearer wrong' }, body: '{}' })).status).toBe(401);
    expect((await fetch(url, { method: 'POST', body: '{}' })).status).toBe(401);
    const basic = `Basic ${Buffer.from(`alertmanager:${TOKEN}`).toString('base64')}`;
    const bad = await fetch(url, { method: 'POST', headers: { authorization: basic }, body: '{"version":"4"}' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('groupKey:');
  });
});
