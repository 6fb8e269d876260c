/** A command line split the way a shell would, minus the shell: quotes group, `key=value` names. */
export interface ParsedLine {
  /** Lower-case command name without the slash or a `@botname` suffix. */
  name: string;
  /** The `@botname` the command was addressed to, if any. */
  mention?: string;
  positional: string[];
  named: Record<string, string>;
  /** Everything after the command word, as typed. */
  rest: string;
}

export class ParseError extends Error {}

interface Token {
  text: string;
  /** Index of an `=` that was typed outside quotes, for `key=value`. */
  eqAt: number;
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let current: Token | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i] as string;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && (input[i + 1] === '"' || input[i + 1] === '\\')) {
        current!.text += input[++i];
      } else current!.text += ch;
      continue;
    }
    if (/\s/.test(ch)) {
      if (current) tokens.push(current);
      current = undefined;
      continue;
    }
    current ??= { text: '', eqAt: -1 };
    if (ch === '"' || ch === "'") {
      quote = ch;
      continue;
    }
    if (ch === '=' && current.eqAt < 0) current.eqAt = current.text.length;
    current.text += ch;
  }
  if (quote) throw new ParseError('a quote is not closed');
  if (current) tokens.push(current);
  return tokens;
}

const KEY = /^[a-z][a-z0-9_-]*$/i;

export function parseCommandLine(line: string): ParsedLine | undefined {
  // Phones turn " into curly quotes; read them as plain ones.
  const trimmed = line.replace(/[“”„]/g, '"').replace(/[‘’]/g, "'").trim();
  const head = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?=\s|$)/.exec(trimmed);
  if (!head) return undefined;
  const rest = trimmed.slice(head[0].length).trim();
  const positional: string[] = [];
  const named: Record<string, string> = {};
  for (const token of tokenize(rest)) {
    const key = token.eqAt > 0 ? token.text.slice(0, token.eqAt) : '';
    if (key && KEY.test(key)) {
      const k = key.toLowerCase();
      if (k in named) throw new ParseError(`${k}= is given twice`);
      named[k] = token.text.slice(token.eqAt + 1);
    } else positional.push(token.text);
  }
  return {
    name: (head[1] as string).toLowerCase(),
    ...(head[2] !== undefined && { mention: head[2] }),
    positional,
    named,
    rest,
  };
}
