import type { StateStore } from '../ops/ports';

export interface IncidentMark {
  checkId: string;
  kind: 'fired' | 'resolved';
  at: number;
}

const STREAM = 'incidents:log';
/** About 2,500 incidents with their recoveries (many more when they come in storms): weeks of a bad estate. */
const MAX_LEN = 5_000;
/**
 * Marks of one judgement with the same kind and instant share an entry, up to this many checks: a storm of a thousand
 * is ten entries, not a thousand for Redis to add, which also pushed weeks of other markers out of the stream.
 */
const CHECKS_PER_ENTRY = 100;

/**
 * When incidents fired and resolved, for the markers on charts: the one owner of the `incidents:log` stream. The
 * monitor writes each transition once; a write the store does not take is lost (a marker, never an alert). An entry
 * names one check (`check`) or several (`checks`, a JSON list).
 */
export class IncidentLog {
  constructor(private readonly store: StateStore) {}

  /** The transitions of one judgement, in one round trip. */
  async note(marks: readonly IncidentMark[]): Promise<void> {
    const together = new Map<string, IncidentMark[]>();
    for (const m of marks) {
      const key = `${m.kind} ${m.at}`;
      const same = together.get(key);
      if (same) same.push(m);
      else together.set(key, [m]);
    }
    const entries: Record<string, string>[] = [];
    for (const group of together.values()) {
      for (let i = 0; i < group.length; i += CHECKS_PER_ENTRY) {
        const part = group.slice(i, i + CHECKS_PER_ENTRY);
        const { checkId, kind, at } = part[0] as IncidentMark;
        entries.push(part.length === 1 ? { check: checkId, kind, at: String(at) } : { checks: JSON.stringify(part.map((m) => m.checkId)), kind, at: String(at) });
      }
    }
    await this.store.appendMany(STREAM, entries, MAX_LEN);
  }

  /** The marks of these checks from `from` to `to`, oldest first. */
  async between(checkIds: readonly string[], from: number, to: number): Promise<IncidentMark[]> {
    const wanted = new Set(checkIds);
    const entries = await this.store.tail(STREAM, MAX_LEN);
    const marks: IncidentMark[] = [];
    for (const e of entries) {
      const at = Number(e.fields.at);
      const kind = e.fields.kind;
      if (!(at >= from && at <= to) || (kind !== 'fired' && kind !== 'resolved')) continue;
      for (const checkId of checksOf(e.fields)) if (wanted.has(checkId)) marks.push({ checkId, kind, at });
    }
    return marks.sort((a, b) => a.at - b.at);
  }
}

/** The checks an entry names; none when its list does not read as one (written by hand, cut short). */
function checksOf(fields: Record<string, string>): string[] {
  if (fields.checks === undefined) return fields.check === undefined ? [] : [fields.check];
  try {
    const list: unknown = JSON.parse(fields.checks);
    return Array.isArray(list) ? list.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}
