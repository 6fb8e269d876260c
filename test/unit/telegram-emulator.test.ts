import { Bot, InputFile } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTelegramHtml, TelegramEmulator } from '../support/telegram-emulator';

// The emulator is test infrastructure the other suites trust: these pin down the Telegram behaviour it copies.
const emu = new TelegramEmulator();
let bot: Bot;
beforeAll(async () => {
  await emu.start();
  bot = new Bot(emu.token, { client: { apiRoot: emu.apiRoot } });
});
afterAll(() => emu.stop());

describe('Bot API emulator', () => {
  it('takes multipart uploads from grammY (sendDocument)', async () => {
    await bot.api.sendDocument(42, new InputFile(Buffer.from('line 1\nline 2\n'), 'chat-web.log.txt'), { caption: 'logs' });
    expect(emu.messagesTo(42)[0]).toMatchObject({ document: { file_name: 'chat-web.log.txt', size: 14 }, text: 'logs' });
  });

  it("answers Telegram's errors in Telegram's shape", async () => {
    await expect(bot.api.sendMessage(42, '<b>open', { parse_mode: 'HTML' })).rejects.toMatchObject({ error_code: 400, description: expect.stringContaining("can't parse entities") });
    await expect(bot.api.sendMessage(42, 'x'.repeat(4097))).rejects.toMatchObject({ description: 'Bad Request: message is too long' });
    const sent = await bot.api.sendMessage(42, 'same');
    await expect(bot.api.editMessageText(42, sent.message_id, 'same')).rejects.toMatchObject({ description: expect.stringContaining('message is not modified') });
    await expect(new Bot('1:wrong', { client: { apiRoot: emu.apiRoot } }).api.getMe()).rejects.toMatchObject({ error_code: 401 });
    emu.failNext('sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 7', retry_after: 7 });
    await expect(bot.api.sendMessage(4242, 'x')).rejects.toMatchObject({ error_code: 429, parameters: { retry_after: 7 } });
    // Like Telegram: that chat is refused until the wait is over, other chats are not.
    await expect(bot.api.sendMessage(4242, 'x')).rejects.toMatchObject({ error_code: 429, parameters: { retry_after: expect.any(Number) } });
    await expect(bot.api.sendMessage(4243, 'x')).resolves.toMatchObject({ text: 'x' });
  });

  it('long-polls: getUpdates waits for an update instead of spinning, and the offset confirms', async () => {
    const waiting = bot.api.getUpdates({ offset: 0, timeout: 5 });
    // The update exists only once the poll has arrived: a poll answered at once would come back empty.
    await emu.waitFor(() => emu.calls.some((c) => c.method === 'getUpdates'), 5_000, 'the poll');
    emu.sendText({ id: 7, is_bot: false, first_name: 'a' }, '/ping');
    const updates = await waiting;
    expect(updates).toHaveLength(1);
    expect(await bot.api.getUpdates({ offset: updates[0]!.update_id + 1, timeout: 0 })).toEqual([]);
    expect(emu.pendingUpdates).toBe(0);
  });

  it('checks HTML as Telegram does', () => {
    expect(checkTelegramHtml('<b>ok</b> &lt;x&gt; &amp;').ok).toBe(true);
    expect(checkTelegramHtml('a < b').ok).toBe(false);
    expect(checkTelegramHtml('AT&T').ok).toBe(false);
    expect(checkTelegramHtml('<b><i>x</b></i>').ok).toBe(false);
    expect(checkTelegramHtml('<div>x</div>').ok).toBe(false);
  });
});
