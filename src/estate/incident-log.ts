import type { StateStore } from '../ops/ports';

export interface IncidentMark {
  checkId: string;
  kind: 'fired' | 'resolved';
  at: number;
}

const STREAM = 'incidents:log';
/** About 2,500 incidents with their recoveries: weeks of a bad estate. */
const MAX_LEN = 5_000;

/**
 * When incidents fired and resolved, for the markers on charts: the one owner of the `incidents:log` stream. The
 * monitor writes each transition once; a write the store does not take is lost (a marker, never an alert).
 */
export class IncidentLog {
  constructor(private readonly store: StateStore) {}

  /** The transitions of one judgement, in one round trip. */
  async note(marks: readonly IncidentMark[]): Promise<void> {
    await this.store.appendMany(STREAM, marks.map((m) => ({ check: m.checkId, kind: m.kind, at: String(m.at) })), MAX_LEN);
  }

  /** The marks of these checks from `from` to `to`, oldest first. */
  async between(checkIds: readonly string[], from: number, to: number): Promise<IncidentMark[]> {
    const wanted = new Set(checkIds);
    const entries = await this.store.tail(STREAM, MAX_LEN);
    const marks: IncidentMark[] = [];
    for (const e of entries) {
      const at = Number(e.fields.at);
      const kind = e.fields.kind;
      const checkId = e.fields.check ?? '';
      if (!wanted.has(checkId) || !(at >= from && at <= to) || (kind !== 'fired' && kind !== 'resolved')) continue;
      marks.push({ checkId, kind, at });
    }
    return marks.sort((a, b) => a.at - b.at);
  }
}
