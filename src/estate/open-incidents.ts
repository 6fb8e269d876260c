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

/** The list of open incidents, written by the monitor after each sweep, read by the commands. */
export class OpenIncidents {
  constructor(private readonly store: StateStore) {}

  async write(open: OpenIncident[]): Promise<void> {
    await this.store.set(KEY, JSON.stringify([...open].sort((a, b) => a.since - b.since)));
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
