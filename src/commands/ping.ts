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
  async run({ env }) {
    const started = env.now();
    const store = await env.store.ping().then(
      () => `${env.store.kind} ok (${formatDuration(env.now() - started)})`,
      () => `${env.store.kind} UNREACHABLE`,
    );
    return { html: html`pong · up ${formatDuration(env.now() - env.startedAt)} · state store: ${store}` };
  },
});
