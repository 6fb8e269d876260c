import { Api, HttpError } from 'grammy';
import { describe, expect, it } from 'vitest';
import { applyCallPolicy } from '../../src/bot/call-policy';
import { TelegramReach } from '../../src/bot/telegram-reach';
import { silentLogger } from '../support/fakes';

/** Unit tests only: a Bot API that never answers, and keeps the signal of each request it was sent. */
function hangingApi(attemptMs: number, closing?: AbortSignal) {
  const signals: AbortSignal[] = [];
  const fetch = (_url: string, init: { signal?: AbortSignal }) =>
    new Promise<never>((_, reject) => {
      const signal = init.signal as AbortSignal;
      signals.push(signal);
      const aborted = () => reject(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }));
      // As fetch does: a signal aborted before the request is refused at once.
      if (signal.aborted) aborted();
      else signal.addEventListener('abort', aborted, { once: true });
    });
  const api = new Api('1:x', { apiRoot: 'http://127.0.0.1:9', fetch: fetch as never });
  const reach = new TelegramReach({ probe: async () => undefined, log: silentLogger() });
  applyCallPolicy(api, { reach, attemptMs, deadlineMs: attemptMs, ...(closing && { closing }) });
  return { api, signals, reach };
}

describe('the call policy: each attempt bounded', () => {
  it('attempts that hang give up after their limit, together; Telegram counts as away', async () => {
    const { api, signals, reach } = hangingApi(150);
    const started = Date.now();
    const calls = Array.from({ length: 30 }, (_, i) => api.sendMessage(100 + i, 'hello').then(() => 'answered', (err: unknown) => err));
    const results = await Promise.all(calls);
    expect(results.every((r) => r instanceof HttpError)).toBe(true);
    expect(signals).toHaveLength(30);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(reach.downSince).toBeGreaterThanOrEqual(started);
    reach.stop();
  });

  it('an attempt started later gets its own limit, not the one of attempts long gone', async () => {
    const { api, signals, reach } = hangingApi(150);
    await api.sendMessage(1, 'first').catch(() => undefined);
    const second = api.sendMessage(2, 'second').catch(() => undefined);
    // The first attempt's deadline has passed; the second one is still running.
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[1]?.aborted).toBe(false);
    await second;
    expect(signals[1]?.aborted).toBe(true);
    reach.stop();
  });

  it('shutdown aborts every attempt under way at once, and one started afterwards', async () => {
    const closing = new AbortController();
    const { api, signals, reach } = hangingApi(60_000, closing.signal);
    const calls = [api.sendMessage(1, 'a').catch((e: unknown) => e), api.sendMessage(2, 'b').catch((e: unknown) => e)];
    await expect.poll(() => signals.length).toBe(2);
    closing.abort(new Error('mana-ops is stopping'));
    expect((await Promise.all(calls)).every((r) => r instanceof HttpError)).toBe(true);
    await expect(api.sendMessage(3, 'c')).rejects.toBeInstanceOf(HttpError);
    expect(signals.every((s) => s.aborted)).toBe(true);
    reach.stop();
  });
});
