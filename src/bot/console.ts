import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Envelope } from '../auth/gate';
import { isRole } from '../auth/roles';
import type { Catalog, KnownUser } from '../config/catalog';
import type { Estate } from '../config/schema';
import type { Dispatcher } from '../commands/dispatcher';
import type { Button, Document, Outcome } from '../commands/types';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { htmlToPlain, type Html } from '../util/html';

export interface ConsoleOptions {
  dispatcher: Dispatcher;
  catalog: Catalog;
  input: Readable;
  output: Writable;
  /** Who the console speaks as at first: the estate's first admin unless told otherwise. */
  identity?: number;
  now?: () => number;
  /** Log lines to show above the prompt (the console's log destination). */
  log?: { attach(above: (line: string) => void): void };
  /** Said once under the greeting (which Docker the console uses, say). */
  notes?: string[];
}

const META_HELP = `Console commands: :as <viewer|operator|admin|user id>  :who  :quit
Everything else goes to the bot as a Telegram message would (/help to start).`;

/** Buttons as text: a command button shows the line to type. */
function renderButtons(buttons: Button[][] | undefined): string {
  if (!buttons?.length) return '';
  const label = (b: Button) => (/^[es]:\//.test(b.data) ? `[${b.text}: ${b.data.slice(2)}]` : `[${b.text}]`);
  return `\n${buttons.map((row) => row.map(label).join(' ')).join('\n')}`;
}

/** A document is saved next to the system's temp files and its path printed. */
async function saveDocument(doc: Document): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mana-ops-'));
  const path = join(dir, basename(doc.filename));
  await writeFile(path, doc.content);
  return path;
}

/**
 * Console stand-ins for roles the estate file has nobody for, so `:as viewer` works on a laptop. Their ids are
 * ones the estate file gives nobody: a stand-in never takes the place of a real user.
 */
export function withConsoleStandIns(estate: Estate): Estate {
  const users = [...estate.users];
  const taken = new Set(users.map((u) => u.id));
  let next = 1_000;
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    if (users.some((u) => u.role === role)) continue;
    while (taken.has(next)) next++;
    taken.add(next);
    users.push({ id: next, name: `console-${role}`, role });
  }
  return { ...estate, users };
}

/**
 * The same dispatcher over readline: a local console for the laptop, and a scriptable one
 * (`printf '/help\n' | npm start` answers and exits at end of input).
 */
export async function runConsole(options: ConsoleOptions): Promise<void> {
  const { dispatcher, catalog, output } = options;
  const now = options.now ?? Date.now;
  const interactive = (options.input as { isTTY?: boolean }).isTTY === true;
  const rl = createInterface({ input: options.input, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const write = (text: string) => output.write(`${text}\n`);
  const show = (html: Html) => write(htmlToPlain(html));

  const admin = catalog.estate.users.find((u) => u.role === 'admin');
  let userId = options.identity ?? admin?.id ?? catalog.estate.users[0]?.id ?? 0;
  const describe = (id: number) => {
    const u: KnownUser | undefined = catalog.user(id);
    return u ? `${u.name} (${u.role}, id ${u.id})` : `stranger (id ${id})`;
  };
  let prompting = false;
  const promptText = () => `${catalog.user(userId)?.role ?? 'stranger'}> `;
  const prompt = () => {
    if (!interactive) return;
    output.write(promptText());
    prompting = true;
  };
  // A line that arrives while the prompt waits goes above it, and the prompt is drawn again under it.
  options.log?.attach((line) => {
    if (interactive && prompting) output.write(`\r\x1b[2K${line}\n${promptText()}`);
    else write(line);
  });
  const envelope = (): Envelope => ({
    userId,
    chatId: userId,
    chatType: 'private',
    sentAt: now(),
    forwarded: false,
    edited: false,
  });
  const next = async (): Promise<string | undefined> => {
    const r = await lines.next();
    prompting = false;
    return r.done ? undefined : (r.value as string);
  };

  write(`mana-ops console, speaking as ${describe(userId)}. ${META_HELP}`);
  for (const note of options.notes ?? []) write(note);
  prompt();
  for (let line = await next(); line !== undefined; line = await next()) {
    const text = line.trim();
    if (text === '') {
      prompt();
      continue;
    }
    if (text.startsWith(':')) {
      const [meta, arg] = text.split(/\s+/);
      if (meta === ':quit' || meta === ':q') break;
      if (meta === ':who') write(`speaking as ${describe(userId)}`);
      else if (meta === ':as' && arg) {
        const byRole = isRole(arg) ? catalog.estate.users.find((u) => u.role === arg) : undefined;
        if (byRole) userId = byRole.id;
        else if (/^-?\d+$/.test(arg)) userId = Number(arg);
        else write(`no user with role ${arg} in the estate file; use :as <user id>`);
        write(`speaking as ${describe(userId)}`);
      } else write(META_HELP);
      prompt();
      continue;
    }
    const outcome: Outcome = await dispatcher.handleText(envelope(), text);
    if (outcome.kind === 'silent') write(`(no reply: ${outcome.reason})`);
    else if (outcome.kind === 'confirm') {
      show(outcome.html);
      output.write('Confirm? [y/N] ');
      const answer = (await next())?.trim().toLowerCase();
      if (!interactive) write(answer ?? '');
      const press = await dispatcher.press(envelope(), outcome.nonce, answer === 'y' || answer === 'yes' ? 'confirm' : 'cancel');
      if (press.kind === 'popup') write(press.popup);
      else if (press.kind === 'final') show(press.html);
      else {
        show(press.progress);
        const result = await press.execute();
        if (result.kind !== 'silent' && result.kind !== 'confirm') show(result.html);
      }
    } else {
      write(htmlToPlain(outcome.html) + renderButtons('buttons' in outcome ? outcome.buttons : undefined));
      if ('document' in outcome && outcome.document) {
        const lineCount = outcome.document.content.split('\n').length - 1;
        write(`(document ${outcome.document.filename}, ${lineCount} lines, saved to ${await saveDocument(outcome.document)})`);
      }
    }
    prompt();
  }
  rl.close();
}
