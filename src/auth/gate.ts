import type { Catalog, KnownUser } from '../config/catalog';

/** Telegram's stand-in sender ids: anonymous group admins, and channel posts relayed into a group. */
export const ANONYMOUS_ADMIN_ID = 1087968824;
export const TELEGRAM_SERVICE_ID = 777000;
/** How far ahead of our clock a message's date may be (clock skew), before it counts as forged. */
export const FUTURE_SLACK_MS = 60_000;

/** What a front-end knows about where a command came from, as plain data. */
export interface Envelope {
  /** Numeric Telegram user id; undefined for channel posts. Never a username. */
  userId: number | undefined;
  chatId: number;
  chatType: 'private' | 'group' | 'supergroup' | 'channel';
  /** When the user sent it (ms since epoch). */
  sentAt: number;
  forwarded: boolean;
  edited: boolean;
  /** Set when a chat, not a user, is the sender (anonymous admins, linked channels). */
  senderChatId?: number;
  /** Sent by a bot, or through an inline bot (via_bot): never a human's command. */
  fromBot?: boolean;
}

export type DenyReason =
  | 'anonymous'
  | 'channel'
  | 'forwarded'
  | 'edited'
  | 'stale'
  | 'future'
  | 'bot'
  | 'chat_not_allowed'
  | 'stranger';

export type Admission =
  | { ok: true; user: KnownUser }
  | { ok: false; reason: DenyReason; userId?: number; user?: KnownUser };

/**
 * Decides whether a message may be treated as a command at all. Pure and fails closed: anything it cannot
 * attribute to one allowlisted human, in a chat where commands are allowed, fresh and unedited, is refused.
 */
export function admit(envelope: Envelope, catalog: Catalog, now: number, maxAgeMs: number): Admission {
  const { userId } = envelope;
  if (envelope.chatType === 'channel' || userId === undefined || userId === TELEGRAM_SERVICE_ID) {
    return { ok: false, reason: 'channel' };
  }
  if (userId === ANONYMOUS_ADMIN_ID || envelope.senderChatId !== undefined) {
    return { ok: false, reason: 'anonymous', userId };
  }
  const user = catalog.user(userId);
  if (envelope.fromBot) return { ok: false, reason: 'bot', userId };
  if (envelope.edited) return { ok: false, reason: 'edited', userId, ...(user && { user }) };
  if (envelope.forwarded) return { ok: false, reason: 'forwarded', userId, ...(user && { user }) };
  const privateChat = envelope.chatType === 'private' && envelope.chatId === userId;
  if (!privateChat && !catalog.isCommandGroup(envelope.chatId)) {
    return { ok: false, reason: 'chat_not_allowed', userId, ...(user && { user }) };
  }
  if (!user) return { ok: false, reason: 'stranger', userId };
  if (now - envelope.sentAt > maxAgeMs) return { ok: false, reason: 'stale', userId, user };
  if (envelope.sentAt - now > FUTURE_SLACK_MS) return { ok: false, reason: 'future', userId, user };
  return { ok: true, user };
}
