import type { VersionedStateStorage } from '@grammyjs/conversations';
import type { StateStore } from '../ops/ports';
import type { Logger } from '../util/logger';

const TTL_MS = 24 * 3_600_000;

/**
 * Conversation state in our own StateStore (Redis or memory), so a guided question survives a bot restart.
 * Reads fail soft: while Redis is down no conversation can be seen, and every other update still flows.
 */
export function conversationStorage<S>(store: StateStore, log: Logger): VersionedStateStorage<string, S> {
  const key = (k: string) => `conv:${k}`;
  return {
    async read(k) {
      try {
        const raw = await store.get(key(k));
        return raw === null ? undefined : JSON.parse(raw);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'conversation state unreadable: state store unavailable');
        return undefined;
      }
    },
    async write(k, state) {
      await store.set(key(k), JSON.stringify(state), TTL_MS);
    },
    async delete(k) {
      await store.del(key(k)).catch((err: Error) => log.warn({ err: err.message }, 'conversation state not deleted'));
    },
  };
}
