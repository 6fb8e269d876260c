import type { StateStore } from '../ops/ports';
import type { Told } from './told';

/** One alert of an Alertmanager group, as the bot keeps it. */
export interface AlertRow {
  status: 'firing' | 'resolved';
  name: string;
  where: string;
  /** The service label, when the alert has one. */
  service?: string;
  summary: string;
  startsAt: string;
  /** Where the alert comes from (vmalert's or Prometheus's page for its rule). */
  url?: string;
}

/**
 * Oldest first. Compared as text, not with localeCompare: Alertmanager's RFC 3339 times sort as text, and a collator
 * would load ICU's data (~10 MB) into the process.
 */
export function byStart(a: AlertRow, b: AlertRow): number {
  return a.startsAt < b.startsAt ? -1 : a.startsAt > b.startsAt ? 1 : 0;
}

export interface Group {
  key: string;
  title: string;
  service?: string;
  alerts: Record<string, AlertRow>;
  truncated: number;
  firstSeen: number;
  told: Told[];
  storm?: string;
}

export interface Storm {
  id: string;
  startedAt: number;
  groups: string[];
  told: Told[];
}

export interface State {
  groups: Record<string, Group>;
  storms: Storm[];
}

// One record per group, so a webhook reads and writes only its own group, and a small index of them.
const INDEX_KEY = 'am:index';
const STORMS_KEY = 'am:storms';
const groupKey = (key: string) => `am:g:${key}`;

/**
 * The one owner of the Alertmanager records in the state store: the intake writes them as webhooks arrive and
 * messages are told; `/alerts am` reads them for the details a storm digest leaves out.
 */
export class AlertmanagerBook {
  constructor(private readonly store: StateStore) {}

  private async index(): Promise<string[]> {
    const raw = await this.store.get(INDEX_KEY);
    return raw ? (JSON.parse(raw) as string[]) : [];
  }

  /** Every group and storm: the index, one MGET of the groups, the storms. */
  async load(): Promise<State> {
    const groups: Record<string, Group> = {};
    const keys = await this.index();
    const raws = await this.store.getMany(keys.map(groupKey));
    raws.forEach((raw, i) => {
      if (raw) groups[keys[i] as string] = JSON.parse(raw) as Group;
    });
    const storms = await this.store.get(STORMS_KEY);
    return { groups, storms: storms ? (JSON.parse(storms) as Storm[]) : [] };
  }

  async group(key: string): Promise<Group | undefined> {
    const raw = await this.store.get(groupKey(key));
    return raw ? (JSON.parse(raw) as Group) : undefined;
  }

  /** Writes one group; a new one joins the index. */
  async putGroup(group: Group, isNew: boolean): Promise<void> {
    await this.store.set(groupKey(group.key), JSON.stringify(group));
    if (!isNew) return;
    const index = await this.index();
    if (!index.includes(group.key)) await this.store.set(INDEX_KEY, JSON.stringify([...index, group.key]));
  }

  /** Writes the given groups, forgets the removed ones, and the storms and the index. */
  async save(state: State, changed: Iterable<string>, removed: string[] = []): Promise<void> {
    const set = [...changed].flatMap((key) => {
      const g = state.groups[key];
      return g ? [{ key: groupKey(key), value: JSON.stringify(g) }] : [];
    });
    set.push({ key: STORMS_KEY, value: JSON.stringify(state.storms) });
    if (removed.length) set.push({ key: INDEX_KEY, value: JSON.stringify(Object.keys(state.groups)) });
    await this.store.writeMany(set, removed.map(groupKey));
  }
}
