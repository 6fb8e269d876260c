import type { StateStore } from '../ops/ports';

export interface Ack {
  by: string;
  at: number;
}

/** One hash, a field per check: the monitor reads every ack in one small round trip, whatever number is failing. */
const KEY = 'acks';
/** Where older versions kept each ack, under a key of its own. */
const LEGACY_PREFIX = 'ack:';

/** Who acknowledged a failing check: no more reminders until it recovers. The one owner of `acks` (and `ack:*`). */
export class Acks {
  constructor(private readonly store: StateStore) {}

  /** The same ack for these checks, in one write. */
  async set(checkIds: readonly string[], ack: Ack): Promise<void> {
    const json = JSON.stringify(ack);
    await this.store.hashSet(KEY, Object.fromEntries(checkIds.map((id) => [id, json])));
  }

  /** Every ack there is. */
  async all(): Promise<Map<string, Ack>> {
    const found = new Map<string, Ack>();
    for (const [id, raw] of Object.entries(await this.store.hashAll(KEY))) {
      const ack = parse(raw);
      if (ack) found.set(id, ack);
    }
    return found;
  }

  async clear(checkIds: readonly string[]): Promise<void> {
    await this.store.hashDel(KEY, checkIds);
  }

  /** Acks written by older versions (a key each) moved into the hash, so none is lost to an upgrade. */
  async upgrade(): Promise<void> {
    const keys = await this.store.keysWithPrefix(LEGACY_PREFIX);
    if (keys.length === 0) return;
    const raws = await this.store.getMany(keys);
    const moved: Record<string, string> = {};
    keys.forEach((k, i) => {
      const raw = raws[i];
      if (raw) moved[k.slice(LEGACY_PREFIX.length)] = raw;
    });
    await this.store.hashSet(KEY, moved);
    await this.store.writeMany([], keys);
  }
}

/** An ack as written; one that does not read as one (written by hand, cut short) counts as none. */
function parse(raw: string): Ack | undefined {
  try {
    const v = JSON.parse(raw) as Partial<Ack>;
    return typeof v.by === 'string' && typeof v.at === 'number' ? { by: v.by, at: v.at } : undefined;
  } catch {
    return undefined;
  }
}
