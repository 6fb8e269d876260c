import type { StateStore } from '../ops/ports';

/** One failing check as the monitor last saw it: what /alerts lists and /ack acts on. */
export interface OpenIncident {
  check: string;
  service?: string;
  label: string;
  status: 'pending' | 'firing';
  since: number;
  detail?: string;
  silenced: boolean;
  acked?: string;
  flapping: boolean;
}

const KEY = 'incidents:open';

/** The list of open incidents, written by the monitor with its records after each judgement, read by the commands. */
export class OpenIncidents {
  constructor(private readonly store: StateStore) {}

  /**
   * The list as the store keeps it, oldest first, for a batch of writes; none when it reads as `unchanged` (what this
   * returned last). The caller writes it with its own records, so both land in one round trip.
   */
  entry(open: OpenIncident[], unchanged?: string): { key: string; value: string } | undefined {
    const value = JSON.stringify([...open].sort((a, b) => a.since - b.since));
    return value === unchanged ? undefined : { key: KEY, value };
  }

  async read(): Promise<OpenIncident[]> {
    return (await this.readIfChecked()) ?? [];
  }

  /** The list, or undefined when no monitor has ever judged against this store (checks are off here). */
  async readIfChecked(): Promise<OpenIncident[] | undefined> {
    const raw = await this.store.get(KEY);
    return raw ? (JSON.parse(raw) as OpenIncident[]) : undefined;
  }
}
