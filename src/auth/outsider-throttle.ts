/**
 * How often the bot takes note of people it does not know. A refused message costs nothing to send, so
 * noting each one (an audit entry, a log line, a Redis key, a metric series) would let a stranger wear the
 * bot down. Kept in memory on purpose: deciding to stay quiet must not itself write anywhere.
 */
export interface OutsiderLimits {
  /** Noted messages per sender within the window. */
  perSender: number;
  /** Noted messages per chat within the window (many senders in one group). */
  perChat: number;
  /** Noted messages overall within the window (many senders, many chats). */
  overall: number;
  windowMs: number;
  /** Senders and chats remembered at once; the oldest are forgotten first (the overall limit still holds). */
  remembered: number;
}

export const OUTSIDER_LIMITS: OutsiderLimits = { perSender: 5, perChat: 20, overall: 60, windowMs: 10 * 60_000, remembered: 5_000 };

/** `note`: audit and log it. `mute`: the first one over a limit in its window (log that, once). `quiet`: nothing. */
export type OutsiderVerdict = { kind: 'note' } | { kind: 'mute'; limit: 'overall' | 'chat' | 'sender' } | { kind: 'quiet' };

interface Window {
  start: number;
  count: number;
  muted: boolean;
}

export class OutsiderThrottle {
  private readonly senders = new Map<number, Window>();
  private readonly chats = new Map<number, Window>();
  private overall: Window = { start: 0, count: 0, muted: false };

  constructor(private readonly limits: OutsiderLimits = OUTSIDER_LIMITS) {}

  judge(senderId: number | undefined, chatId: number, now: number): OutsiderVerdict {
    const sender = senderId === undefined ? undefined : this.window(this.senders, senderId, now);
    const chat = this.window(this.chats, chatId, now);
    if (now - this.overall.start >= this.limits.windowMs) this.overall = { start: now, count: 0, muted: false };
    // The widest limit that is reached is the one named once in the log: all senders, then the chat, then the sender.
    const reached = (
      [
        ['overall', this.overall.count >= this.limits.overall ? this.overall : undefined],
        ['chat', chat.count >= this.limits.perChat ? chat : undefined],
        ['sender', sender !== undefined && sender.count >= this.limits.perSender ? sender : undefined],
      ] as const
    ).find(([, w]) => w !== undefined);
    if (!reached) {
      if (sender) sender.count++;
      chat.count++;
      this.overall.count++;
      return { kind: 'note' };
    }
    const [limit, w] = reached;
    if (!w || w.muted) return { kind: 'quiet' };
    w.muted = true;
    return { kind: 'mute', limit };
  }

  /** The sender's or chat's current window, started afresh when the old one is over. */
  private window(map: Map<number, Window>, id: number, now: number): Window {
    let w = map.get(id);
    if (w && now - w.start < this.limits.windowMs) return w;
    map.delete(id);
    w = { start: now, count: 0, muted: false };
    map.set(id, w);
    // A Map iterates in insertion order, and a renewed window was re-inserted: the first key is the oldest.
    if (map.size > this.limits.remembered) map.delete(map.keys().next().value as number);
    return w;
  }
}
