import { redactSecrets } from './redact';
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** Paths pino blanks in every log line: tokens, keys and anything that looks like a secret. */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'botToken',
  '*.botToken',
  'apiToken',
  '*.apiToken',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'env.TELEGRAM_BOT_TOKEN',
  'env.CLOUDFLARE_API_TOKEN',
  'env.REDIS_URL',
  'TELEGRAM_BOT_TOKEN',
  'CLOUDFLARE_API_TOKEN',
  'REDIS_URL',
  'env.METRICS_TOKEN',
  'METRICS_TOKEN',
  'env.ALERTMANAGER_TOKEN',
  'ALERTMANAGER_TOKEN',
  'privateKey',
  '*.privateKey',
];

/** Secrets that end up inside strings (a bot token in a request URL, a password in a Redis URL). */
export const scrubSecrets = redactSecrets;

/**
 * Scrubs every string in a log object, arrays and nested objects included. Errors keep what tells the admin what
 * happened (name, message, code, stack, cause), scrubbed: a "ref X" in chat must find a log line that says something.
 */
function scrubDeep(value: unknown, depth: number, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth === 0) return '[too deep]';
  seen.add(value);
  if (value instanceof Error) {
    const e = value as Error & { code?: unknown };
    return {
      type: e.name,
      message: scrubSecrets(e.message),
      ...(e.code !== undefined && { code: scrubDeep(e.code, depth - 1, seen) }),
      ...(e.stack && { stack: scrubSecrets(e.stack) }),
      ...(e.cause !== undefined && { cause: scrubDeep(e.cause, depth - 1, seen) }),
    };
  }
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth - 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, depth - 1, seen);
  return out;
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Errors are taken apart (and scrubbed) by scrubDeep; pino's own err serializer would see a plain object.
      serializers: { err: (value: unknown) => value },
      formatters: {
        log: (obj) => scrubDeep(obj, 8) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a)) as Parameters<typeof method>;
          method.apply(this, scrubbed);
        },
      },
    },
    destination ?? pino.destination({ dest: 2, sync: false }),
  );
}
