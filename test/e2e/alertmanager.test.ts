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
import { checkTelegramHtml, TelegramEmulator, type SentMessage } from '../support/telegram-emulator';

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
  it('many new groups at once are one storm digest that names every alert where it fires, takes in late groups, and is resolved on the same messages', async () => {
    const before = alertsIn().length;
    const alert = (i: number, endsAt?: string) => ({ labels: { alertname: `Probe${i % 30}`, instance: `svc-${i}:80` }, annotations: { summary: `probe ${i} failed with a reasonably long explanation <and> "quotes" & more` }, ...(endsAt && { endsAt }) });
    await am.post(Array.from({ length: 120 }, (_, i) => alert(i)));
    await emu.waitFor(() => alertsIn().length > before && alertsIn().at(-1)?.text.includes('Alert storm'), 20_000, 'the storm digest');
    const named = () => {
      const seen = new Set<number>();
      for (const h of emu.history.filter((x) => x.chatId === ADMIN.id)) for (const line of h.text.split('\n')) {
        const m = /^🔴 (Probe\d+) .*: (.*)$/.exec(line);
        for (const place of m?.[2]?.split(', ') ?? []) {
          const i = Number(/^svc-(\d+):80$/.exec(place)?.[1]);
          if (`Probe${i % 30}` === m?.[1]) seen.add(i);
        }
      }
      return seen;
    };
    await emu.waitFor(() => named().size === 120, 20_000, 'every alert named with its instance');
    const digest = alertsIn().slice(before);
    for (const m of digest) expect(checkTelegramHtml(m.text).ok && m.text.length <= 4_096).toBe(true);
    // Summaries and sources are a tap away: the first page offers them as a file.
    expect((digest[0]?.reply_markup?.inline_keyboard ?? []).flat().map((b) => b?.callback_data)).toEqual(['s:/alerts am']);
    // A group that comes after the storm is in the same digest, not a message of its own.
    await am.post([alert(500)]);
    await emu.waitFor(() => named().has(500), 20_000, 'the late alert in the digest');
    expect(alertsIn()).toHaveLength(before + digest.length);
    const past = new Date(Date.now() - 1_000).toISOString();
    await am.post([...Array.from({ length: 120 }, (_, i) => alert(i, past)), alert(500, past)]);
    await emu.waitFor(() => digest.every((m) => m.text.startsWith('✅')), 30_000, 'every page resolved');
    expect(digest[0]?.text).toMatch(/^✅ <b>Alert storm<\/b> of \d\d:\d\d UTC resolved · all 121 alerts \(Alertmanager\)$/);
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
