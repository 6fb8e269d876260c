import type { StateStore } from '../ops/ports';
import type { Logger } from '../util/logger';

/** An audit entry; fieldsOf (below) names each field as the stream keeps it. */
export interface AuditEntry {
  at: number;
  userId: number | undefined;
  chatId: number;
  /** What was attempted: a command name, or `confirm`/`cancel` of one. */
  action: string;
  args: string;
  /** The outcome kind: reply, denied, invalid, confirm, confirmed, cancelled, error, … */
  result: string;
  detail?: string;
  ms: number;
  ref?: string;
}

/** Whose entry it is: an allowlisted user's, or someone the bot does not know (kept apart, and fewer). */
export type AuditBook = 'users' | 'outsiders';

export const AUDIT_STREAM = 'audit';
export const OUTSIDER_STREAM = 'audit:outsiders';
const KEPT: Record<AuditBook, { stream: string; max: number }> = {
  users: { stream: AUDIT_STREAM, max: 10_000 },
  // Outsiders cannot push out a user's entry: they write only here, and this book is small.
  outsiders: { stream: OUTSIDER_STREAM, max: 1_000 },
};
/** Longest text kept per field: enough to read what was tried, never a payload. */
const ACTION_MAX = 40;
const ARGS_MAX = 200;
const DETAIL_MAX = 300;
const REF_MAX = 16;

/** The first `max` characters (whole code points), marked when cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${text.slice(0, cut)}…`;
}

/** How long an entry may wait to be written with the ones after it: one round trip for a run of commands. */
const WRITE_BEHIND_MS = 50;
/** A batch is written at once when it reaches this many entries. */
const BATCH_MAX = 200;

/** Every command, denial, confirmation and outcome: to a capped stream, and to the log at debug level. */
export class AuditLog {
  private readonly queued: Record<AuditBook, Record<string, string>[]> = { users: [], outsiders: [] };
  private timer: NodeJS.Timeout | undefined;
  private readonly writing = new Set<Promise<void>>();

  constructor(
    private readonly store: StateStore,
    private readonly log: Logger,
    private readonly writeBehindMs = WRITE_BEHIND_MS,
  ) {}

  /**
   * Records without waiting for the store: the reply need not wait for its audit entry. Entries noted within
   * `writeBehindMs` of each other go to the store together, in order, in one round trip; flush() and recent() write
   * what is waiting first.
   */
  note(entry: AuditEntry, book: AuditBook = 'users'): void {
    const fields = this.fieldsOf(entry, book);
    const queue = this.queued[book];
    queue.push(fields);
    if (queue.length >= BATCH_MAX) this.writeQueued();
    else this.timer ??= setTimeout(() => this.writeQueued(), this.writeBehindMs);
  }

  /** Writes what is waiting, and waits for every write under way (at shutdown, before a read). */
  async flush(): Promise<void> {
    this.writeQueued();
    await Promise.allSettled([...this.writing]);
  }

  private fieldsOf(entry: AuditEntry, book: AuditBook): Record<string, string> {
    // One literal, every field named (a loop over the entry's keys cost several times more, per command).
    const fields: { [K in keyof AuditEntry]?: string } = {
      at: String(entry.at),
      chatId: String(entry.chatId),
      action: clip(entry.action, ACTION_MAX),
      args: clip(entry.args, ARGS_MAX),
      result: entry.result,
      ms: String(entry.ms),
    };
    if (entry.userId !== undefined) fields.userId = String(entry.userId);
    if (entry.detail !== undefined) fields.detail = clip(entry.detail, DETAIL_MAX);
    if (entry.ref !== undefined) fields.ref = clip(entry.ref, REF_MAX);
    // The stream is the record; the log repeats it only at debug level, or in full when the stream cannot take it.
    if (this.log.isLevelEnabled('debug')) this.log.debug({ audit: fields, book }, `audit ${fields.action} ${fields.result}`);
    return fields;
  }

  private writeQueued(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const book of ['users', 'outsiders'] as const) {
      const batch = this.queued[book];
      if (batch.length === 0) continue;
      this.queued[book] = [];
      const { stream, max } = KEPT[book];
      const write = this.store.appendMany(stream, batch, max).catch((err: unknown) => {
        for (const fields of batch) this.log.warn({ audit: fields, book, err: (err as Error).message }, 'audit entry kept in the log only: state store unavailable');
      });
      this.writing.add(write);
      void write.finally(() => this.writing.delete(write));
    }
  }

  async recent(count: number, book: AuditBook = 'users'): Promise<AuditEntry[]> {
    await this.flush();
    const rows = await this.store.tail(KEPT[book].stream, count);
    return rows.map(({ fields: f }) => ({
      at: Number(f.at),
      userId: f.userId === undefined ? undefined : Number(f.userId),
      chatId: Number(f.chatId),
      action: f.action ?? '?',
      args: f.args ?? '',
      result: f.result ?? '?',
      ...(f.detail !== undefined && { detail: f.detail }),
      ms: Number(f.ms),
      ...(f.ref !== undefined && { ref: f.ref }),
    }));
  }
}
