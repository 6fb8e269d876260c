import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Document, Outcome } from '../../src/commands/types';
import type { LogLine } from '../../src/ops/ports';
import { LineRedactor, redactSecrets } from '../../src/util/redact';
import { commandHarness } from '../support/command-harness';
import { VIEWER } from '../support/estate';
import { capturingLogger, RecordingRuntime } from '../support/fakes';

/** The corpus: real-shaped lines, each secret part between ⟪ and ⟫. */
const entries = readFileSync('test/fixtures/secrets/corpus.txt', 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.startsWith('#'))
  .map((marked) => ({ marked, line: marked.replace(/[⟪⟫]/g, ''), secrets: [...marked.matchAll(/⟪(.*?)⟫/g)].map((m) => m[1] as string) }));

/** What may show: the corpus without its secrets, and the labels redaction puts in their place. */
const open = `${entries.map((e) => e.marked.replace(/⟪.*?⟫/g, ' ')).join('\n')} [redacted] [bot-token] [github-token] [stripe-key] [api-key] [aws-key-id] [slack-token] [google-key] [jwt]`;
/** Every piece of a secret long enough to give it away (4 characters or more between separators), unless it is also open text. */
const pieces = (secret: string) => [secret, ...secret.split(/[^A-Za-z0-9]+/).filter((p) => p.length >= 4)].filter((p) => !open.includes(p));

function leaks(text: string): string[] {
  return entries.flatMap((e) => e.secrets.flatMap(pieces).filter((p) => text.includes(p)).map((p) => `${p} (from: ${e.marked})`));
}

const PEM = ['tls: loading key', '-----BEGIN RSA PRIVATE KEY-----', 'MIIEpAIBAAKCAQEA1xY7mZ0pQ2wWk9yFh3', 'bT8qZcLmN0vR4sXy6uWe2aQ9dK1fJ3hG5', '-----END RSA PRIVATE KEY-----', 'tls: key loaded'];

class CorpusRuntime extends RecordingRuntime {
  override async *logs(): AsyncIterable<LogLine> {
    for (const text of [...entries.map((e) => e.line), ...PEM]) yield { stream: 'stdout', text };
  }
}

describe('the redaction corpus', () => {
  it(`holds at least 50 real-shaped lines (${entries.length})`, () => {
    expect(entries.length).toBeGreaterThanOrEqual(50);
    expect(entries.every((e) => e.secrets.length > 0)).toBe(true);
  });

  it('no secret part survives redactSecrets, line by line', () => {
    const out = entries.map((e) => redactSecrets(e.line)).join('\n');
    expect(leaks(out)).toEqual([]);
    // What is around a secret stays readable.
    expect(redactSecrets('MANA_STT_API_KEY=sk-live-abc123def456 started')).toBe('MANA_STT_API_KEY=[redacted] started');
    expect(redactSecrets('password="a b c" user=ada')).toBe('password="[redacted]" user=ada');
    expect(redactSecrets('login user=ada password=Tr0ub4dor&3 from 192.0.2.10')).toBe('login user=ada password=[redacted] from 192.0.2.10');
    expect(redactSecrets('GET /callback?token=abcdef123456&state=xyz 200')).toBe('GET /callback?token=[redacted]&state=xyz 200');
    expect(redactSecrets('GET /api/v1/health 200 3ms monkey=banana key=value keyboard')).toBe('GET /api/v1/health 200 3ms monkey=banana key=value keyboard');
  });

  it('a PEM private key is blanked across its lines, the lines around it kept', () => {
    const r = new LineRedactor();
    expect(PEM.map((l) => r.line(l))).toEqual(['tls: loading key', '-----BEGIN RSA PRIVATE KEY----- [redacted] ', '[redacted]', '[redacted]', '[redacted] -----END RSA PRIVATE KEY-----', 'tls: key loaded']);
    expect(redactSecrets(PEM.join('\n'))).not.toMatch(/MIIEpAIBAAKCAQEA|bT8qZcLmN0vR4sXy6uWe2aQ9dK1fJ3hG5/);
  });

  it('nothing of it reaches a /logs message or its document', async () => {
    const h = commandHarness({ docker: new CorpusRuntime() });
    const shown = (o: Outcome) => ('html' in o ? o.html.value : '') + ('document' in o && o.document ? (o.document as Document).content : '');
    const message = await h.say(VIEWER.id, '/logs chat-web lines=200');
    expect(message.kind).toBe('reply');
    const document = await h.say(VIEWER.id, '/logs chat-web lines=200 file=yes');
    expect('document' in document && document.document).toBeTruthy();
    for (const out of [shown(message), shown(document)]) {
      expect(out).toContain('tls: key loaded');
      expect(leaks(out)).toEqual([]);
      expect(out).not.toMatch(/MIIEpAIBAAKCAQEA|bT8qZcLmN0vR4sXy6uWe2aQ9dK1fJ3hG5/);
    }
  });

  it("nothing of it reaches the bot's own log: messages, fields, errors, arrays", () => {
    const { log, lines } = capturingLogger();
    for (const e of entries) {
      log.warn({ line: e.line, lines: [e.line], err: new Error(e.line, { cause: new Error(e.line) }) }, e.line);
    }
    expect(lines).toHaveLength(entries.length);
    // pino's own fields are no secret: an epoch time may well contain "2026", the tail of one of the corpus's secrets.
    const written = lines.map(({ time: _time, pid: _pid, hostname: _host, ...rest }) => rest);
    expect(leaks(JSON.stringify(written))).toEqual([]);
  });
});
