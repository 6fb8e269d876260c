import type { Notifier, StateStore } from '../ops/ports';
import { Html } from '../util/html';
import type { Logger } from '../util/logger';

/** One message to every alert chat, sent once: a reminder, a flapping notice, a catch-up, start and stop. */
interface Notice {
  text: string;
  /** The chats that have not taken it yet. */
  chats: number[];
  at: number;
}

const KEY = 'notices:pending';

/**
 * The one-off alert messages not yet taken by every chat, in order, kept in the state store so that Telegram
 * being away, or a restart (the stopping notice included), loses none. Written by the leading instance only.
 */
export class NoticeQueue {
  private notices: Notice[] = [];
  private unsaved = false;

  constructor(
    private readonly store: StateStore,
    private readonly log: Logger,
  ) {}

  /** Takes what an earlier run (or the instance that led before) left queued, before anything new. */
  async load(): Promise<void> {
    const raw = await this.store.get(KEY).catch(() => null);
    const earlier = raw ? (JSON.parse(raw) as Notice[]) : [];
    const known = new Set(this.notices.map((n) => `${n.at}:${n.text}`));
    this.notices = [...earlier.filter((n) => !known.has(`${n.at}:${n.text}`)), ...this.notices];
  }

  add(html: Html, chats: readonly number[], at: number, options: { first?: boolean } = {}): void {
    if (chats.length === 0) return;
    const notice = { text: html.value, chats: [...chats], at };
    if (options.first) this.notices.unshift(notice);
    else this.notices.push(notice);
    void this.save();
  }

  /** Messages still owed, counted per chat. */
  get depth(): number {
    return this.notices.reduce((n, x) => n + x.chats.length, 0);
  }

  /** Sends this chat's notices in order; a failure keeps it and every later one for the next try. */
  async deliverTo(chatId: number, notifier: Notifier): Promise<void> {
    for (const n of this.notices) {
      if (!n.chats.includes(chatId)) continue;
      await notifier.send(chatId, new Html(n.text));
      n.chats = n.chats.filter((c) => c !== chatId);
      this.notices = this.notices.filter((x) => x.chats.length > 0);
      void this.save();
    }
  }

  /** Writes the queue; while the store is away it is kept in memory and written on the next change or save. */
  async save(): Promise<boolean> {
    try {
      await this.store.set(KEY, JSON.stringify(this.notices));
      if (this.unsaved) this.log.info({ notices: this.notices.length }, 'queued alert notices written to the state store again');
      this.unsaved = false;
      return true;
    } catch (err) {
      if (!this.unsaved) this.log.warn({ err: (err as Error).message }, 'queued alert notices kept in memory: state store unavailable');
      this.unsaved = true;
      return false;
    }
  }
}
