import type { StateStore } from '../ops/ports';

/**
 * Within the limit, `ms` is the round trip to the store it took (a reading of the store's health that costs nothing
 * more). Over it, `first` marks the one message that crossed it in this window (the one worth saying and auditing).
 */
export type RateVerdict = { ok: true; ms: number; degraded?: boolean } | { ok: false; retryInMs: number; first: boolean };

/** Per-user fixed-window limit kept in the state store (one atomic counter with its expiry). */
export class RateLimiter {
  constructor(
    private readonly store: StateStore,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** With the store down the limit is not enforced (degraded): read-only commands keep answering. */
  async check(userId: number): Promise<RateVerdict> {
    const started = performance.now();
    try {
      const { count, resetInMs } = await this.store.hit(`rl:${userId}`, this.windowMs);
      return count <= this.limit ? { ok: true, ms: performance.now() - started } : { ok: false, retryInMs: Math.max(resetInMs, 1), first: count === this.limit + 1 };
    } catch {
      return { ok: true, ms: performance.now() - started, degraded: true };
    }
  }
}
