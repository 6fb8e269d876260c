import { z } from 'zod';
import { formatDuration } from '../util/duration';
import { html } from '../util/html';
import { defineCommand } from './types';

export const ping = defineCommand({
  name: 'ping',
  summary: 'Is the bot alive, and can it reach its state store',
  usage: '/ping',
  role: 'viewer',
  confirm: 'never',
  args: z.object({}),
  async run({ env, storeReach }) {
    // The rate limit has just made a round trip to the store: its answer is the reading, with no second trip.
    const reach =
      storeReach ??
      (await (async () => {
        const started = performance.now();
        return env.store.ping().then(
          () => ({ ok: true, ms: performance.now() - started }),
          () => ({ ok: false, ms: 0 }),
        );
      })());
    const store = reach.ok ? `${env.store.kind} ok (${formatDuration(Math.max(1, Math.round(reach.ms)))})` : `${env.store.kind} UNREACHABLE`;
    return { html: html`pong · up ${formatDuration(env.now() - env.startedAt)} · state store: ${store}` };
  },
});
