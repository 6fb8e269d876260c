import { randomBytes } from 'node:crypto';
import type { StateStore } from '../ops/ports';

/** What a Confirm button stands for, bound to who asked, where, and exactly what. */
export interface PendingAction {
  userId: number;
  chatId: number;
  command: string;
  /** The arguments as given (before validation), validated again when confirmed. */
  args: Record<string, string | string[]>;
  /** The command line as typed, for the audit and the edited message. */
  line: string;
  createdAt: number;
}

interface Tombstone {
  decision: 'confirmed' | 'cancelled';
  by: number;
  at: number;
}

export type Claim =
  | { status: 'ok'; action: PendingAction }
  | { status: 'not_yours'; action: PendingAction }
  | { status: 'used'; decision: Tombstone['decision']; at: number }
  | { status: 'expired' };

const NONCE_BYTES = 12; // 16 base64url characters: callback data stays far below Telegram's 64 bytes
const TOMBSTONE_TTL_MS = 24 * 3_600_000;

export function isNonce(value: string): boolean {
  return /^[A-Za-z0-9_-]{16}$/.test(value);
}

/**
 * Single-use confirmations in the state store. The pending action lives under a random nonce with a TTL;
 * claiming it is a GETDEL, so of two presses only one runs. A tombstone remembers what happened so a second
 * press can be told "already confirmed" rather than "expired".
 */
export class Confirmations {
  constructor(
    private readonly store: StateStore,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async create(action: Omit<PendingAction, 'createdAt'>): Promise<{ nonce: string; expiresAt: number }> {
    const createdAt = this.now();
    for (;;) {
      const nonce = randomBytes(NONCE_BYTES).toString('base64url');
      const stored = await this.store.setIfAbsent(`confirm:${nonce}`, JSON.stringify({ ...action, createdAt }), this.ttlMs);
      if (stored) return { nonce, expiresAt: createdAt + this.ttlMs };
    }
  }

  /** Takes the action for `userId` in `chatId`; another user's press leaves it in place. */
  async claim(nonce: string, userId: number, chatId: number, decision: Tombstone['decision']): Promise<Claim> {
    if (!isNonce(nonce)) return { status: 'expired' };
    const key = `confirm:${nonce}`;
    const peeked = await this.store.get(key);
    if (peeked === null) return this.afterlife(nonce);
    const seen = JSON.parse(peeked) as PendingAction;
    if (seen.userId !== userId || seen.chatId !== chatId) return { status: 'not_yours', action: seen };
    const taken = await this.store.take(key);
    if (taken === null) return this.afterlife(nonce);
    const tomb: Tombstone = { decision, by: userId, at: this.now() };
    await this.store.set(`confirm-done:${nonce}`, JSON.stringify(tomb), TOMBSTONE_TTL_MS).catch(() => undefined);
    return { status: 'ok', action: JSON.parse(taken) as PendingAction };
  }

  private async afterlife(nonce: string): Promise<Claim> {
    const tomb = await this.store.get(`confirm-done:${nonce}`);
    if (tomb === null) return { status: 'expired' };
    const t = JSON.parse(tomb) as Tombstone;
    return { status: 'used', decision: t.decision, at: t.at };
  }
}
