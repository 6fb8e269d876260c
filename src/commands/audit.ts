import { z } from 'zod';
import { code, html, lines } from '../util/html';
import { countArg } from './args';
import { defineCommand } from './types';

export const audit = defineCommand({
  name: 'audit',
  summary: 'The last entries of the audit log',
  usage: '/audit [n=10] [from=users|outsiders]',
  role: 'admin',
  // Who ran what, with arguments: not for a group's eyes.
  scope: 'private',
  confirm: 'never',
  params: [{ name: 'n' }, { name: 'from' }],
  // Outsiders (people not on the allowlist) have a smaller book of their own, so they cannot push out a user's entry.
  args: z.object({ n: countArg(1, 50).default(10), from: z.enum(['users', 'outsiders']).default('users') }),
  async run({ args, env }) {
    const entries = await env.audit.recent(args.n, args.from);
    const outsiders = args.from === 'outsiders';
    const time = env.catalog.time;
    // Entries may span a daylight-saving change: the zone's name holds for all of them, CET or CEST would not.
    const zone = `${time.zone} time`;
    if (entries.length === 0) return { html: outsiders ? html`No messages from outsiders are on record.` : html`The audit log is empty.` };
    return {
      html: lines([
        outsiders
          ? html`<b>Last ${entries.length} entries from outsiders</b> (not on the allowlist; newest first, ${zone})`
          : html`<b>Last ${entries.length} audit entries</b> (newest first, ${zone})`,
        ...entries.map((e) => {
          const known = e.userId === undefined ? undefined : env.catalog.user(e.userId)?.name;
          const who = e.userId === undefined ? 'channel' : (known ?? `${e.userId}${e.chatId !== e.userId ? ` in chat ${e.chatId}` : ''}`);
          const when = `${time.date(e.at)} ${time.hms(e.at)}`;
          // Presses are recorded as `confirm:restart` with the command line as args.
          const what = e.action.includes(':') ? `${e.action} ${e.args}` : `/${e.action}${e.args ? ` ${e.args}` : ''}`;
          return html`${when} ${who} ${code(what)} → ${e.result}${e.detail ? ` (${e.detail})` : ''}`;
        }),
      ]),
    };
  },
});
