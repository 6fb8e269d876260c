import type { StateStore } from '../ops/ports';

/** Over the limit, `first` marks the one message that crossed it in this window (the one worth saying and auditing). */
export type RateVerdict = { ok: true; degraded?: boolean } | { ok: false; retryInMs: number; first: boolean };

/** What this instance holds of a user's window: commands it may still admit, and when the window ends. */
interface Lease {
  left: number;
  endsAt: number;
  /** The window is used up: said once, then every command until endsAt is refused without asking the store. */
  spent: boolean;
  told: boolean;
}

/**
 * Per-user fixed-window limit kept in the state store. The store's counter is the whole truth across instances:
 * an instance takes a share of the window from it at a time (a tenth of the limit, at least one) and admits from
 * that share without a round trip, so the limit is never exceeded, however many instances answer, and a command
 * waits for the store only when its user's share is used up. A share left unused when the window ends is lost, never
 * lent to anyone.
 */
export class RateLimiter {
  private readonly leases = new Map<number, Lease>();
  private readonly share: number;

  constructor(
    private readonly store: StateStore,
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.share = Math.max(1, Math.ceil(limit / 10));
  }

  /** With the store down the limit is not enforced (degraded): read-only commands keep answering. */
  async check(userId: number): Promise<RateVerdict> {
    const now = this.now();
    let lease = this.leases.get(userId);
    if (lease && now >= lease.endsAt) {
      this.leases.delete(userId);
      lease = undefined;
    }
    if (lease && lease.left > 0) {
      lease.left--;
      return { ok: true };
    }
    if (lease?.spent) return this.refuse(lease, now);
    try {
      const { granted, resetInMs } = await this.store.reserve(`rl:${userId}`, this.share, this.limit, this.windowMs);
      const endsAt = this.now() + Math.max(resetInMs, 1);
      const next: Lease = { left: Math.max(0, granted - 1), endsAt, spent: granted === 0, told: lease?.told ?? false };
      this.leases.set(userId, next);
      return granted > 0 ? { ok: true } : this.refuse(next, now);
    } catch {
      return { ok: true, degraded: true };
    }
  }

  private refuse(lease: Lease, now: number): RateVerdict {
    const first = !lease.told;
    lease.told = true;
    return { ok: false, retryInMs: Math.max(lease.endsAt - now, 1), first };
  }
}
