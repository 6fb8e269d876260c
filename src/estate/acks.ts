import type { StateStore } from '../ops/ports';

export interface Ack {
  by: string;
  at: number;
}

const key = (checkId: string) => `ack:${checkId}`;

/** Who acknowledged a failing check: no more reminders until it recovers. The one owner of `ack:*`. */
export class Acks {
  constructor(private readonly store: StateStore) {}

  async set(checkId: string, ack: Ack): Promise<void> {
    await this.store.set(key(checkId), JSON.stringify(ack));
  }

  /** The acks of many checks in one round trip. */
  async many(checkIds: readonly string[]): Promise<Map<string, Ack>> {
    const raws = await this.store.getMany(checkIds.map(key));
    const found = new Map<string, Ack>();
    raws.forEach((raw, i) => raw && found.set(checkIds[i] as string, JSON.parse(raw) as Ack));
    return found;
  }

  async clear(checkId: string): Promise<void> {
    await this.store.del(key(checkId));
  }
}
