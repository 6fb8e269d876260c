import { z } from 'zod';
import { formatDuration } from '../util/duration';
import { html } from '../util/html';
import type { StateStore } from '../ops/ports';
import { defineCommand } from './types';

/** One PING of the store, timed (when no rate-limit round trip was made for this command). */
async function pingStore(store: StateStore): Promise<{ ok: boolean; ms: number }> {
  const started = performance.now();
  return store.ping().then(
    () => ({ ok: true, ms: performance.now() - started }),
    () => ({ ok: false, ms: 0 }),
  );
}

export const ping = defineCommand({
  name: 'ping',
  summary: 'Is the bot alive, and can it reach its state store',
  usage: '/ping',
  role: 'viewer',
  confirm: 'never',
  args: z.object({}),
  async run({ env, storeReach }) {
    // The rate limit has just made a round trip to the store: its answer is the reading, with no second trip.
    const reach = storeReach ?? (await pingStore(env.store));
    const store = reach.ok ? `${env.store.kind} ok (${formatDuration(Math.max(1, Math.round(reach.ms)))})` : `${env.store.kind} UNREACHABLE`;
    return { html: html`pong · up ${formatDuration(env.now() - env.startedAt)} · state store: ${store}` };
  },
});
