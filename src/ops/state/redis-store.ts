import { Redis } from 'ioredis';
import { OpsError, type StateStore, type StreamEntry } from '../ports';

// Takes up to ARGV[1] of the window's ARGV[2] and sets the expiry in the same step, so a counter can never be left
// without one; the window starts with the first take.
const RESERVE_SCRIPT = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local grant = math.max(0, math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - used))
if grant > 0 then redis.call('INCRBY', KEYS[1], grant) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]); ttl = tonumber(ARGV[3]) end
if ttl < 0 then ttl = tonumber(ARGV[3]) end
return {grant, ttl}`;

// Many XADDs in one command: ARGV[1] is the cap, ARGV[2] the entries as JSON, each a flat list of names and values.
// One argument rather than thousands: ioredis's cost is per argument, and a storm writes a thousand markers at once.
const APPEND_MANY_SCRIPT = `
for _, fields in ipairs(cjson.decode(ARGV[2])) do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(fields))
end
return 0`;

/** A half of a surrogate pair on its own: Redis's JSON decoder refuses its escape, so it becomes U+FFFD. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const asItIs = (s: string) => s;
const wellFormed = (s: string) => s.replace(LONE_SURROGATE, '\ufffd');

/** The entries as the append script reads them. */
function entriesJson(entries: readonly Record<string, string>[], clean = asItIs): string {
  const lists: string[][] = [];
  for (const fields of entries) {
    const flat: string[] = [];
    for (const name in fields) flat.push(clean(name), clean(fields[name] as string));
    lists.push(flat);
  }
  const json = JSON.stringify(lists);
  // JSON.stringify escapes only lone surrogates as \udXXX (pairs stay as they are); rare, so looked for afterwards.
  return clean === asItIs && json.includes('\\ud') ? entriesJson(entries, wellFormed) : json;
}

const EXTEND_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

export interface RedisStoreOptions {
  url: string;
  keyPrefix?: string;
  /** How long one command may take before the store counts as unreachable. */
  commandTimeoutMs?: number;
}

/**
 * StateStore on Redis. Fails fast while Redis is down (no offline queue), so a caller can answer
 * "state store unavailable" instead of hanging; ioredis keeps reconnecting in the background.
 */
export class RedisStore implements StateStore {
  readonly kind = 'redis' as const;
  private readonly redis: Redis;
  /** The latest round trip: whether it was answered, how long it took, when it started (performance.now()). */
  private latest: { ok: boolean; ms: number; at: number } | undefined;

  constructor(options: RedisStoreOptions) {
    this.redis = new Redis(options.url, {
      keyPrefix: options.keyPrefix ?? 'mana-ops:',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 1_000,
      connectTimeout: 2_000,
      lazyConnect: false,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    // Connection errors surface on each command as OpsError; the event itself only needs a listener.
    this.redis.on('error', () => {});
    // A dropped connection makes the last reading worthless: the next one must be a real round trip.
    this.redis.on('close', () => {
      this.latest = undefined;
    });
    this.redis.defineCommand('manaReserve', { numberOfKeys: 1, lua: RESERVE_SCRIPT });
    this.redis.defineCommand('manaExtendIf', { numberOfKeys: 1, lua: EXTEND_SCRIPT });
    this.redis.defineCommand('manaAppendMany', { numberOfKeys: 1, lua: APPEND_MANY_SCRIPT });
  }

  /**
   * Waits for the first connection. False when Redis is not there yet: the bot starts anyway, answers
   * read-only commands and refuses confirmations until ioredis has reconnected.
   */
  async ready(timeoutMs = 3_000): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.redis.once('ready', onReady);
    });
  }

  /** The raw client, for libraries that speak Redis themselves (grammY's storage adapter). */
  get client(): Redis {
    return this.redis;
  }

  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    const at = performance.now();
    try {
      const result = await op();
      this.latest = { ok: true, ms: performance.now() - at, at };
      return result;
    } catch (err) {
      this.latest = { ok: false, ms: performance.now() - at, at };
      throw new OpsError('unreachable', `Redis ${what} failed: ${(err as Error).message}`, 'check that Redis is running (REDIS_URL)', {
        cause: err,
      });
    }
  }

  get(key: string) {
    return this.run('GET', () => this.redis.get(key));
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    await this.run('SET', () => (ttlMs === undefined ? this.redis.set(key, value) : this.redis.set(key, value, 'PX', ttlMs)));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const res = await this.run('SET NX', () => this.redis.set(key, value, 'PX', ttlMs, 'NX'));
    return res === 'OK';
  }

  async extendIf(key: string, value: string, ttlMs: number): Promise<boolean> {
    const n = await this.run('lock renewal', () =>
      (this.redis as unknown as { manaExtendIf(key: string, value: string, ttl: number): Promise<number> }).manaExtendIf(key, value, ttlMs),
    );
    return n === 1;
  }

  take(key: string) {
    return this.run('GETDEL', () => this.redis.getdel(key));
  }

  async del(key: string): Promise<void> {
    await this.run('DEL', () => this.redis.del(key));
  }

  async getMany(keys: readonly string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    return this.run('MGET', () => this.redis.mget(...keys));
  }

  async writeMany(set: readonly { key: string; value: string }[], del: readonly string[] = []): Promise<void> {
    if (set.length === 0 && del.length === 0) return;
    // One MSET and one DEL, not a command per key: ioredis's cost is per command, and a sweep may change thousands.
    const batch = this.redis.pipeline();
    if (set.length) batch.mset(...set.flatMap(({ key, value }) => [key, value]));
    if (del.length) batch.del(...del);
    const results = await this.run('pipeline', () => batch.exec());
    const failed = results?.find(([err]) => err);
    if (failed?.[0]) throw new OpsError('unreachable', `Redis pipeline failed: ${failed[0].message}`, 'check that Redis is running (REDIS_URL)');
  }

  async hashSet(key: string, fields: Readonly<Record<string, string>>): Promise<void> {
    if (Object.keys(fields).length === 0) return;
    await this.run('HSET', () => this.redis.hset(key, fields));
  }

  async hashAll(key: string): Promise<Record<string, string>> {
    return this.run('HGETALL', () => this.redis.hgetall(key));
  }

  async hashDel(key: string, fields: readonly string[]): Promise<void> {
    if (fields.length === 0) return;
    await this.run('HDEL', () => this.redis.hdel(key, ...fields));
  }

  async keysWithPrefix(prefix: string): Promise<string[]> {
    // SCAN's MATCH sees full key names: ioredis adds its keyPrefix to keys, never to patterns.
    const own = this.redis.options.keyPrefix ?? '';
    const pattern = `${own}${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.run('SCAN', () => this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500));
      cursor = next;
      for (const k of keys) found.push(k.slice(own.length));
    } while (cursor !== '0');
    return [...new Set(found)];
  }

  async reserve(key: string, want: number, limit: number, windowMs: number): Promise<{ granted: number; resetInMs: number }> {
    const [granted, ttl] = await this.run('rate counter', async () => {
      const call = (this.redis as unknown as { manaReserve(key: string, want: number, limit: number, windowMs: number): Promise<[number, number]> }).manaReserve;
      return call.call(this.redis, key, want, limit, windowMs);
    });
    return { granted, resetInMs: ttl };
  }

  async appendMany(stream: string, entries: readonly Record<string, string>[], maxLen: number): Promise<void> {
    if (entries.length === 0) return;
    await this.run('XADD', () => (this.redis as unknown as { manaAppendMany(key: string, maxLen: number, json: string): Promise<number> }).manaAppendMany(stream, maxLen, entriesJson(entries)));
  }

  async tail(stream: string, count: number): Promise<StreamEntry[]> {
    const rows = await this.run('XREVRANGE', () => this.redis.xrevrange(stream, '+', '-', 'COUNT', count));
    return rows.map(([id, flat]) => {
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
      return { id, fields };
    });
  }

  async ping(): Promise<void> {
    await this.run('PING', () => this.redis.ping());
  }

  recentRoundTrip(maxAgeMs: number): { ok: boolean; ms: number } | undefined {
    const latest = this.latest;
    if (!latest || this.redis.status !== 'ready' || performance.now() - latest.at > maxAgeMs) return undefined;
    return { ok: latest.ok, ms: latest.ms };
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
