import { Bot } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TelegramNotifier } from '../../src/bot/notifiers';
import { text } from '../../src/util/html';
import { TelegramEmulator } from '../support/telegram-emulator';

/** Pacing against an emulator that enforces flood control with 429s, as Telegram does per chat. */
const emu = new TelegramEmulator();
const GROUP = -100_777;
beforeAll(async () => {
  await emu.start();
  emu.chatLimit = { max: 5, windowMs: 1_000 };
});
afterAll(() => emu.stop());

const api = () => new Bot(emu.token, { client: { apiRoot: emu.apiRoot } }).api;

describe('alert delivery pacing', () => {
  it('a burst to one group is delivered whole, in order, without a single 429', async () => {
    const notifier = new TelegramNotifier(api(), { privateMs: 250, groupMs: 250 });
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => notifier.send(GROUP, text(`alert ${i}`))));
    expect(emu.limited).toBe(0);
    expect(emu.messagesTo(GROUP).map((m) => m.text)).toEqual(Array.from({ length: 12 }, (_, i) => `alert ${i}`));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('the same burst unpaced runs into flood control (the emulator does enforce it)', async () => {
    const notifier = new TelegramNotifier(api(), { privateMs: 0, groupMs: 0 });
    emu.chatHits.clear();
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => notifier.send(GROUP - 1, text(`burst ${i}`))));
    expect(emu.limited).toBeGreaterThan(0);
    expect(results.filter((r) => r.status === 'rejected').length).toBeGreaterThan(0);
  });

  it('a group that became a supergroup is followed, and the admin is told to update the estate file', async () => {
    emu.chatLimit = undefined;
    const moves: [number, number][] = [];
    emu.migrated.set(-4001, -1004001);
    const notifier = new TelegramNotifier(api(), { privateMs: 0, groupMs: 0 }, (from, to) => moves.push([from, to]));
    const id = await notifier.send(-4001, text('alert in the old group'));
    await notifier.edit(-4001, id, text('alert, edited'));
    expect(emu.messagesTo(-1004001).map((m) => m.text)).toEqual(['alert, edited']);
    expect(moves).toEqual([[-4001, -1004001]]);
    emu.chatLimit = { max: 5, windowMs: 1_000 };
  });

  it('other chats are not held back by a busy one', async () => {
    const notifier = new TelegramNotifier(api(), { privateMs: 300, groupMs: 300 });
    const busy = Promise.all(Array.from({ length: 5 }, (_, i) => notifier.send(GROUP - 2, text(`busy ${i}`))));
    await notifier.send(4242, text('private alert'));
    await busy;
    // The private alert went out while the group's queue was still being paced: right after its first message.
    const order = emu.history.filter((h) => h.chatId === 4242 || h.chatId === GROUP - 2).map((h) => h.text);
    expect(order.indexOf('private alert')).toBeLessThan(order.indexOf('busy 1'));
  });
});
