import { buildApp, type AppPorts } from '../../src/app';
import type { Envelope } from '../../src/auth/gate';
import type { Estate } from '../../src/config/schema';
import type { Outcome } from '../../src/commands/types';
import type { ContainerRuntime, StateStore } from '../../src/ops/ports';
import { MemoryStore } from '../../src/ops/state/memory-store';
import { htmlToPlain } from '../../src/util/html';
import { testEstate } from './estate';
import { RecordingRuntime, silentLogger } from './fakes';

/**
 * The seam for testing one command: an estate, fakes of our own ports, the real dispatcher and a clock the
 * test moves. A new command needs its file and one test that calls `say` (and `confirm` when it asks).
 */
export function commandHarness<R extends ContainerRuntime = RecordingRuntime>(
  options: { estate?: Estate; overrides?: Record<string, unknown>; store?: StateStore; docker?: R; ports?: Partial<AppPorts> } = {},
) {
  let clock = Date.parse('2026-11-27T10:00:00Z');
  const runtime = options.docker ?? (new RecordingRuntime() as unknown as R);
  const store = options.store ?? new MemoryStore(() => clock);
  const estate = options.estate ?? testEstate({ prefix: 'unit', overrides: options.overrides });
  const app = buildApp(estate, {
    store,
    docker: new Map(estate.docker_hosts.map((h) => [h.name, runtime])),
    log: silentLogger(),
    now: () => clock,
    ...options.ports,
  });
  const env = (userId: number, extra: Partial<Envelope> = {}): Envelope => ({
    userId,
    chatId: userId,
    chatType: 'private',
    sentAt: clock,
    forwarded: false,
    edited: false,
    ...extra,
  });
  const say = (userId: number, text: string, extra: Partial<Envelope> = {}) => app.dispatcher.handleText(env(userId, extra), text);
  /** Presses Confirm on a confirmation and runs the action; the outcome as the message would show it. */
  const confirm = async (userId: number, asked: Outcome, extra: Partial<Envelope> = {}): Promise<Outcome | string> => {
    if (asked.kind !== 'confirm') throw new Error(`expected a confirmation, got ${asked.kind}: ${plain(asked)}`);
    const press = await app.dispatcher.press(env(userId, extra), asked.nonce, 'confirm');
    if (press.kind === 'run') return press.execute();
    return press.kind === 'final' ? htmlToPlain(press.html) : press.popup;
  };
  return { app, runtime, store, env, say, confirm, advance: (ms: number) => (clock += ms) };
}

/** What the chat would show, as plain text. */
export const plain = (o: Outcome | string) => (typeof o === 'string' ? o : o.kind === 'silent' ? `(silent: ${o.reason})` : htmlToPlain(o.html));
