import { readFile } from 'node:fs/promises';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { parseDuration } from '../util/duration';
import { estateSchema, type Estate } from './schema';

/** Start-up configuration problems: one readable line each, never a stack trace. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out || '(top level)';
}

/** What is wrong, in words, without where. */
function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key(s): ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return 'is required';
  return issue.message;
}

export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${formatPath(issue.path)}: ${issueText(issue)}`);
}

/** The innermost part of the path that names an entry with a `name` ("services[11] (chat-web)"), and the rest. */
function namedEntry(data: unknown, path: readonly PropertyKey[]): { at: number; name: string } | undefined {
  let found: { at: number; name: string } | undefined;
  let node = data;
  for (const [i, key] of path.entries()) {
    if (node === null || typeof node !== 'object') break;
    node = (node as Record<PropertyKey, unknown>)[key];
    const name = node !== null && typeof node === 'object' ? (node as { name?: unknown }).name : undefined;
    if (typeof key === 'number' && typeof name === 'string') found = { at: i + 1, name };
  }
  return found;
}

/** The line of the deepest node of `path` that the file has (a missing key: its parent's). */
function lineOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as (string | number)[], true);
    if ((isMap(node) || isSeq(node) || (node && typeof node === 'object' && 'range' in node)) && (node as { range?: [number] }).range) {
      return lines.linePos((node as { range: [number] }).range[0]).line;
    }
  }
  return undefined;
}

/** "services[11] (chat-web), line 143: depends_on[0]: unknown service …": findable in a long file. */
function locate(issue: string, path: readonly PropertyKey[], data: unknown, doc: Document, lines: LineCounter): string {
  const line = lineOf(doc, lines, path);
  const at = line === undefined ? '' : `, line ${line}`;
  const entry = namedEntry(data, path);
  if (!entry) return `${formatPath(path)}${at}: ${issue}`;
  const rest = path.slice(entry.at);
  return `${formatPath(path.slice(0, entry.at))} (${entry.name})${at}: ${rest.length ? `${formatPath(rest)}: ` : ''}${issue}`;
}

export function parseEstate(yamlText: string, source: string): Estate {
  const lines = new LineCounter();
  const doc = parseDocument(yamlText, { prettyErrors: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new ConfigError(source, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  }
  const data: unknown = doc.toJS();
  const result = estateSchema.safeParse(data);
  if (!result.success) {
    throw new ConfigError(source, result.error.issues.map((issue) => locate(issueText(issue), issue.path, data, doc, lines)));
  }
  return result.data;
}

export async function loadEstateFile(path: string): Promise<Estate> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(path, [
      code === 'ENOENT' ? 'file not found (set ESTATE_FILE to your estate file)' : `cannot read: ${code ?? String(err)}`,
    ]);
  }
  return parseEstate(text, path);
}

/** Secrets and endpoints come only from the environment, never from the estate file. */
const envSchema = z.object({
  ESTATE_FILE: z.string().default('config/estate.example.yml'),
  TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, 'does not look like a BotFather token (123456:ABC…)')
    .optional(),
  TELEGRAM_API_ROOT: z.url({ message: 'invalid URL' }).optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  CLOUDFLARE_API_TOKEN: z.string().min(1).optional(),
  /** Another Cloudflare API root (the emulator in tests). */
  CLOUDFLARE_API_BASE: z.url({ message: 'invalid URL' }).optional(),
  GPU_SSH_KEY_PATH: z.string().min(1).optional(),
  /** The bot's key for the Mac Mini (mac_host), bound there to the forced-command wrapper. */
  MAC_SSH_KEY_PATH: z.string().min(1).optional(),
  /** Port of the bot's HTTP endpoint (Alertmanager's webhook); off when unset. */
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  /** The secret Alertmanager sends (bearer token, or the password of basic auth). */
  ALERTMANAGER_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  /** Webhook mode: the public https URL Telegram posts to (ending in /telegram), and the secret it sends. */
  TELEGRAM_WEBHOOK_URL: z.url({ message: 'invalid URL' }).optional(),
  TELEGRAM_WEBHOOK_SECRET: z.string().regex(/^[A-Za-z0-9_-]{16,256}$/, '16 to 256 of A-Z a-z 0-9 _ -').optional(),
  /** A dead man's switch (healthchecks-style URL): pinged every HEARTBEAT_INTERVAL while the bot runs. */
  HEARTBEAT_URL: z.url({ message: 'invalid URL' }).optional(),
  HEARTBEAT_INTERVAL: z.string().default('60s').transform((s, ctx) => {
    const ms = parseDuration(s);
    if (ms === undefined || ms < 1_000) {
      ctx.addIssue({ code: 'custom', message: 'a duration of at least 1s, like 60s' });
      return z.NEVER;
    }
    return ms;
  }),
  /** The handbook's ntfy topic (https://ntfy.sh/<topic>): where alerts go when Telegram is down. */
  NTFY_URL: z.url({ message: 'invalid URL' }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MANA_OPS_MODE: z.enum(['auto', 'telegram', 'console']).default('auto'),
});
export type Env = z.output<typeof envSchema>;

export function readEnv(env: NodeJS.ProcessEnv): Env {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) throw new ConfigError('environment', describeIssues(result.error));
  return result.data;
}
