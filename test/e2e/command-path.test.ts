import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateStore } from '../../src/ops/ports';
import { RedisStore } from '../../src/ops/state/redis-store';
import { startBot, type RunningBot } from '../support/bot-harness';
import { ADMIN, testEstate } from '../support/estate';
import { RedisServer } from '../support/redis';

const redis = new RedisServer();
let bot: RunningBot;
let redisStore: RedisStore;
const calls: string[] = [];
/** Audit writes held back until released: a reply that waited for one would never come. */
const held: (() => void)[] = [];
let holdAppends = false;

/** The real Redis store, with every call counted and audit appends held while `holdAppends` is set. */
function observed(inner: StateStore): StateStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        const result = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (prop !== 'append' || !holdAppends) return result;
        return new Promise((resolve, reject) => held.push(() => void result.then(resolve, reject)));
      };
    },
  });
}

beforeAll(async () => {
  await redis.start();
  redisStore = new RedisStore({ url: redis.url });
  await redisStore.ready();
  bot = await startBot(testEstate({ prefix: 'mo-path' }), observed(redisStore));
});

afterAll(async () => {
  for (const release of held.splice(0)) release();
  await bot?.stop();
  await redis.stop();
});

describe('the command path', () => {
  it("/ping is answered after one round trip to Redis (the rate limit's, which also tells the store's health); its audit entry is written after the reply, and lands", async () => {
    bot.emu.sendText(ADMIN, '/ping');
    await bot.emu.nextMessage(ADMIN.id, 0); // a first /ping: what follows is the steady state
    calls.length = 0;
    holdAppends = true;
    const before = bot.emu.messagesTo(ADMIN.id).length;
    bot.emu.sendText(ADMIN, '/ping');
    const reply = await bot.emu.nextMessage(ADMIN.id, before);
    expect(reply.text).toMatch(/^pong · up .* · state store: redis ok \(\d+ ms\)$/);
    // No conversation state read (none can be waiting), no PING of its own, the audit entry still held.
    expect(calls).toEqual(['hit', 'append']);
    expect(held).toHaveLength(1);
    holdAppends = false;
    held.splice(0).forEach((release) => release());
    await expect.poll(async () => (await redisStore.tail('audit', 1))[0]?.fields.result, { timeout: 5_000, interval: 50 }).toBe('ok');
  });
});
