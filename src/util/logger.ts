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

const BOT_TOKEN_IN_TEXT = /\b\d{5,}:[A-Za-z0-9_-]{30,}\b/g;
const REDIS_PASSWORD_IN_URL = /(rediss?:\/\/[^:@/\s]*:)[^@\s]+@/g;

/** Removes secrets that end up inside strings (a bot token in a request URL, a password in a Redis URL). */
export function scrubSecrets(text: string): string {
  return text.replace(BOT_TOKEN_IN_TEXT, '[bot-token]').replace(REDIS_PASSWORD_IN_URL, '$1[redacted]@');
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: {
        log: (obj) => {
          for (const key of ['msg', 'err', 'error', 'url']) {
            const v = obj[key];
            if (typeof v === 'string') obj[key] = scrubSecrets(v);
          }
          return obj;
        },
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
