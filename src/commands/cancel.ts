import { z } from 'zod';
import { html } from '../util/html';
import { defineCommand } from './types';

/** Leaves a guided conversation; the Telegram front-end handles it there. Here it only says there was none. */
export const cancel = defineCommand({
  name: 'cancel',
  summary: 'Leave a guided question',
  usage: '/cancel',
  role: 'viewer',
  confirm: 'never',
  args: z.object({}),
  async run() {
    return { html: html`Nothing to cancel.` };
  },
});
