import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app';
import { startHttpServer } from '../../src/bot/http-server';
import { createTelegramFrontEnd, type TelegramFrontEnd } from '../../src/bot/telegram';
import { MemoryStore } from '../../src/ops/state/memory-store';
import { ADMIN, STRANGER, testEstate } from '../support/estate';
import { silentLogger } from '../support/fakes';
import { TelegramEmulator } from '../support/telegram-emulator';

/** Webhook mode: Telegram posts updates to the bot; the secret token is checked, a redelivery runs once. */
const SECRET = 'webhook-secret-token-0123456789';
const emu = new TelegramEmulator();
let frontEnd: TelegramFrontEnd;
let http: Awaited<ReturnType<typeof startHttpServer>>;
let nextId = 500;

function update(text: string, id = nextId++, from: { id: number; first_name: string } = { id: ADMIN.id, first_name: 'Ada' }) {
  return {
    update_id: id,
    message: { message_id: id, date: Math.floor(Date.now() / 1000), chat: { id: from.id, type: 'private' }, from: { ...from, is_bot: false }, text, entities: [{ type: 'bot_command', offset: 0, length: text.split(' ')[0]?.length ?? 0 }] },
  };
}

const post = (body: unknown, secret = SECRET) =>
  fetch(`http://127.0.0.1:${http.port}/telegram`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret }, body: JSON.stringify(body) });

beforeAll(async () => {
  await emu.start();
  const log = silentLogger();
  const app = buildApp(testEstate({ prefix: 'wh' }), { store: new MemoryStore(), docker: new Map(), log });
  frontEnd = createTelegramFrontEnd({ token: emu.token, apiRoot: emu.apiRoot, app, log, webhook: { url: 'https://bot.example.invalid/telegram', secret: SECRET } });
  http = await startHttpServer({ port: 0, host: '127.0.0.1', log, ...(frontEnd.webhook && { telegram: frontEnd.webhook }) });
  await frontEnd.start();
});
afterAll(async () => {
  await frontEnd.stop();
  await http.close();
  await emu.stop();
});

describe('webhook mode', () => {
  it('sets the webhook with its secret and the updates it wants, and does not poll', () => {
    const set = emu.calls.find((c) => c.method === 'setWebhook');
    expect(set?.params).toMatchObject({ url: 'https://bot.example.invalid/telegram', secret_token: SECRET });
    expect(emu.calls.some((c) => c.method === 'getUpdates')).toBe(false);
  });

  it('answers an update posted with the secret', async () => {
    expect((await post(update('/ping'))).status).toBe(200);
    const msg = await emu.nextMessage(ADMIN.id, 0);
    expect(msg.text).toMatch(/^pong/);
  });

  it('refuses a post without the right secret, and runs nothing', async () => {
    const before = emu.messagesTo(ADMIN.id).length;
    expect((await post(update('/ping'), 'wrong-secret-0000000000000000')).status).toBe(401);
    expect((await post(update('/ping'), '')).status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(emu.messagesTo(ADMIN.id).length).toBe(before);
  });

  it('a redelivered update runs once', async () => {
    const before = emu.messagesTo(ADMIN.id).length;
    const u = update('/whoami');
    expect((await post(u)).status).toBe(200);
    expect((await post(u)).status).toBe(200);
    await emu.nextMessage(ADMIN.id, before);
    await new Promise((r) => setTimeout(r, 300));
    expect(emu.messagesTo(ADMIN.id).length).toBe(before + 1);
  });

  it('the same rules as polling: a stranger is ignored', async () => {
    expect((await post(update('/help', nextId++, { id: STRANGER.id, first_name: 'M' }))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(emu.messagesTo(STRANGER.id)).toHaveLength(0);
  });
});
