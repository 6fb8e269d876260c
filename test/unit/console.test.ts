import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app';
import { runConsole } from '../../src/bot/console';
import { ConsoleLog } from '../../src/bot/console-log';
import { MemoryStore } from '../../src/ops/state/memory-store';
import { ADMIN, OPERATOR, testEstate } from '../support/estate';
import { RecordingRuntime, silentLogger } from '../support/fakes';

async function session(lines: string[]) {
  const runtime = new RecordingRuntime();
  const app = buildApp(testEstate({ prefix: 'con' }), { store: new MemoryStore(), docker: new Map([['local', runtime]]), log: silentLogger() });
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d: Buffer) => (text += d.toString()));
  const done = runConsole({ dispatcher: app.dispatcher, catalog: app.catalog, input, output });
  input.end(lines.map((l) => `${l}\n`).join(''));
  await done;
  return { text, runtime };
}

describe('console front-end', () => {
  it('speaks as the first admin, switches identity with :as, and confirms with y', async () => {
    const { text, runtime } = await session([':who', ':as viewer', '/restart chat-web', `:as ${OPERATOR.id}`, '/restart chat-web', 'y', ':as 4242', '/help', '/whoami']);
    expect(text).toContain(`speaking as ada (admin, id ${ADMIN.id})`);
    expect(text).toContain('speaking as vera (viewer, id 300)');
    expect(text).toContain('/restart needs the operator role; you are viewer.');
    expect(text).toContain('Confirm? [y/N] y');
    expect(text).toMatch(/chat-web healthy after .* \(Docker healthcheck\)\./);
    expect(runtime.restarted).toEqual(['con-chat-web']);
    expect(text).toContain('speaking as stranger (id 4242)');
    expect(text).toContain('(no reply: stranger)');
    expect(text).toContain('You are not on the allowlist');
  });

  it('anything but y cancels; end of input ends the session', async () => {
    const { text, runtime } = await session(['/restart chat-web', '', '/ping']);
    expect(text).toContain('Cancelled: /restart chat-web. Nothing was run.');
    expect(runtime.restarted).toEqual([]);
    expect(text).toMatch(/pong · up/);
  });

  it('a confirmation at the very end of input is cancelled, not run', async () => {
    const { text, runtime } = await session(['/restart chat-web']);
    expect(text).toContain('Cancelled');
    expect(runtime.restarted).toEqual([]);
  });
});

describe('console stand-ins', () => {
  it("never take an id the estate file gives someone: the estate's admin 1001 stays the admin", async () => {
    const { withConsoleStandIns } = await import('../../src/bot/console');
    const { Catalog } = await import('../../src/config/catalog');
    const base = testEstate({ prefix: 'con' });
    const estate = { ...base, users: [{ id: 1001, name: 'till', role: 'admin' as const }, { id: 1000, name: 'vera', role: 'viewer' as const }] };
    const users = withConsoleStandIns(estate).users;
    expect(new Set(users.map((u) => u.id)).size).toBe(users.length);
    const catalog = new Catalog(withConsoleStandIns(estate));
    expect(catalog.user(1001)).toMatchObject({ name: 'till', role: 'admin' });
    expect(catalog.user(1000)).toMatchObject({ name: 'vera', role: 'viewer' });
    expect(users.filter((u) => u.name.startsWith('console-')).map((u) => `${u.name}:${u.id}`)).toEqual(['console-operator:1002']);
  });
});

describe('console screen', () => {
  it('a log line that comes while the prompt waits goes above it in plain words, and the prompt is drawn again', async () => {
    const app = buildApp(testEstate({ prefix: 'con' }), { store: new MemoryStore(), docker: new Map([['local', new RecordingRuntime()]]), log: silentLogger() });
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = new PassThrough();
    let text = '';
    output.on('data', (d: Buffer) => (text += d.toString()));
    const log = new ConsoleLog(output);
    const done = runConsole({ dispatcher: app.dispatcher, catalog: app.catalog, input, output, log });
    await expect.poll(() => text.endsWith('admin> ')).toBe(true);
    log.write(JSON.stringify({ level: 40, time: 1, msg: 'Redis is not reachable yet', err: 'connect ECONNREFUSED 127.0.0.1:6390' }));
    // A command failure is in its reply, with its ref: not printed a second time.
    log.write(JSON.stringify({ level: 40, time: 2, msg: '/logs failed', ref: 'ab12cd34', err: 'Docker unreachable' }));
    expect(text.endsWith('\r\x1b[2K⚠️ Redis is not reachable yet: connect ECONNREFUSED 127.0.0.1:6390\nadmin> ')).toBe(true);
    expect(text).not.toContain('/logs failed');
    expect(text).not.toContain('{"level"');
    input.end(':quit\n');
    await done;
  });
});

describe('console guided input', () => {
  it('asks what is missing as numbered choices (or a typed value), then runs the line, confirmation included', async () => {
    const { text, runtime } = await session(['/restart', '3', '1', 'y', '/silence', 'todo-web', '2', '/silence', '1', '1', '90m', '/restart', '0', '/restart', '9', '0']);
    expect(text).toContain('Which service should I restart? Category:\n  1) infra (1)\n  2) backend (1)\n  3) web (2)\n  0) cancel  (or type a value)');
    expect(text).toContain('  1) chat-web\n  2) todo-web');
    expect(text).toContain('→ /restart services=chat-web');
    expect(runtime.restarted).toEqual(['con-chat-web']);
    expect(text).toContain('→ /silence target=todo-web duration=1h');
    expect(text).toContain('todo-web silenced for 1h');
    expect(text).toContain('→ /silence target=postgres duration=90m');
    expect(text).toContain('Cancelled: /restart. Nothing was run.');
    expect(text).toContain('"9" is not one of 1-3, nor a value this takes.');
  });
});

describe('console confirmations', () => {
  it('silencing everything asks first, as on Telegram; one service is silenced at once', async () => {
    const { text } = await session(['/silence all 4h', 'n', '/silence all 1h', 'y', '/silence chat-web 1h']);
    expect(text).toContain('Silence all alerts for 4h? Nothing new reaches the alert chats until then (failures are still tracked).');
    expect(text).toContain('Cancelled: /silence all 4h. Nothing was run.');
    expect(text).toMatch(/Confirm\? \[y\/N\] y\n.*all alerts silenced for 1h/s);
    expect(text).toMatch(/chat-web silenced for 1h \(until/);
    expect(text.match(/Confirm\? \[y\/N\]/g)).toHaveLength(2);
  });
});
