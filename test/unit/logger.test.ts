import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, scrubSecrets } from '../../src/util/logger';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, log: createLogger('info', sink) };
}

describe('logger', () => {
  const token = '7123456789:AAH-very_secret_token_value_1234567890';

  it('redacts secrets in known fields', () => {
    const { lines, log } = capture();
    log.info({ token, env: { TELEGRAM_BOT_TOKEN: token, CLOUDFLARE_API_TOKEN: 'cf-secret' }, headers: { authorization: 'Bearer abc' } }, 'starting');
    const out = lines.join('');
    expect(out).not.toContain('secret');
    expect(out).not.toContain('Bearer abc');
    expect(out).toContain('[redacted]');
  });

  it('scrubs a bot token or Redis password that ends up inside a message', () => {
    const { lines, log } = capture();
    log.error({ err: `request to https://api.telegram.org/bot${token}/getMe failed` }, `failed with redis://:hunter2@127.0.0.1:6379 and ${token}`);
    const out = lines.join('');
    expect(out).not.toContain('very_secret');
    expect(out).not.toContain('hunter2');
    expect(out).toContain('[bot-token]');
    expect(scrubSecrets('redis://user:pw@host:6379/0')).toBe('redis://user:[redacted]@host:6379/0');
  });

  it('keeps an Error (message, stack, cause, code) and scrubs it; arrays and deep objects are scrubbed too', () => {
    const { lines, log } = capture();
    const cause = Object.assign(new Error(`connect to redis://:hunter2@127.0.0.1:6379 refused`), { code: 'ECONNREFUSED' });
    const err = new Error(`GET https://api.telegram.org/bot${token}/getMe failed`, { cause });
    log.error({ err, tries: [`bot${token}`, { url: 'postgres://mana:s3cret@db/chat' }], deep: { a: { b: { c: { d: { e: `key ${token}` } } } } } }, 'update handler failed');
    const line = JSON.parse(lines.join('')) as { err: { type: string; message: string; stack: string; cause: { message: string; code: string } } };
    expect(line.err.type).toBe('Error');
    expect(line.err.message).toBe('GET https://api.telegram.org/bot[bot-token]/getMe failed');
    expect(line.err.stack).toContain('logger.test.ts');
    expect(line.err.cause).toMatchObject({ message: 'connect to redis://:[redacted]@127.0.0.1:6379 refused', code: 'ECONNREFUSED' });
    const out = lines.join('');
    expect(out).not.toMatch(/very_secret|hunter2|s3cret/);
    expect(out).toContain('[bot-token]');
  });
});
