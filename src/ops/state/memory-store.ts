import type { StateStore, StreamEntry } from '../ports';

interface Slot {
  value: string;
  expiresAt: number; // Infinity when no TTL
}

/** The in-memory StateStore: the console's store, and the reference the Redis adapter is tested against. */
export class MemoryStore implements StateStore {
  readonly kind = 'memory' as const;
  private readonly slots = new Map<string, Slot>();
  private readonly streams = new Map<string, StreamEntry[]>();
  private readonly hashes = new Map<string, Map<string, string>>();
  private lastStreamMs = 0;
  private streamSeq = 0;

  constructor(private readonly now: () => number = Date.now) {}

  private live(key: string): Slot | undefined {
    const slot = this.slots.get(key);
    if (slot && slot.expiresAt <= this.now()) {
      this.slots.delete(key);
      return undefined;
    }
    return slot;
  }

  async get(key: string): Promise<string | null> {
    return this.live(key)?.value ?? null;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.slots.set(key, { value, expiresAt: ttlMs === undefined ? Infinity : this.now() + ttlMs });
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(key)) return false;
    await this.set(key, value, ttlMs);
    return true;
  }

  async extendIf(key: string, value: string, ttlMs: number): Promise<boolean> {
    const slot = this.live(key);
    if (!slot || slot.value !== value) return false;
    slot.expiresAt = this.now() + ttlMs;
    return true;
  }

  async take(key: string): Promise<string | null> {
    const slot = this.live(key);
    this.slots.delete(key);
    return slot?.value ?? null;
  }

  async del(key: string): Promise<void> {
    this.slots.delete(key);
    this.hashes.delete(key);
  }

  async getMany(keys: readonly string[]): Promise<(string | null)[]> {
    return keys.map((k) => this.live(k)?.value ?? null);
  }

  async writeMany(set: readonly { key: string; value: string }[], del: readonly string[] = []): Promise<void> {
    for (const { key, value } of set) this.slots.set(key, { value, expiresAt: Infinity });
    for (const key of del) await this.del(key);
  }

  async hashSet(key: string, fields: Readonly<Record<string, string>>): Promise<void> {
    const hash = this.hashes.get(key) ?? new Map<string, string>();
    for (const [field, value] of Object.entries(fields)) hash.set(field, value);
    if (hash.size) this.hashes.set(key, hash);
  }

  async hashAll(key: string): Promise<Record<string, string>> {
    return Object.fromEntries(this.hashes.get(key) ?? []);
  }

  async hashDel(key: string, fields: readonly string[]): Promise<void> {
    const hash = this.hashes.get(key);
    if (!hash) return;
    for (const field of fields) hash.delete(field);
    if (hash.size === 0) this.hashes.delete(key);
  }

  async keysWithPrefix(prefix: string): Promise<string[]> {
    return [...this.slots.keys(), ...this.hashes.keys()].filter((k) => k.startsWith(prefix) && (this.hashes.has(k) || this.live(k)));
  }

  async reserve(key: string, want: number, limit: number, windowMs: number): Promise<{ granted: number; resetInMs: number }> {
    const slot = this.live(key);
    const used = slot ? Number(slot.value) : 0;
    const granted = Math.max(0, Math.min(want, limit - used));
    const expiresAt = slot ? slot.expiresAt : this.now() + windowMs;
    if (granted > 0) this.slots.set(key, { value: String(used + granted), expiresAt });
    return { granted, resetInMs: expiresAt - this.now() };
  }

  private appendOne(stream: string, fields: Record<string, string>, maxLen: number): void {
    const now = this.now();
    this.streamSeq = now > this.lastStreamMs ? 0 : this.streamSeq + 1;
    this.lastStreamMs = Math.max(now, this.lastStreamMs);
    const entries = this.streams.get(stream) ?? [];
    entries.push({ id: `${this.lastStreamMs}-${this.streamSeq}`, fields: { ...fields } });
    if (entries.length > maxLen) entries.splice(0, entries.length - maxLen);
    this.streams.set(stream, entries);
  }

  async appendMany(stream: string, entries: readonly Record<string, string>[], maxLen: number): Promise<void> {
    for (const fields of entries) this.appendOne(stream, fields, maxLen);
  }

  async tail(stream: string, count: number): Promise<StreamEntry[]> {
    return (this.streams.get(stream) ?? []).slice(-count).reverse();
  }

  async ping(): Promise<void> {}

  /** Memory has no round trips: ping() costs nothing. */
  recentRoundTrip(): undefined {
    return undefined;
  }

  async close(): Promise<void> {}
}
