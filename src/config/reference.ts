import { z } from 'zod';
import { estateSchema } from './schema';

interface Node {
  type?: string | string[];
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node;
  anyOf?: Node[];
  oneOf?: Node[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  additionalProperties?: Node | boolean;
  propertyNames?: Node;
}

function typeOf(n: Node): string {
  if (n.const !== undefined) return `\`${JSON.stringify(n.const)}\``;
  if (n.enum) return n.enum.map((e) => `\`${String(e)}\``).join(' \\| ');
  const variants = n.anyOf ?? n.oneOf;
  if (variants) return variants.map(typeOf).join(' or ');
  if (n.type === 'array') return `list of ${n.items ? typeOf(n.items) : 'values'}`;
  if (n.type === 'object' && typeof n.additionalProperties === 'object') return `map to ${typeOf(n.additionalProperties)}`;
  return Array.isArray(n.type) ? n.type.join(' or ') : (n.type ?? 'value');
}

function notes(n: Node): string {
  const out: string[] = [];
  if (n.format === 'uri') out.push('URL');
  if (n.minimum !== undefined && n.maximum !== undefined) out.push(`${n.minimum}–${n.maximum}`);
  if (n.minItems) out.push(`at least ${n.minItems}`);
  if (n.pattern) out.push(`pattern \`${n.pattern.replace(/\|/g, '\\|')}\``);
  return out.join('; ');
}

function walk(n: Node, path: string, required: boolean, rows: string[]): void {
  const variants = n.anyOf ?? n.oneOf;
  const objectVariants = variants?.filter((v) => v.properties);
  if (path) {
    const def = n.default === undefined ? '' : `\`${JSON.stringify(n.default)}\``;
    rows.push(`| \`${path}\` | ${typeOf(n)} | ${required ? 'yes' : ''} | ${def} | ${notes(n)} |`);
  }
  if (n.properties) {
    for (const [key, child] of Object.entries(n.properties)) walk(child, path ? `${path}.${key}` : key, n.required?.includes(key) ?? false, rows);
  }
  if (n.type === 'array' && n.items) walk({ ...n.items, default: undefined }, `${path}[]`, false, rows);
  if (objectVariants?.length) for (const v of objectVariants) for (const [key, child] of Object.entries(v.properties ?? {})) walk(child, `${path}.${key}`, v.required?.includes(key) ?? false, rows);
}

/** The estate file's reference, generated from the zod schema (test/unit/reference.test.ts keeps docs/ in step). */
export function estateReference(): string {
  const schema = z.toJSONSchema(estateSchema, { io: 'input', unrepresentable: 'any' }) as Node;
  const rows: string[] = [];
  walk(schema, '', true, rows);
  return [
    '# The estate file: reference',
    '',
    'Generated from the schema in `src/config/schema.ts` by `npm run docs:estate`; a test fails when this file',
    'and the schema disagree. Durations are written like `90s`, `15m`, `1h30m`; sizes like `128m`, `1g`.',
    '`[]` marks the items of a list. See `config/estate.example.yml` for the whole estate written out.',
    '',
    '| key | type | required | default | notes |',
    '| --- | --- | --- | --- | --- |',
    ...rows.filter((r, i, all) => all.indexOf(r) === i),
    '',
  ].join('\n');
}
