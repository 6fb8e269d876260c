import type { StateStore } from '../ops/ports';

export interface LockHolder {
  by: string;
  at: number;
}

const key = (service: string) => `lock:restart:${service}`;

/** One restart of a service at a time, across instances; the lock ends by itself after `ttlMs`. */
export class RestartLocks {
  constructor(private readonly store: StateStore) {}

  /** Takes the lock, or says who holds it. */
  async acquire(service: string, holder: LockHolder, ttlMs: number): Promise<{ ok: true } | { ok: false; held: Partial<LockHolder> }> {
    if (await this.store.setIfAbsent(key(service), JSON.stringify(holder), ttlMs)) return { ok: true };
    const raw = await this.store.get(key(service)).catch(() => null);
    return { ok: false, held: raw ? (JSON.parse(raw) as Partial<LockHolder>) : {} };
  }

  async release(service: string): Promise<void> {
    await this.store.del(key(service));
  }
}
