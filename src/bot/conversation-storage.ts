import type { VersionedStateStorage } from '@grammyjs/conversations';
import type { StateStore } from '../ops/ports';
import type { Logger } from '../util/logger';

const TTL_MS = 24 * 3_600_000;
const PREFIX = 'conv:';

export interface ConversationStorage<S> extends VersionedStateStorage<string, S> {
  /** Whether a conversation may be waiting under this key: only then is the store asked on an update. */
  mayBeActive(key: string): boolean;
  /** Learns which conversations the store holds (at start: one survives a restart of the bot). */
  prime(): Promise<void>;
}

/**
 * Conversation state in our own StateStore (Redis or memory), so a guided question survives a bot restart.
 * The keys with state are also known in memory (only allowlisted users can start one, so they are few): an update
 * for any other chat and user costs no round trip. Reads fail soft: while Redis is down no conversation can be
 * seen, and every other update still flows.
 */
export function conversationStorage<S>(store: StateStore, log: Logger): ConversationStorage<S> {
  const key = (k: string) => `${PREFIX}${k}`;
  const active = new Set<string>();
  return {
    mayBeActive: (k) => active.has(k),
    async prime() {
      for (const k of await store.keysWithPrefix(PREFIX)) active.add(k.slice(PREFIX.length));
    },
    async read(k) {
      try {
        const raw = await store.get(key(k));
        if (raw === null) active.delete(k);
        return raw === null ? undefined : JSON.parse(raw);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'conversation state unreadable: state store unavailable');
        return undefined;
      }
    },
    async write(k, state) {
      active.add(k);
      await store.set(key(k), JSON.stringify(state), TTL_MS);
    },
    async delete(k) {
      active.delete(k);
      await store.del(key(k)).catch((err: Error) => log.warn({ err: err.message }, 'conversation state not deleted'));
    },
  };
}
