import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_READING_MAX_AGE_MS } from '../../src/commands/ping';
import type { StateStore } from '../../src/ops/ports';
import { RedisStore } from '../../src/ops/state/redis-store';
import { startBot, type RunningBot } from '../support/bot-harness';
import { ADMIN, NO_RATE_LIMIT, testEstate } from '../support/estate';
import { countingStore } from '../support/fakes';
import { RedisServer } from '../support/redis';

const redis = new RedisServer();
let bot: RunningBot;
let redisStore: RedisStore;
/** The store's round trips, by name (countingStore). */
let calls: string[] = [];
/** Audit writes held back until released: a reply that waited for one would never come. */
const held: (() => void)[] = [];
let holdAppends = false;

/** The real Redis store, with every round trip listed and audit appends held while `holdAppends` is set. */
function observed(inner: StateStore): StateStore {
  const counted = countingStore(inner);
  calls = counted.calls;
  const appendMany: StateStore['appendMany'] = (...args) => {
    const write = counted.store.appendMany(...args);
    if (!holdAppends) return write;
    write.catch(() => undefined);
    return new Promise((resolve, reject) => held.push(() => void write.then(resolve, reject)));
  };
  return new Proxy(counted.store, { get: (target, prop, receiver) => (prop === 'appendMany' ? appendMany : Reflect.get(target, prop, receiver)) });
}

beforeAll(async () => {
  await redis.start();
  redisStore = new RedisStore({ url: redis.url });
  await redisStore.ready();
  // A share of the rate limit (a tenth of 1,000) outlasts every /ping here: the counter is asked once.
  bot = await startBot(testEstate({ prefix: 'mo-path', overrides: { policy: NO_RATE_LIMIT } }), observed(redisStore));
});

afterAll(async () => {
  for (const release of held.splice(0)) release();
  await bot?.stop();
  await redis.stop();
});

describe('the command path', () => {
  it('/ping in the steady state waits for no round trip to Redis: the rate limit admits from its share, the store reading is fresh; its audit entry is written after the reply, and lands', async () => {
    bot.emu.sendText(ADMIN, '/ping');
    await bot.emu.nextMessage(ADMIN.id, 0); // a first /ping takes the share: what follows is the steady state
    await expect.poll(async () => (await redisStore.tail('audit', 5)).length, { timeout: 5_000, interval: 20 }).toBe(1);
    calls.length = 0;
    holdAppends = true;
    const before = bot.emu.messagesTo(ADMIN.id).length;
    bot.emu.sendText(ADMIN, '/ping');
    const reply = await bot.emu.nextMessage(ADMIN.id, before);
    expect(reply.text).toMatch(/^pong · up .* · state store: redis ok \(\d+ ms\)$/);
    // No conversation state read (none can be waiting), no rate counter, no PING of its own; the audit entry held.
    await expect.poll(() => held.length, { timeout: 5_000, interval: 5 }).toBe(1);
    expect(calls).toEqual(['appendMany']);
    holdAppends = false;
    held.splice(0).forEach((release) => release());
    await expect.poll(async () => (await redisStore.tail('audit', 5)).map((e) => e.fields.action), { timeout: 5_000, interval: 20 }).toEqual(['ping', 'ping']);
  });

  it('/ping after a quiet second asks Redis itself, with one PING', async () => {
    await expect.poll(() => redisStore.recentRoundTrip(STORE_READING_MAX_AGE_MS), { timeout: 5_000, interval: 50 }).toBeUndefined();
    calls.length = 0;
    const before = bot.emu.messagesTo(ADMIN.id).length;
    bot.emu.sendText(ADMIN, '/ping');
    const reply = await bot.emu.nextMessage(ADMIN.id, before);
    expect(reply.text).toMatch(/state store: redis ok \(\d+ ms\)$/);
    expect(calls[0]).toBe('ping');
    expect(calls.filter((c) => c !== 'appendMany')).toEqual(['ping']);
  });
});
