import { z } from 'zod';
import { code, html, lines } from '../util/html';
import { countArg } from './args';
import { defineCommand } from './types';

export const audit = defineCommand({
  name: 'audit',
  summary: 'The last entries of the audit log',
  usage: '/audit [n=10]',
  role: 'admin',
  // Who ran what, with arguments: not for a group's eyes.
  scope: 'private',
  confirm: 'never',
  params: [{ name: 'n' }],
  args: z.object({ n: countArg(1, 50).default(10) }),
  async run({ args, env }) {
    const entries = await env.audit.recent(args.n);
    if (entries.length === 0) return { html: html`The audit log is empty.` };
    return {
      html: lines([
        html`<b>Last ${entries.length} audit entries</b> (newest first)`,
        ...entries.map((e) => {
          const who = e.userId === undefined ? 'channel' : (env.catalog.user(e.userId)?.name ?? String(e.userId));
          const time = new Date(e.at).toISOString().slice(5, 19).replace('T', ' ');
          // Presses are recorded as `confirm:restart` with the command line as args.
          const what = e.action.includes(':') ? `${e.action} ${e.args}` : `/${e.action}${e.args ? ` ${e.args}` : ''}`;
          return html`${time} ${who} ${code(what)} → ${e.result}${e.detail ? ` (${e.detail})` : ''}`;
        }),
      ]),
    };
  },
});
