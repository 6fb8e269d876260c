import type { StateStore } from '../ops/ports';

const LEADER_KEY = 'leader:monitor';
const LEADER_TTL = 30_000;

/**
 * One instance runs the checks. With the store down, whoever led keeps leading, and so does an instance the store has
 * not answered for a lease's length since it started (none can be known to lead): nothing goes unwatched for long.
 * Until then it waits, so a Redis that comes up a few seconds after the bot (a reboot) is read before anything is
 * written over it. Two instances started while the store is down both lead until it is back; then one keeps the lead.
 */
export class Leadership {
  private leader = false;
  /** Whether the store has answered this instance once, and so said who leads. */
  private heard = false;
  private readonly startedAt: number;

  constructor(
    private readonly store: StateStore,
    private readonly instanceId: string,
    private readonly now: () => number,
  ) {
    this.startedAt = now();
  }

  get leading(): boolean {
    return this.leader;
  }

  /** Whether the store has answered this instance once: its "someone else leads" can be believed. */
  get answered(): boolean {
    return this.heard;
  }

  async renew(): Promise<boolean> {
    try {
      this.leader = this.leader
        ? (await this.store.extendIf(LEADER_KEY, this.instanceId, LEADER_TTL)) || (await this.store.setIfAbsent(LEADER_KEY, this.instanceId, LEADER_TTL))
        : await this.store.setIfAbsent(LEADER_KEY, this.instanceId, LEADER_TTL);
      this.heard = true;
    } catch {
      if (!this.heard && this.now() - this.startedAt >= LEADER_TTL) this.leader = true; // else the last answer stands
    }
    return this.leader;
  }

  async release(): Promise<void> {
    if (this.leader) await this.store.del(LEADER_KEY).catch(() => undefined);
  }
}
