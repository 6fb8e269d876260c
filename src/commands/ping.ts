import { z } from 'zod';
import { formatDuration } from '../util/duration';
import { html } from '../util/html';
import type { StateStore } from '../ops/ports';
import { defineCommand } from './types';

/**
 * A round trip the store made within this long is the reading: under load, /ping costs the store nothing more. A
 * dropped connection voids it at once; a Redis that hangs shows within this time, or at the next write that waits.
 */
export const STORE_READING_MAX_AGE_MS = 1_000;

/** How the store answers to one PING, timed. */
function pingTimed(store: StateStore): Promise<{ ok: boolean; ms: number }> {
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
  async run({ env }) {
    // Its latest round trip if it is fresh, else one PING.
    const reach = env.store.recentRoundTrip(STORE_READING_MAX_AGE_MS) ?? (await pingTimed(env.store));
    const store = reach.ok ? `${env.store.kind} ok (${formatDuration(Math.max(1, Math.round(reach.ms)))})` : `${env.store.kind} UNREACHABLE`;
    return { html: html`pong · up ${formatDuration(env.now() - env.startedAt)} · state store: ${store}` };
  },
});
