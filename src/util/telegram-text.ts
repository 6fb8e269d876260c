import { Html } from './html';

/**
 * What Telegram measures and accepts, in one place: the length of a message is the length of its text after
 * entity parsing (tags dropped, `&lt;` counted as one character, in UTF-16 code units), at most 4096. Every
 * front-end and every alert fits its text here, so nothing is cut inside a tag or an entity.
 */
export const MESSAGE_LIMIT = 4096;
export const CAPTION_LIMIT = 1024;

const TOKEN = /<\/?([a-z][a-z0-9-]*)(?:\s[^>]*)?>|&(?:#x[0-9a-f]+|#[0-9]+|[a-z]+);|[^<&]+|[<&]/gi;

/** The length Telegram counts: the visible text of the HTML. */
export function visibleLength(value: Html | string): number {
  const text = typeof value === 'string' ? value : value.value;
  let n = 0;
  for (const m of text.matchAll(TOKEN)) {
    const t = m[0];
    if (t.startsWith('<') && t.length > 1) continue;
    n += t.startsWith('&') && t.length > 1 ? 1 : t.length;
  }
  return n;
}

interface Cut {
  /** The HTML up to the cut, with what was open there closed. */
  value: string;
  visible: number;
}

/** Tags open at the end of `text` (after the ones already in `stack`), innermost last. */
function openTags(text: string, stack: string[]): string[] {
  const open = [...stack];
  for (const m of text.matchAll(/<(\/?)([a-z][a-z0-9-]*)(?:\s[^>]*)?>/gi)) {
    const name = (m[2] as string).toLowerCase();
    if (m[1]) {
      const at = open.lastIndexOf(name);
      if (at >= 0) open.splice(at, 1);
    } else open.push(name);
  }
  return open;
}

const closing = (open: string[]) => open.map((t) => `</${t}>`).reverse().join('');
/** Cuts one line inside its text (never inside a tag, an entity or a surrogate pair) to at most `budget` visible characters. */
function cutLine(line: string, budget: number): Cut {
  let out = '';
  let visible = 0;
  for (const m of line.matchAll(TOKEN)) {
    const t = m[0];
    if (t.startsWith('<') && t.length > 1) {
      out += t;
      continue;
    }
    const len = t.startsWith('&') && t.length > 1 ? 1 : t.length;
    if (visible + len <= budget) {
      out += t;
      visible += len;
      continue;
    }
    if (len > 1 && !t.startsWith('&')) {
      let take = budget - visible;
      const code = t.charCodeAt(take - 1);
      if (take > 0 && code >= 0xd800 && code <= 0xdbff) take--;
      out += t.slice(0, Math.max(0, take));
      visible += Math.max(0, take);
    }
    break;
  }
  return { value: out, visible };
}

export interface Fitted {
  html: Html;
  /** Lines (or part of one) that did not fit. */
  cut: boolean;
}

/**
 * Fits HTML into `limit` visible characters: whole lines from the top, closing any tag left open at the cut
 * (a cut `<pre>` is closed, and `more` is added after it). Only a single line longer than the limit is cut
 * inside, between characters.
 */
export function fitHtml(value: Html, limit = MESSAGE_LIMIT, more = '… (cut)'): Fitted {
  const source = value.value;
  // Tags and entities only ever shrink what Telegram counts: a source within the limit fits without being read.
  if (source.length <= limit) return { html: value, cut: false };
  const budget = limit - more.length - 1;
  // Line by line, and only until the text is known not to fit: a storm's thousand lines are not all measured.
  let visible = 0;
  let keptEnd = -1; // where the lines that fit the budget end in the source; -1: not even the first
  let keptVisible = 0;
  for (let start = 0; ; ) {
    const nl = source.indexOf('\n', start);
    const end = nl < 0 ? source.length : nl;
    visible += (start === 0 ? 0 : 1) + visibleLength(source.slice(start, end));
    if (visible > limit) break;
    if (visible <= budget) {
      keptEnd = end;
      keptVisible = visible;
    }
    if (nl < 0) return { html: value, cut: false };
    start = nl + 1;
  }
  let out = keptEnd < 0 ? '' : source.slice(0, keptEnd);
  if (keptVisible === 0) {
    // Nothing visible fits before the first line that does not: that line is cut inside.
    const lineStart = keptEnd + 1;
    const nl = source.indexOf('\n', lineStart);
    const sep = keptEnd < 0 ? 0 : 1;
    out += (sep ? '\n' : '') + cutLine(source.slice(lineStart, nl < 0 ? source.length : nl), budget - sep).value;
  }
  return { html: new Html(`${out}${closing(openTags(out, []))}\n${escapeMore(more)}`), cut: true };
}

/**
 * fitHtml of these lines joined by line breaks, taking from `lines` only until they are known not to fit: a list of a
 * thousand (a storm's members) is neither rendered nor measured to its end. The same result as fitHtml of them all.
 */
export function fitLines(lines: Iterable<Html>, limit = MESSAGE_LIMIT, more = '… (cut)'): Fitted {
  const taken: string[] = [];
  let visible = -1;
  for (const line of lines) {
    taken.push(line.value);
    visible += 1 + visibleLength(line);
    if (visible > limit) break;
  }
  return fitHtml(new Html(taken.join('\n')), limit, more);
}

const escapeMore = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Splits HTML lines into pages that each fit a message under their header; a line too long for a page is
 * cut (its open tags closed). Used for digests that must name everything, over as many messages as needed.
 */
export function paginate(header: (page: number, of: number) => Html, lines: Html[], limit = MESSAGE_LIMIT): Html[] {
  const room = limit - 200; // the header, its page counter and a line break
  const chunks: string[][] = [[]];
  let size = 0;
  for (const line of lines) {
    const len = visibleLength(line);
    const l = len > room ? fitHtml(line, room, '…').html.value.replace(/\n…$/, '…') : line.value;
    const n = Math.min(len, room);
    if (size + n + 1 > room && (chunks.at(-1) as string[]).length) {
      chunks.push([]);
      size = 0;
    }
    (chunks.at(-1) as string[]).push(l);
    size += n + 1;
  }
  return chunks.map((c, i) => new Html([header(i + 1, chunks.length).value, ...c].join('\n')));
}

/**
 * Keeps the newest lines (the end of the list) that fit in `budget` visible characters once escaped and joined:
 * for logs, where the last line matters most.
 */
export function fitTail(lines: readonly string[], budget: number): string[] {
  const shown: string[] = [];
  let size = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i] as string;
    if (size + l.length + 1 > budget) break;
    shown.unshift(l);
    size += l.length + 1;
  }
  return shown;
}

