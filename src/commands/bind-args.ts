import type { z } from 'zod';
import { formatPath } from '../config/load';
import type { ParsedLine } from './parse';
import type { CommandSpec } from './types';

export type RawArgs = Record<string, string | string[]>;
export type Bound<A> = { ok: true; args: A; input: RawArgs } | { ok: false; problems: string[] };

/** Maps positional words and key=value pairs onto the command's params, then lets its schema judge them. */
export function bindArgs<A>(spec: CommandSpec<A>, schema: z.ZodType<A>, line: Pick<ParsedLine, 'positional' | 'named'>): Bound<A> {
  const params = spec.params ?? [];
  const input: RawArgs = {};
  const problems: string[] = [];
  const words = [...line.positional];
  for (const param of params) {
    if (param.namedOnly) continue;
    if (param.variadic) {
      if (words.length > 0) input[param.name] = words.splice(0);
    } else if (words.length > 0) input[param.name] = words.shift() as string;
  }
  if (words.length > 0) problems.push(`unexpected ${words.length === 1 ? 'argument' : 'arguments'}: ${words.join(' ')}`);
  for (const [key, value] of Object.entries(line.named)) {
    const param = params.find((p) => p.name === key);
    if (!param) {
      const known = params.map((p) => `${p.name}=`).join(', ');
      problems.push(`unknown option ${key}=${known ? ` (options: ${known})` : ''}`);
    } else if (key in input) problems.push(`${key} is given twice`);
    else input[key] = param.variadic ? value.split(',').filter(Boolean) : value;
  }
  for (const param of params) {
    if (param.required && !(param.name in input)) problems.push(`${param.name}: is required`);
  }
  if (problems.length > 0) return { ok: false, problems };
  const result = schema.safeParse(input);
  if (!result.success) {
    return {
      ok: false,
      problems: result.error.issues.map((i) => (i.path.length ? `${formatPath(i.path)}: ${i.message}` : i.message)),
    };
  }
  return { ok: true, args: result.data, input };
}

/** Which required params are missing: what the guided conversation asks for. */
export function missingParams(spec: CommandSpec, line: Pick<ParsedLine, 'positional' | 'named'>): string[] {
  const params = spec.params ?? [];
  const positional = params.filter((p) => !p.namedOnly);
  const given = new Set<string>([...positional.slice(0, line.positional.length).map((p) => p.name), ...Object.keys(line.named)]);
  return params.filter((p) => p.required && !given.has(p.name)).map((p) => p.name);
}
