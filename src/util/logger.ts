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
  'privateKey',
  '*.privateKey',
];

/** Secrets that end up inside strings (a bot token in a request URL, a password in a Redis URL). */
export const scrubSecrets = redactSecrets;

function scrubDeep(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (depth === 0 || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, depth - 1);
  return out;
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: {
        log: (obj) => scrubDeep(obj, 3) as Record<string, unknown>,
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
