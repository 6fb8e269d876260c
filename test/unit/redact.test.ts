import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/util/redact';

describe('redactSecrets', () => {
  it.each([
    ['MANA_STT_API_KEY=sk-live-123456 started', 'MANA_STT_API_KEY=[redacted] started'],
    ['connecting to postgres://mana:hunter2@mana-postgres:5432/chat', 'connecting to postgres://mana:[redacted]@mana-postgres:5432/chat'],
    ['Authorization: Bearer abc.def.ghi', 'Authorization: Bearer [redacted]'],
    ['{"password": "s3cret", "user": "ada"}', '{"password": "[redacted]", "user": "ada"}'],
    ['GET /callback?token=abcdef&x=1', 'GET /callback?token=[redacted]&x=1'],
    ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.SflKxwRJSMeKKF2QT4fwpM ok', 'jwt [jwt] ok'],
    ['bot 7123456789:AAH-very_secret_token_value_1234567890 up', 'bot [bot-token] up'],
    ['JWT_SECRET: "abc" and DB_PASSWORD=x', 'JWT_SECRET: "[redacted]" and DB_PASSWORD=[redacted]'],
  ])('%s', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('leaves ordinary lines alone', () => {
    const line = 'GET /api/v1/health 200 3ms monkey=banana key=value';
    expect(redactSecrets(line)).toBe(line);
  });
});
