import type { StateStore } from '../ops/ports';
import type { Logger } from '../util/logger';

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

export const AUDIT_STREAM = 'audit';
const AUDIT_MAX = 10_000;

/** Every command, denial, confirmation and outcome: to a capped stream and to the log. */
export class AuditLog {
  constructor(
    private readonly store: StateStore,
    private readonly log: Logger,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    this.log.info({ audit: entry }, `audit ${entry.action} ${entry.result}`);
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(entry)) if (v !== undefined) fields[k] = String(v);
    try {
      await this.store.append(AUDIT_STREAM, fields, AUDIT_MAX);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'audit entry kept in the log only: state store unavailable');
    }
  }

  async recent(count: number): Promise<AuditEntry[]> {
    const rows = await this.store.tail(AUDIT_STREAM, count);
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
