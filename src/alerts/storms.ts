import type { Notifier, StateStore } from '../ops/ports';
import { formatDuration } from '../util/duration';
import { bold, html, lines, type Html } from '../util/html';
import type { Logger } from '../util/logger';
import { fitHtml } from '../util/telegram-text';
import { showEverywhere, type Told } from './living-message';

/** Many incidents that began together, told as one summary message. */
export interface Storm {
  id: string;
  startedAt: number;
  members: string[];
  /** What the canary said when the storm began. */
  reach?: string;
  messages: Told[];
}

/** What the storm book needs to know of each member. */
export interface StormMember {
  name: string;
  failing: boolean;
  detail: string;
}

const STORMS_KEY = 'storms:open';
/** From this many incidents starting in one sweep, one summary is sent instead of one message each. */
export const STORM_SIZE = 5;
/** When this share of all checks fails at once, the monitor's own reach is the likelier culprit. */
const BLACKOUT_SHARE = 0.8;

/** The monitor's storms: gathered in a sweep, told as one living summary, closed when all recovered. */
export class StormBook {
  private storms: Storm[] = [];

  constructor(
    private readonly store: StateStore,
    private readonly notifier: Notifier,
    private readonly chats: () => readonly number[],
    private readonly log: Logger,
  ) {}

  async load(): Promise<void> {
    const raw = await this.store.get(STORMS_KEY).catch(() => null);
    const storms = raw ? (JSON.parse(raw) as (Storm & { shown?: string })[]) : [];
    // Records written before messages carried their own text: each shows what the storm showed.
    this.storms = storms.map(({ shown, ...s }) => ({ ...s, messages: s.messages.map((m) => ({ ...m, shown: m.shown ?? shown })) }));
  }

  open(members: string[], at: number, reach?: string): Storm {
    const storm: Storm = { id: `storm-${at}`, startedAt: at, members, messages: [], ...(reach && { reach }) };
    this.storms.push(storm);
    return storm;
  }

  render(storm: Storm, member: (id: string) => StormMember, totalChecks: number, now: number): { html: Html; open: boolean } {
    const members = storm.members.map(member);
    const failing = members.filter((m) => m.failing);
    const at = new Date(storm.startedAt).toISOString().slice(11, 16);
    if (failing.length === 0) {
      return { html: html`✅ All ${members.length} checks that failed together at ${at} UTC recovered after ${formatDuration(now - storm.startedAt)}.`, open: false };
    }
    const blackout = storm.members.length >= BLACKOUT_SHARE * totalChecks && totalChecks >= 10;
    const body = lines([
      html`🔴 ${bold(`${members.length} checks started failing together`)} at ${at} UTC · ${failing.length} still failing`,
      ...(blackout ? [html`Almost everything failed at once: the monitor itself may have lost its network, DNS or the Docker socket.`] : []),
      ...(storm.reach ? [html`The monitor's own reach: ${storm.reach}`] : []),
      ...members.map((m) => (m.failing ? html`⛔ ${m.name}: ${m.detail}` : html`✅ ${m.name}: recovered`)),
    ]);
    return { html: fitHtml(body, undefined, '… and more').html, open: true };
  }

  /**
   * Shows every storm (a storm that could not be sent anywhere yet is sent; one that was, is edited) and
   * returns the ids of those closed: recovered and shown as such everywhere.
   */
  async tell(member: (id: string) => StormMember, totalChecks: number, now: number): Promise<Set<string>> {
    const closed = new Set<string>();
    for (const storm of this.storms) {
      const { html: text, open } = this.render(storm, member, totalChecks, now);
      const { complete: shown } = await showEverywhere(this.notifier, this.chats(), storm.messages, [text], {
        sendMissing: storm.messages.length === 0 || open,
        onError: (chatId, err) => this.log.warn({ storm: storm.id, chatId, err: err.message }, 'storm summary not delivered; retried next sweep'),
      });
      if (!open && shown && storm.messages.length > 0) closed.add(storm.id);
    }
    this.storms = this.storms.filter((s) => !closed.has(s.id));
    await this.store.set(STORMS_KEY, JSON.stringify(this.storms)).catch(() => undefined);
    return closed;
  }
}
