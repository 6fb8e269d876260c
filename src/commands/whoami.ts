import { z } from 'zod';
import { code, html, lines } from '../util/html';
import { defineCommand } from './types';

export const whoami = defineCommand({
  name: 'whoami',
  summary: 'Your Telegram id and role (works before you are on the allowlist)',
  usage: '/whoami',
  role: 'anyone',
  confirm: 'never',
  args: z.object({}),
  async run({ user, envelope, env }) {
    const known = env.catalog.user(user.id);
    const chat = envelope.chatType === 'private' ? [] : [html`Chat id: ${code(envelope.chatId)}`];
    if (!known) {
      return {
        html: lines([
          html`Your id: ${code(user.id)}`,
          ...chat,
          html`You are not on the allowlist. To be added, the admin puts this under ${code('users:')} in the estate file:`,
          code(`- { id: ${user.id}, name: you, role: viewer }`),
        ]),
      };
    }
    return { html: lines([html`Your id: ${code(user.id)}`, html`Name: ${known.name}`, html`Role: ${known.role}`, ...chat]) };
  },
});
