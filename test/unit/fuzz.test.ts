import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app';
import type { Envelope } from '../../src/auth/gate';
import { parseCommandLine, ParseError } from '../../src/commands/parse';
import { MemoryStore } from '../../src/ops/state/memory-store';
import { checkTelegramHtml } from '../support/telegram-emulator';
import { ADMIN, OPERATOR, STRANGER, VIEWER, testEstate } from '../support/estate';
import { RecordingRuntime, silentLogger } from '../support/fakes';

/** Property-based: random and hostile messages and button payloads never crash, never act without leave. */

const hostileText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('/restart', '/restart "', "/restart '", '/logs x grep=', '/logs x lines=1 lines=2', '/tunnel repoint ', '/gpu restart', '/silence all 1h'),
  fc.tuple(fc.constantFrom('/restart ', '/logs ', '/status ', '/silence ', '/ack ', '/audit ', '/help ', '/tunnel check ', '/gpu '), fc.string({ maxLength: 120 })).map(([a, b]) => a + b),
  fc.string({ maxLength: 20 }).map((s) => `/${'x'.repeat(40)}${s}`),
  fc.nat({ max: 20_000 }).map((n) => `/logs chat-web grep=${'a'.repeat(n)}`),
);

function setup() {
  const runtime = new RecordingRuntime();
  // No rate limit here: every one of the thousands of messages must go through the whole pipeline.
  const app = buildApp(testEstate({ prefix: 'fuzz', overrides: { policy: { rate_limit: { commands: 1_000_000_000, window: '1m' } } } }), { store: new MemoryStore(), docker: new Map([['local', runtime]]), log: silentLogger() });
  return { app, runtime };
}

const envelope = (userId: number, extra: Partial<Envelope> = {}): Envelope => ({ userId, chatId: userId, chatType: 'private', sentAt: Date.now(), forwarded: false, edited: false, ...extra });

describe('fuzzing', () => {
  it('the parser either parses or says why, for any text', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        try {
          const parsed = parseCommandLine(text);
          if (parsed) expect(parsed.name).toMatch(/^[a-z0-9_]{1,32}$/);
        } catch (err) {
          expect(err).toBeInstanceOf(ParseError);
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it('any message from anyone: an outcome, valid Telegram HTML, and nothing restarted without a confirmation', async () => {
    const { app, runtime } = setup();
    await fc.assert(
      fc.asyncProperty(
        hostileText,
        fc.constantFrom(ADMIN.id, OPERATOR.id, VIEWER.id, STRANGER.id, 1087968824, 777000),
        fc.boolean(),
        fc.boolean(),
        async (text, userId, forwarded, edited) => {
          const out = await app.dispatcher.handleText(envelope(userId, { forwarded, edited }), text);
          if (out.kind !== 'silent') {
            const checked = checkTelegramHtml(out.html.value);
            expect(checked.ok).toBe(true);
          }
          if (userId === STRANGER.id || forwarded || edited || userId === 1087968824 || userId === 777000) {
            expect(['silent', 'reply'].includes(out.kind)).toBe(true); // strangers get /whoami at most
          }
          expect(runtime.restarted).toEqual([]); // a command alone never acts: only a confirmation does
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('forged and replayed button payloads never run anything', async () => {
    const { app, runtime } = setup();
    const asked = await app.dispatcher.handleText(envelope(OPERATOR.id), '/restart chat-web');
    expect(asked.kind).toBe('confirm');
    const nonce = asked.kind === 'confirm' ? asked.nonce : '';
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 80 }), fc.stringMatching(/^[A-Za-z0-9_-]{16}$/), fc.constant(nonce)),
        fc.constantFrom(ADMIN.id, VIEWER.id, STRANGER.id, 1087968824),
        fc.constantFrom('confirm' as const, 'cancel' as const),
        async (data, userId, decision) => {
          const press = await app.dispatcher.press(envelope(userId), data, decision);
          expect(press.kind === 'run').toBe(false); // only the operator who asked could run it
        },
      ),
      { numRuns: 5_000 },
    );
    expect(runtime.restarted).toEqual([]);
    const owner = await app.dispatcher.press(envelope(OPERATOR.id), nonce, 'confirm');
    expect(owner.kind).toBe('run');
  });
});
