import type { StateStore } from '../ops/ports';

const LEADER_KEY = 'leader:monitor';
const LEADER_TTL = 30_000;

/** One instance runs the checks; with the store down, whoever led keeps leading so nothing goes unwatched. */
export class Leadership {
  private leader = false;

  constructor(
    private readonly store: StateStore,
    private readonly instanceId: string,
  ) {}

  get leading(): boolean {
    return this.leader;
  }

  async renew(): Promise<boolean> {
    try {
      this.leader = this.leader
        ? (await this.store.extendIf(LEADER_KEY, this.instanceId, LEADER_TTL)) || (await this.store.setIfAbsent(LEADER_KEY, this.instanceId, LEADER_TTL))
        : await this.store.setIfAbsent(LEADER_KEY, this.instanceId, LEADER_TTL);
    } catch {
      // keep the last answer
    }
    return this.leader;
  }

  async release(): Promise<void> {
    if (this.leader) await this.store.del(LEADER_KEY).catch(() => undefined);
  }
}
