import { formatDuration } from '../util/duration';
import { bold, html, lines, type Html } from '../util/html';
import type { LocalTime } from '../util/local-time';
import { fitHtml } from '../util/telegram-text';

/** What happened to one check while the alert chats could not be told. */
interface AwayEntry {
  name: string;
  firedAt?: number;
  resolvedAt?: number;
  /** Its alert was in the chat before Telegram went away. */
  toldBefore?: boolean;
  /** It went to ntfy meanwhile. */
  ntfy?: boolean;
}

/**
 * The monitor's notes while Telegram is away, and the one catch-up message they become when it is back: what
 * fired and what recovered meanwhile, so nothing that came and went unseen is lost, and nothing is told twice
 * (an incident still failing gets its own alert after the catch-up, one that came and went gets only its line).
 */
export class AwayLog {
  private entries: Map<string, AwayEntry> | undefined;
  /**
   * Incidents that fired and are not in the chat yet, noted before anyone knows Telegram is away: a Telegram
   * that hangs is found out only when a call gives up, and what came and went before that belongs in the catch-up.
   */
  private readonly untold = new Map<string, AwayEntry>();
  private since = 0;

  constructor(private readonly clock: { readonly time: LocalTime }) {}

  get active(): boolean {
    return this.entries !== undefined;
  }

  /** Telegram has taken nothing since `since`: what fired from then on and was not told is the catch-up's. */
  begin(since: number): void {
    this.since = since;
    // Still failing, or recovered after Telegram stopped taking messages: either way nobody saw it.
    this.entries = new Map([...this.untold].filter(([, e]) => e.resolvedAt === undefined || e.resolvedAt >= since).map(([id, e]) => [id, { ...e }]));
  }

  fired(id: string, name: string, at: number): void {
    const entry = { name, firedAt: at };
    this.untold.set(id, entry);
    this.entries?.set(id, { ...entry });
    if (this.untold.size > 200) this.untold.delete(this.untold.keys().next().value as string);
  }

  /** Whether this incident is noted as fired, untold and not recovered. */
  knows(id: string): boolean {
    const e = this.untold.get(id);
    return !!e && e.resolvedAt === undefined;
  }

  /** Its alert is in a chat: it needs no catch-up line, unless it recovers while Telegram is away. */
  told(id: string): void {
    this.untold.delete(id);
  }

  /** A recovery: noted when it fired untold, or while away when its alert was in the chat from before. */
  resolved(id: string, name: string, at: number, toldBefore: { failedAt?: number } | undefined): void {
    const untold = this.untold.get(id);
    if (untold) untold.resolvedAt = at;
    // Kept while Telegram seems fine: it may be hanging, not found out yet (begin() takes only what is recent).
    if (!this.entries) return;
    const entry = this.entries.get(id) ?? (toldBefore ? { name, toldBefore: true, ...(toldBefore.failedAt !== undefined && { firedAt: toldBefore.failedAt }) } : undefined);
    if (!entry) return;
    entry.resolvedAt = at;
    this.entries.set(id, entry);
  }

  sentToFallback(id: string): void {
    const entry = this.entries?.get(id);
    if (entry) entry.ntfy = true;
  }

  /**
   * Telegram is back at `at`: the catch-up message, when something came and went unseen or it was away for
   * at least `worthTellingMs`; `stillUntold` says which firing checks will get their own alert next.
   */
  end(at: number, stillUntold: (id: string) => boolean, worthTellingMs: number): Html | undefined {
    const entries = this.entries;
    this.entries = undefined;
    if (!entries) return undefined;
    for (const [id, e] of entries) if (e.resolvedAt !== undefined) this.untold.delete(id);
    // A blip (one chat's call timing out, say) is no news: what still fails gets its own alert anyway. What came
    // and went unseen always is.
    const cameAndWent = [...entries.values()].some((e) => e.resolvedAt !== undefined);
    if (!cameAndWent && at - this.since < worthTellingMs) return undefined;
    const rows = [...entries].map(([id, e]) => {
      const fired = e.firedAt !== undefined ? ` failed at ${this.clock.time.hm(e.firedAt)}` : '';
      const ntfy = e.ntfy ? ' · sent to ntfy' : '';
      if (e.resolvedAt !== undefined) return html`✅ ${bold(e.name)}${fired}${e.toldBefore ? ' (alert above)' : ''} · recovered at ${this.clock.time.hm(e.resolvedAt)}${ntfy}`;
      return html`🔴 ${bold(e.name)}${fired} · still failing${stillUntold(id) ? ', its alert follows' : ''}${ntfy}`;
    });
    const head = html`📶 ${bold('Back in touch')}: Telegram was unreachable for ${formatDuration(at - this.since)} (${this.clock.time.hm(this.since)}–${this.clock.time.hmZone(at)}).`;
    const body = rows.length ? lines([head, html`While it was away:`, ...rows]) : lines([head, html`Nothing fired or recovered meanwhile.`]);
    return fitHtml(body, undefined, '… and more').html;
  }
}
