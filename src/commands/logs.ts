import { stripVTControlCharacters } from 'node:util';
import { z } from 'zod';
import type { Service } from '../config/schema';
import { OpsError, type LogLine } from '../ops/ports';
import { parseDuration, formatDuration } from '../util/duration';
import { bold, code, html, lines as joinLines, pre } from '../util/html';
import type { LocalTime } from '../util/local-time';
import { LineRedactor } from '../util/redact';
import { fitTail } from '../util/telegram-text';
import { countArg, serviceArg } from './args';
import { buttonRows, commandButton } from './buttons';
import { defineCommand, type CommandEnv } from './types';

const MAX_LINES = 2_000;
/** With grep= and no since=, how far back to search (Docker's tail happens before our filter). */
const GREP_SCAN = 100_000;
/** Visible characters of log text in one message (Telegram counts after entity parsing), leaving room for the header. */
const MESSAGE_BUDGET = 3_600;

function inDocker(svc: Service): string | undefined {
  return svc.container ? undefined : `${svc.name} runs on the GPU box, not in Docker: its logs are not reachable from here yet`;
}

const sinceArg = z
  .string()
  .transform((s, ctx) => {
    const ms = parseDuration(s);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `"${s}" is not a duration (use 15m, 2h, 1d)` });
      return z.NEVER;
    }
    if (ms > 30 * 86_400_000) {
      ctx.addIssue({ code: 'custom', message: 'at most 30d' });
      return z.NEVER;
    }
    return { ms, text: s };
  });

/** Keeps the newest `size` items in a fixed array: memory stays bounded however long the log. */
class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;
  seen = 0;
  constructor(private readonly size: number) {}
  push(item: T): void {
    this.seen++;
    if (this.items.length < this.size) this.items.push(item);
    else {
      this.items[this.next] = item;
      this.next = (this.next + 1) % this.size;
    }
  }
  toArray(): T[] {
    return [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }
}

function render(line: LogLine, clock: LocalTime): string {
  const time = line.at ? clock.hms(line.at.getTime()) : '--:--:--';
  return `${time}${line.stream === 'stderr' ? '!' : ' '} ${line.text}`;
}

export const logs = defineCommand({
  name: 'logs',
  summary: 'Recent log lines of a service: secrets blanked, long output as a .txt file',
  usage: '/logs <service> [lines=50] [since=15m] [grep=text] [file=yes]',
  role: 'viewer',
  confirm: 'never',
  params: [
    { name: 'service', required: true, prompt: 'Logs of which service?', guide: { kind: 'service', offer: (s) => !inDocker(s) } },
    { name: 'lines' },
    { name: 'since', namedOnly: true },
    { name: 'grep', namedOnly: true },
    { name: 'file', namedOnly: true },
  ],
  args: (env: CommandEnv) =>
    z.object({
      service: serviceArg(env.catalog, inDocker),
      lines: countArg(1, MAX_LINES).default(50),
      since: sinceArg.optional(),
      grep: z.string().min(1).max(100, 'at most 100 characters').optional(),
      file: z.enum(['yes', 'no']).default('no'),
    }),
  async run({ args, env, signal }) {
    const { service, lines: wanted, since, grep, file } = args;
    const runtime = env.docker(service.host);
    if (!runtime) throw new OpsError('unreachable', `no Docker host "${service.host}" is configured`, 'add it under docker_hosts');
    const needle = grep?.toLowerCase();
    const query = {
      ...(since !== undefined && { since: new Date(env.now() - since.ms) }),
      ...(needle === undefined ? { tail: wanted } : since === undefined ? { tail: GREP_SCAN } : {}),
    };
    const ring = new Ring<string>(wanted);
    let scanned = 0;
    const redactor = new LineRedactor();
    for await (const line of runtime.logs(service.container as string, query, signal)) {
      scanned++;
      // Redacted before grep sees it: grep matches only what the reader may see, so it cannot confirm a
      // hidden password one character at a time.
      const text = redactor.line(stripVTControlCharacters(line.text));
      // grep is a plain substring, never a regular expression: nothing typed can make it backtrack.
      if (needle !== undefined && !text.toLowerCase().includes(needle)) continue;
      ring.push(render({ ...line, text }, env.catalog.time));
    }
    const got = ring.toArray();
    const scope = [since !== undefined ? `last ${formatDuration(since.ms)}` : '', grep ? `matching "${grep}"` : ''].filter(Boolean).join(', ');
    if (got.length === 0) {
      return { html: html`${bold(service.name)} has no log lines${scope ? ` (${scope})` : ''}${needle !== undefined ? ` in the ${scanned} lines searched` : ''}.` };
    }
    const header = html`📜 ${bold(service.name)} · ${got.length} line${got.length === 1 ? '' : 's'}${scope ? ` · ${scope}` : ''} (${env.catalog.time.zoneName(env.now())}, ! = stderr)`;
    const filename = `${service.name}-${env.catalog.time.date(env.now())}-${env.catalog.time.hms(env.now()).replace(/:/g, '')}.log.txt`;
    if (file === 'yes') {
      return { html: header, document: { filename, content: `${got.join('\n')}\n`, caption: `${service.name}: ${got.length} lines` } };
    }
    const shown = fitTail(got, MESSAGE_BUDGET);
    const rest = got.length - shown.length;
    const fileLine = [`/logs ${service.name} lines=${wanted}`, since !== undefined ? `since=${since.text}` : '', grep ? `grep=${/\s/.test(grep) ? `"${grep}"` : grep}` : '', 'file=yes'].filter(Boolean).join(' ');
    const asFile = rest > 0 ? commandButton(`📄 All ${got.length} lines as .txt`, fileLine) : undefined;
    return {
      html: joinLines([
        header,
        pre(shown.join('\n')),
        ...(rest > 0 ? [html`<i>${rest} older line${rest === 1 ? '' : 's'} not shown${asFile ? '' : html`: send ${code(fileLine)}`}.</i>`] : []),
      ]),
      buttons: buttonRows([asFile, commandButton('🔄 Refresh', `/logs ${service.name}`.slice(0, 60), 'edit')]),
    };
  },
});
