import { z } from 'zod';
import { bold, code, html, lines } from '../util/html';
import { defineCommand } from './types';

export const help = defineCommand({
  name: 'help',
  aliases: ['start'],
  summary: 'What you can run here',
  usage: '/help',
  role: 'viewer',
  confirm: 'never',
  args: z.object({}),
  async run({ user, env }) {
    const specs = env.help(user);
    return {
      html: lines([
        bold(`Commands for ${user.name} (${user.role})`),
        ...specs.map(
          (s) => html`${code(s.usage)}\n   ${s.summary}${s.confirm === 'always' ? ' (asks to confirm)' : typeof s.confirm === 'function' ? ' (actions ask to confirm)' : ''}`,
        ),
      ]),
    };
  },
});
