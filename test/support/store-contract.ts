import { describe, expect, it } from 'vitest';
import type { StateStore } from '../../src/ops/ports';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One contract for every StateStore: the Redis adapter must behave exactly as the in-memory one. */
export function stateStoreContract(name: string, make: () => Promise<StateStore>) {
  describe(`StateStore contract: ${name}`, () => {
    const key = () => `k-${Math.random().toString(36).slice(2)}`;

    it('set/get/del, with and without a TTL', async () => {
      const s = await make();
      const k = key();
      expect(await s.get(k)).toBeNull();
      await s.set(k, 'v');
      expect(await s.get(k)).toBe('v');
      await s.del(k);
      expect(await s.get(k)).toBeNull();
      await s.set(k, 'short', 50);
      await sleep(120);
      expect(await s.get(k)).toBeNull();
    });

    it('getMany, writeMany and keysWithPrefix: many keys in one step, prefixes literal', async () => {
      const s = await make();
      const p = `${key()}:*[x]:`;
      expect(await s.getMany([])).toEqual([]);
      await s.writeMany([
        { key: `${p}a`, value: '1' },
        { key: `${p}b`, value: '2' },
        { key: `${p}c`, value: '3' },
      ]);
      await s.set(`${p.slice(0, -5)}other`, 'x');
      expect(await s.getMany([`${p}a`, `${p}missing`, `${p}c`])).toEqual(['1', null, '3']);
      expect((await s.keysWithPrefix(p)).sort()).toEqual([`${p}a`, `${p}b`, `${p}c`]);
      await s.writeMany([{ key: `${p}a`, value: 'one' }], [`${p}b`, `${p}c`]);
      expect(await s.getMany([`${p}a`, `${p}b`, `${p}c`])).toEqual(['one', null, null]);
      expect(await s.keysWithPrefix(p)).toEqual([`${p}a`]);
    });

    it('setIfAbsent creates once until the TTL ends', async () => {
      const s = await make();
      const k = key();
      expect(await s.setIfAbsent(k, 'a', 80)).toBe(true);
      expect(await s.setIfAbsent(k, 'b', 80)).toBe(false);
      expect(await s.get(k)).toBe('a');
      await sleep(150);
      expect(await s.setIfAbsent(k, 'c', 80)).toBe(true);
    });

    it('extendIf renews only a key that still holds the given value', async () => {
      const s = await make();
      const k = key();
      expect(await s.extendIf(k, 'me', 1_000)).toBe(false);
      await s.set(k, 'me', 80);
      expect(await s.extendIf(k, 'someone-else', 1_000)).toBe(false);
      expect(await s.extendIf(k, 'me', 1_000)).toBe(true);
      await sleep(150);
      expect(await s.get(k)).toBe('me');
    });

    it('take hands a value to exactly one of many concurrent callers', async () => {
      const s = await make();
      const k = key();
      await s.set(k, 'once', 5_000);
      const results = await Promise.all(Array.from({ length: 20 }, () => s.take(k)));
      expect(results.filter((r) => r === 'once')).toHaveLength(1);
      expect(await s.get(k)).toBeNull();
    });

    it('reserve hands out a window at most once in all, to concurrent callers, and expires with it', async () => {
      const s = await make();
      const k = key();
      const first = await s.reserve(k, 3, 10, 200);
      expect(first.granted).toBe(3);
      expect(first.resetInMs).toBeGreaterThan(0);
      expect(first.resetInMs).toBeLessThanOrEqual(200);
      const shares = await Promise.all(Array.from({ length: 9 }, () => s.reserve(k, 3, 10, 200)));
      // 7 were left: two shares of 3, one of 1, and nothing for the rest.
      expect(shares.map((r) => r.granted).sort((a, b) => b - a)).toEqual([3, 3, 1, 0, 0, 0, 0, 0, 0]);
      expect((await s.reserve(k, 1, 10, 200)).granted).toBe(0);
      // A new window once this one has expired, whole again.
      await expect.poll(async () => (await s.reserve(k, 1, 10, 200)).granted, { timeout: 2_000, interval: 20 }).toBe(1);
      expect((await s.reserve(k, 20, 10, 200)).granted).toBe(9);
    });

    it('append and tail: newest first, capped', async () => {
      const s = await make();
      const stream = key();
      for (let i = 0; i < 5; i++) await s.appendMany(stream, [{ n: String(i), who: 'ada' }], 1_000);
      const last = await s.tail(stream, 3);
      expect(last.map((e) => e.fields.n)).toEqual(['4', '3', '2']);
      expect(last[0]?.fields.who).toBe('ada');
      expect(await s.tail(key(), 3)).toEqual([]);
    });

    it('appendMany writes the entries in order, capped', async () => {
      const s = await make();
      const stream = key();
      await s.appendMany(stream, Array.from({ length: 5 }, (_, i) => ({ n: String(i) })), 1_000);
      await s.appendMany(stream, [], 1_000);
      expect((await s.tail(stream, 10)).map((e) => e.fields.n)).toEqual(['4', '3', '2', '1', '0']);
    });

    it('appendMany keeps any text as it was: quotes, newlines, backslashes, emoji, the empty string', async () => {
      const s = await make();
      const stream = key();
      const texts = ['/restart "chat-web"\nnow', 'C:\\Users\\ada \\ud800 literally', '🔴 ärger · 中文', '', '[1,{"a":2}]'];
      await s.appendMany(stream, texts.map((text, i) => ({ i: String(i), text })), 1_000);
      expect((await s.tail(stream, 10)).reverse().map((e) => e.fields)).toEqual(texts.map((text, i) => ({ i: String(i), text })));
    });

    it('a hash: fields written, read whole, removed one by one; the key is gone with its last field', async () => {
      const s = await make();
      const hash = key();
      expect(await s.hashAll(hash)).toEqual({});
      await s.hashSet(hash, { 'chat-web:http': '{"by":"ada"}', 'db:tcp': 'b' });
      await s.hashSet(hash, { 'db:tcp': 'c' });
      await s.hashSet(hash, {});
      expect(await s.hashAll(hash)).toEqual({ 'chat-web:http': '{"by":"ada"}', 'db:tcp': 'c' });
      expect(await s.keysWithPrefix(hash)).toEqual([hash]);
      await s.hashDel(hash, ['db:tcp', 'never-there']);
      await s.hashDel(hash, []);
      expect(await s.hashAll(hash)).toEqual({ 'chat-web:http': '{"by":"ada"}' });
      await s.hashDel(hash, ['chat-web:http']);
      expect(await s.keysWithPrefix(hash)).toEqual([]);
      await s.hashSet(hash, { a: '1' });
      await s.writeMany([], [hash]);
      expect(await s.hashAll(hash)).toEqual({});
    });

    it('answers ping', async () => {
      await expect((await make()).ping()).resolves.toBeUndefined();
    });
  });
}
