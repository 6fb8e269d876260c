import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpsError } from '../../src/ops/ports';
import { RedisStore } from '../../src/ops/state/redis-store';
import { RedisServer } from '../support/redis';
import { stateStoreContract } from '../support/store-contract';

const redis = new RedisServer();
const stores: RedisStore[] = [];
beforeAll(async () => {
  await redis.start();
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await redis.dispose();
});
const make = async () => {
  const s = new RedisStore({ url: redis.url, keyPrefix: 'contract:' });
  stores.push(s);
  expect(await s.ready()).toBe(true);
  return s;
};

stateStoreContract('redis', make);

describe('RedisStore against a real redis-server', () => {
  it('caps the audit stream approximately (XADD MAXLEN ~)', async () => {
    const s = await make();
    for (let i = 0; i < 400; i++) await s.appendMany('capped', [{ i: String(i) }], 100);
    const all = await s.tail('capped', 1_000);
    expect(all.length).toBeLessThan(400);
    expect(all.length).toBeGreaterThanOrEqual(100);
    expect(all[0]?.fields.i).toBe('399');
  });

  it('a lone half of a surrogate pair is written as U+FFFD, and its batch still lands', async () => {
    const s = await make();
    await s.appendMany('surrogates', [{ text: 'cut \ud83d' }, { text: '\ude00 tail' }, { text: 'whole 😀' }], 100);
    expect((await s.tail('surrogates', 10)).reverse().map((e) => e.fields.text)).toEqual(['cut \ufffd', '\ufffd tail', 'whole 😀']);
  });

  it('its latest round trip is a reading of its health while it is fresh', async () => {
    const s = await make();
    await s.ping();
    const reading = s.recentRoundTrip(60_000);
    expect(reading?.ok).toBe(true);
    expect(reading?.ms).toBeGreaterThan(0);
    expect(s.recentRoundTrip(0)).toBeUndefined();
  });

  it('fails fast with an OpsError while Redis is down, and recovers when it is back', async () => {
    const own = new RedisServer();
    await own.start();
    const s = new RedisStore({ url: own.url, commandTimeoutMs: 500 });
    stores.push(s);
    expect(await s.ready()).toBe(true);
    await s.set('x', '1');
    expect(s.recentRoundTrip(60_000)).toMatchObject({ ok: true });
    await own.stop();
    // The connection dropped: the last reading is void, and a command fails at once (no queue, no waiting for its timeout).
    await expect.poll(() => s.recentRoundTrip(60_000), { timeout: 5_000, interval: 20 }).toBeUndefined();
    const err = await s.get('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpsError);
    expect((err as OpsError).code).toBe('unreachable');
    expect((err as OpsError).hint).toMatch(/REDIS_URL/);
    expect((err as OpsError).message).not.toMatch(/timed? ?out/i);
    await own.start(own.port);
    await expect.poll(() => s.ping().then(() => 'up', () => 'down'), { timeout: 8_000, interval: 200 }).toBe('up');
    expect(s.recentRoundTrip(60_000)).toMatchObject({ ok: true });
    await own.dispose();
  });
});
