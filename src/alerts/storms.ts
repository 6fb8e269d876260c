import type { Notifier, StateStore } from '../ops/ports';
import type { LocalTime } from '../util/local-time';
import { formatDuration } from '../util/duration';
import { bold, html, type Html } from '../util/html';
import { fitLines } from '../util/telegram-text';
import { owedIn, showIn, showsEverywhere, type LivingView, type Told } from './living-message';

/** Many incidents that began together, told as one summary message. */
export interface Storm {
  id: string;
  startedAt: number;
  members: string[];
  /** What the canary said when the storm began. */
  reach?: string;
  messages: Told[];
  /** When every member was found recovered: the summary's last words are fixed from then on. */
  recoveredAt?: number;
  /** Sent through the fallback channel while Telegram was away. */
  fallbackSent?: boolean;
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
  private readonly views = new Map<string, { view: LivingView; open: boolean }>();

  constructor(
    private readonly store: StateStore,
    private readonly notifier: Notifier,
    private readonly chats: () => readonly number[],
    /** The estate's clock, read when a summary is drawn (a reload may change the time zone). */
    private readonly clock: { readonly time: LocalTime },
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
    if (failing.length) delete storm.recoveredAt;
    const at = this.clock.time.hmZone(storm.startedAt);
    if (failing.length === 0) {
      storm.recoveredAt ??= now;
      return { html: html`✅ All ${members.length} checks that failed together at ${at} recovered after ${formatDuration(storm.recoveredAt - storm.startedAt)}.`, open: false };
    }
    const blackout = storm.members.length >= BLACKOUT_SHARE * totalChecks && totalChecks >= 10;
    // A line per member, drawn only as far as the message goes: this runs at every judgement while the storm lasts.
    function* body(): Generator<Html> {
      yield html`🔴 ${bold(`${members.length} checks started failing together`)} at ${at} · ${failing.length} still failing`;
      if (blackout) yield html`Almost everything failed at once: the monitor itself may have lost its network, DNS or the Docker socket.`;
      if (storm.reach) yield html`The monitor's own reach: ${storm.reach}`;
      for (const m of members) yield m.failing ? html`⛔ ${m.name}: ${m.detail}` : html`✅ ${m.name}: recovered`;
    }
    return { html: fitLines(body(), undefined, '… and more').html, open: true };
  }

  /** Renders every storm as it should show now; returns those whose summary says all recovered and shows it everywhere. */
  refresh(member: (id: string) => StormMember, totalChecks: number, now: number): Set<string> {
    this.views.clear();
    for (const storm of this.storms) {
      const { html: text, open } = this.render(storm, member, totalChecks, now);
      this.views.set(storm.id, { view: { pages: [text], sendMissing: storm.messages.length === 0 || open }, open });
    }
    return this.close();
  }

  /** Brings one chat's storm summaries up to date (throws at the first failed call, which is retried). */
  async deliverTo(chatId: number): Promise<boolean> {
    let changed = false;
    for (const storm of this.storms) {
      const v = this.views.get(storm.id);
      if (v && (await showIn(this.notifier, chatId, storm.messages, v.view)) > 0) changed = true;
    }
    if (changed) await this.save();
    return changed;
  }

  /** Storms recovered and shown as such everywhere are closed: their ids, for the members to be freed. */
  close(): Set<string> {
    const closed = new Set(
      this.storms.filter((s) => {
        const v = this.views.get(s.id);
        return v && !v.open && showsEverywhere(s.messages, v.view);
      }).map((s) => s.id),
    );
    if (closed.size) {
      this.storms = this.storms.filter((s) => !closed.has(s.id));
      void this.save();
    }
    return closed;
  }

  /** Storms not shown in any chat yet and not sent to the fallback channel: while Telegram is away, each goes there once. */
  untold(): Storm[] {
    return this.storms.filter((s) => s.messages.length === 0 && !s.fallbackSent);
  }

  /** Summaries still owed to a chat (not sent, or showing older text). */
  get backlog(): number {
    let n = 0;
    for (const storm of this.storms) {
      const v = this.views.get(storm.id);
      if (v) n += owedIn(storm.messages, v.view, this.chats());
    }
    return n;
  }

  async save(): Promise<void> {
    await this.store.set(STORMS_KEY, JSON.stringify(this.storms)).catch(() => undefined);
  }
}
