import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/ops/state/memory-store';
import { startBot, type RunningBot } from '../support/bot-harness';
import { ADMIN, testEstate } from '../support/estate';
import { capturingLogger } from '../support/fakes';

/** A command's reply is not retried for minutes: past its deadline it is dropped, logged, and the chat goes on. */
const captured = capturingLogger();
let bot: RunningBot;

beforeAll(async () => {
  bot = await startBot(testEstate(), new MemoryStore(), { log: captured.log, replyDeadlineMs: 2_000 });
});

afterAll(async () => {
  await bot?.stop();
});

describe('reply deadline', () => {
  it('Telegram refusing with 502 past the deadline: a few bounded tries, then dropped and logged; the next command is answered', async () => {
    const sends = () => bot.emu.calls.filter((c) => c.method === 'sendMessage').length;
    const before = sends();
    bot.emu.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' }, 100);
    bot.emu.sendText(ADMIN, '/ping');
    await bot.emu.waitFor(() => captured.lines.find((l) => l.msg.startsWith('reply dropped')), 10_000, 'the dropped reply in the log');
    bot.emu.clearFailures();
    const tries = sends() - before;
    expect(tries).toBeGreaterThanOrEqual(2);
    expect(tries).toBeLessThanOrEqual(4);
    expect(captured.lines.find((l) => l.msg.startsWith('reply dropped'))).toMatchObject({ level: 40, err: 'sendMessage: Bad Gateway' });
    const n = bot.emu.messagesTo(ADMIN.id).length;
    bot.emu.sendText(ADMIN, '/whoami');
    expect((await bot.emu.nextMessage(ADMIN.id, n)).text).toContain('Your id');
    expect(bot.emu.messagesTo(ADMIN.id).some((m) => m.text.startsWith('pong'))).toBe(false);
    // Telegram counted as away on the first 502 and back with the next answer.
    expect(captured.lines.map((l) => l.msg)).toEqual(expect.arrayContaining([expect.stringMatching(/^Telegram unreachable/), expect.stringMatching(/^Telegram reachable again after/)]));
  });
});
