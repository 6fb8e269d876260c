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
import { completedLine, offeredServices } from '../commands/guided';
import { parseDuration } from '../util/duration';
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

/** A document or picture is saved next to the system's temp files and its path printed. */
async function saveFile(filename: string, content: string | Uint8Array): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mana-ops-'));
  const path = join(dir, basename(filename));
  await writeFile(path, content);
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

  /** One numbered question; the answer is a number from the list, or (where allowed) a typed value. */
  const choose = async (question: string, options: string[], typed?: (text: string) => string | undefined): Promise<string | undefined> => {
    for (;;) {
      write(`${question}\n${options.map((o, i) => `  ${i + 1}) ${o}`).join('\n')}\n  0) cancel${typed ? '  (or type a value)' : ''}`);
      output.write('> ');
      const answer = (await next())?.trim();
      if (!interactive) write(answer ?? '');
      if (answer === undefined || answer === '0' || answer === '' || /^\/cancel$/i.test(answer)) return undefined;
      const picked = /^\d+$/.test(answer) ? options[Number(answer) - 1] : undefined;
      if (picked !== undefined) return picked;
      const value = typed?.(answer);
      if (value !== undefined) return value;
      write(`"${answer}" is not one of 1-${options.length}${typed ? ', nor a value this takes' : ''}.`);
    }
  };
  /** The console's guided input: the questions Telegram asks with buttons, as numbered choices. */
  const askGuided = async (g: { command: string; rest: string; missing: string[] }): Promise<string | undefined> => {
    const user = catalog.user(userId);
    if (!user) return undefined;
    const params = dispatcher.paramsOf(g.command);
    const values: [string, string][] = [];
    for (const name of g.missing) {
      const param = params.find((p) => p.name === name);
      const guide = param?.guide;
      if (!param || !guide) return undefined;
      const question = param.prompt ?? `Pick ${param.name}`;
      let value: string | undefined;
      if (guide.kind === 'service') {
        const { categories, inCategory } = offeredServices(catalog, guide, user);
        // A service typed by name is taken if it is one of those offered.
        const byName = (text: string) => {
          const svc = catalog.findService(text);
          return svc && inCategory(svc.category).includes(svc) ? svc.name : undefined;
        };
        const category = await choose(`${question} Category:`, categories.map((c) => `${c} (${inCategory(c).length})`), byName);
        const cat = categories.find((c) => category?.startsWith(`${c} (`));
        value = cat ? await choose(`${question} (${cat})`, inCategory(cat).map((s) => s.name), byName) : category;
      } else if (guide.kind === 'duration') {
        value = await choose(question, guide.presets, (text) => (parseDuration(text) !== undefined ? text : undefined));
      } else value = await choose(question, guide.options);
      if (value === undefined) return undefined;
      values.push([name, value]);
    }
    return completedLine(g.command, g.rest, values);
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
    const guided = dispatcher.guidance(envelope(), text);
    let typed = text;
    if (guided) {
      const completed = await askGuided(guided);
      if (completed === undefined) {
        write(`Cancelled: /${guided.command}. Nothing was run.`);
        prompt();
        continue;
      }
      write(`→ ${completed}`);
      typed = completed;
    }
    const outcome: Outcome = await dispatcher.handleText(envelope(), typed);
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
        write(`(document ${outcome.document.filename}, ${lineCount} lines, saved to ${await saveFile(outcome.document.filename, outcome.document.content)})`);
      }
      if ('photo' in outcome && outcome.photo) {
        write(`(picture ${outcome.photo.filename}, ${Math.round(outcome.photo.png.length / 1024)} KB, saved to ${await saveFile(outcome.photo.filename, outcome.photo.png)})`);
      }
    }
    prompt();
  }
  rl.close();
}
