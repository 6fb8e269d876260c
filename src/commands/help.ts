import { z } from 'zod';
import { roleAllows } from '../auth/roles';
import { bold, code, html, italic, lines, type Html } from '../util/html';
import { defineCommand, type CommandSpec } from './types';

const asks = (s: CommandSpec) => (s.confirm === 'always' ? ' (asks to confirm)' : '');
const who = (role: string) => (role === 'anyone' ? 'anyone' : `${role}s and up`);

const listed = (lines: readonly string[]) => lines.map((l, i) => [i ? ', ' : '', code(l)]);

/** One command in the list: its usage, what it does, and each sub-command with the role it needs. */
function entry(spec: CommandSpec): Html {
  const subs = (spec.subcommands ?? []).map((s) => html`\n   ${code(s.usage)} · ${s.role}${s.confirms ? ' · asks to confirm' : ''}`);
  return html`${code(spec.usage)}\n   ${spec.summary}${asks(spec)}${subs}`;
}

/** `/help <command>`: usage, examples, who may run it and each of its sub-commands. */
function detail(spec: CommandSpec): Html {
  const examples = spec.examples ?? [];
  return lines([
    html`${bold(`/${spec.name}`)}${spec.aliases?.length ? ` (also ${spec.aliases.map((a) => `/${a}`).join(', ')})` : ''}: ${spec.summary}`,
    html`Usage: ${code(spec.usage)}`,
    html`Who: ${who(spec.role)}${asks(spec)}${spec.scope === 'private' ? ' · in a private chat only' : ''}`,
    ...(examples.length ? [html`Examples: ${listed(examples)}`] : []),
    ...(spec.subcommands ?? []).flatMap((s) => [
      html``,
      html`${bold(`/${spec.name} ${s.name}`)}: ${s.summary}`,
      html`Usage: ${code(s.usage)} · ${who(s.role)}${s.confirms ? ' · asks to confirm' : ''}`,
      ...(s.examples?.length ? [html`Examples: ${listed(s.examples)}`] : []),
    ]),
  ]);
}

export const help = defineCommand({
  name: 'help',
  aliases: ['start'],
  summary: 'What you can run here; /help <command> for its usage, examples and who may run it',
  usage: '/help [command]',
  role: 'viewer',
  confirm: 'never',
  params: [{ name: 'command' }],
  args: z.object({ command: z.string().max(40).optional() }),
  async run({ args, user, env }) {
    const specs = env.help(user);
    if (args.command) {
      const name = args.command.replace(/^\//, '').toLowerCase();
      const spec = specs.find((s) => s.name === name || s.aliases?.includes(name));
      if (!spec) return { html: html`No command /${name} that you can run. /help lists them.` };
      return { html: detail(spec) };
    }
    return {
      html: lines([
        bold(`Commands for ${user.name} (${user.role})`),
        ...specs.map((s) => entry({ ...s, subcommands: (s.subcommands ?? []).filter((sub) => roleAllows(user.role, sub.role)) })),
        italic('/help <command> shows its usage, examples and who may run it.'),
      ]),
    };
  },
});
