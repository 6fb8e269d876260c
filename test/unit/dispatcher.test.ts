import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/auth/gate';
import type { Outcome } from '../../src/commands/types';
import { commandHarness, plain } from '../support/command-harness';
import type { StateStore } from '../../src/ops/ports';
import type { AppPorts } from '../../src/app';
import { ADMIN, OPERATOR, OPS_GROUP, OTHER_GROUP, STRANGER, VIEWER, testEstate } from '../support/estate';
import { DownStore, RecordingRuntime, silentLogger } from '../support/fakes';
import { PrometheusMetrics } from '../../src/ops/prometheus-metrics';
import { z } from 'zod';
import { Dispatcher } from '../../src/commands/dispatcher';
import { CommandRegistry } from '../../src/commands/registry';
import { defineCommand } from '../../src/commands/types';
import { html } from '../../src/util/html';

const setup = (options: { store?: StateStore; overrides?: Record<string, unknown>; ports?: Partial<AppPorts> } = {}) => commandHarness(options);

describe('dispatcher', () => {
  it('/help lists only what the caller may run, with usage', async () => {
    const { say } = setup();
    const admin = plain(await say(ADMIN.id, '/help'));
    const viewer = plain(await say(VIEWER.id, '/help'));
    expect(admin).toContain('/restart <service> [more services]');
    expect(admin).toContain('/audit');
    expect(viewer).toContain('/ping');
    expect(viewer).not.toContain('/restart');
    expect(viewer).not.toContain('/audit');
  });

  it('sub-commands are declarations: /help shows each with its role, /help <command> its usage and examples', async () => {
    const { say } = setup();
    const viewer = plain(await say(VIEWER.id, '/help'));
    expect(viewer).toContain('/tunnel check <hostname> · viewer');
    expect(viewer).not.toContain('/tunnel repoint');
    const admin = plain(await say(ADMIN.id, '/help'));
    expect(admin).toContain('/tunnel repoint <hostname> [tunnel] · admin · asks to confirm');
    expect(admin).toContain('/gpu restart <stt|tts|img|llm|video|ollama|cloudflared> · operator · asks to confirm');
    const detail = plain(await say(OPERATOR.id, '/help tunnel'));
    expect(detail).toContain('Usage: /tunnel [all | check <hostname> | repoint <hostname> [tunnel] | rollback <hostname>]');
    expect(detail).toContain('/tunnel repoint: Point a hostname at a tunnel');
    expect(detail).toContain('Usage: /tunnel repoint <hostname> [tunnel] · admins and up · asks to confirm');
    expect(detail).toContain('Examples: /tunnel repoint gpu-stt.mana.how mana-gpu-server');
    expect(plain(await say(VIEWER.id, '/help audit'))).toBe('No command /audit that you can run. /help lists them.');
  });

  it("a sub-command's role is enforced before its arguments are read", async () => {
    const { say, app } = setup();
    expect(plain(await say(OPERATOR.id, '/tunnel repoint nothing.example'))).toBe('/tunnel repoint needs the admin role; you are operator.');
    expect(plain(await say(VIEWER.id, '/gpu restart whatever'))).toBe('/gpu restart needs the operator role; you are viewer.');
    const [entry] = await app.env.audit.recent(1);
    expect(entry).toMatchObject({ action: 'gpu', result: 'denied', detail: 'restart needs operator' });
  });

  it('/whoami answers a stranger in private with their id and how to be added; nothing else does', async () => {
    const { say } = setup();
    const who = await say(STRANGER.id, '/whoami');
    expect(who.kind).toBe('reply');
    expect(plain(who)).toContain(`Your id: ${STRANGER.id}`);
    expect(plain(who)).toContain(`- { id: ${STRANGER.id}, name: you, role: viewer }`);
    expect(await say(STRANGER.id, '/help')).toEqual({ kind: 'silent', reason: 'stranger' });
    expect(await say(STRANGER.id, '/restart chat-web')).toEqual({ kind: 'silent', reason: 'stranger' });
    expect(await say(STRANGER.id, '/nonsense')).toEqual({ kind: 'silent', reason: 'stranger' });
  });

  it('a user over the rate limit is told once per window; what follows writes nothing, and unknown names share one metric label', async () => {
    const metrics = new PrometheusMetrics();
    const { say, app, advance } = setup({ overrides: { policy: { rate_limit: { commands: 3, window: '1m' } } }, ports: { metrics } });
    expect((await say(VIEWER.id, '/nonsense1')).kind).toBe('unknown');
    expect((await say(VIEWER.id, '/nonsense2')).kind).toBe('unknown');
    expect((await say(VIEWER.id, '/ping')).kind).toBe('reply');
    expect((await say(VIEWER.id, '/ping')).kind).toBe('rate_limited');
    const audited = (await app.env.audit.recent(50)).length;
    for (let i = 0; i < 20; i++) expect(await say(VIEWER.id, `/x${i} ${'A'.repeat(500)}`)).toEqual({ kind: 'silent', reason: 'rate limited' });
    expect((await app.env.audit.recent(50)).length).toBe(audited);
    advance(60_001);
    expect((await say(VIEWER.id, '/ping')).kind).toBe('reply');
    const series = (await metrics.text()).split('\n').filter((l) => l.startsWith('mana_ops_commands_total{'));
    expect(series.map((l) => /command="([^"]+)"/.exec(l)?.[1])).toEqual(['unknown', 'ping', 'ping']);
  });

  it('strangers are noted in their own small book, a few times per window, with arguments capped; users keep theirs', async () => {
    const { say, app } = setup();
    await say(ADMIN.id, '/ping');
    const outcomes = [];
    for (let i = 0; i < 12; i++) outcomes.push((await say(STRANGER.id, `/restart${i} ${'secret '.repeat(200)}`)).kind);
    expect(outcomes.every((k) => k === 'silent')).toBe(true);
    const noted = await app.env.audit.recent(50, 'outsiders');
    expect(noted).toHaveLength(5);
    expect(noted.every((e) => e.userId === STRANGER.id && e.result === 'refused' && e.args.length <= 200 && e.args.endsWith('…'))).toBe(true);
    expect((await app.env.audit.recent(50)).map((e) => `${e.userId} ${e.action}`)).toEqual([`${ADMIN.id} ping`]);
    // A stranger's forged press is noted in the same book, within the same limit (already reached): nothing more.
    expect(await app.dispatcher.press({ userId: STRANGER.id, chatId: STRANGER.id, chatType: 'private', sentAt: 0, forwarded: false, edited: false }, 'forged', 'confirm')).toEqual({ kind: 'popup', popup: 'Not allowed.' });
    expect(await app.env.audit.recent(50, 'outsiders')).toHaveLength(5);
    const shown = plain(await say(ADMIN.id, '/audit from=outsiders'));
    expect(shown).toContain('Last 5 entries from outsiders');
    expect(shown).toContain(`${STRANGER.id} /restart4 secret secret`);
  });

  it('a stranger gets one generic reply per hour when so configured', async () => {
    const { say, advance } = setup({ overrides: { policy: { stranger_reply: 'hourly' } } });
    expect(plain(await say(STRANGER.id, '/help'))).toBe('This is a private bot.');
    expect((await say(STRANGER.id, '/help')).kind).toBe('silent');
    advance(3_600_001);
    expect((await say(STRANGER.id, '/status')).kind).toBe('denied');
  });

  it('unknown command suggests the nearest one the caller may run', async () => {
    const { say } = setup();
    expect(plain(await say(OPERATOR.id, '/restrat chat-web'))).toBe('Unknown command /restrat. Did you mean /restart?');
    expect(plain(await say(VIEWER.id, '/restrat chat-web'))).toContain('/help lists');
    // A swap of two letters is one slip, and a tie goes to the same first letter: not /start, an alias of /help.
    expect(plain(await say(VIEWER.id, '/stauts'))).toBe('Unknown command /stauts. Did you mean /status?');
    expect(plain(await say(OPERATOR.id, '/rstart chat-web'))).toBe('Unknown command /rstart. Did you mean /restart?');
    expect(plain(await say(VIEWER.id, '/memroy'))).toBe('Unknown command /memroy. Did you mean /mem?');
    // The words people type for them run them.
    expect(plain(await say(VIEWER.id, '/memory'))).not.toContain('Unknown command');
    expect(plain(await say(VIEWER.id, '/df'))).not.toContain('Unknown command');
  });

  it('bad arguments get the usage line and what was wrong', async () => {
    const { say } = setup();
    const typo = plain(await say(OPERATOR.id, '/restart chat-wbe'));
    expect(typo).toContain('Usage: /restart <service> [more services]');
    expect(typo).toContain('unknown service "chat-wbe". Did you mean chat-web?');
    expect(plain(await say(OPERATOR.id, '/restart'))).toContain('services: is required');
    expect(plain(await say(OPERATOR.id, '/restart chat-web chat-wbe'))).toContain('services[1]: unknown service "chat-wbe". Did you mean chat-web?');
    expect(plain(await say(OPERATOR.id, '/ping extra'))).toContain('unexpected argument: extra');
    expect(plain(await say(ADMIN.id, '/audit n=500'))).toContain('n: must be at most 50');
    expect(plain(await say(OPERATOR.id, '/restart "chat-web'))).toContain('a quote is not closed');
    expect(plain(await say(OPERATOR.id, '/restart frozen'))).toContain('frozen is marked as not restartable');
  });

  it('refuses by role: viewer cannot restart, operator cannot restart infra', async () => {
    const { say, runtime } = setup();
    expect(plain(await say(VIEWER.id, '/restart chat-web'))).toBe('/restart needs the operator role; you are viewer.');
    expect(plain(await say(OPERATOR.id, '/restart postgres'))).toBe('postgres (infra) may only be restarted by admins.');
    expect((await say(ADMIN.id, '/restart postgres')).kind).toBe('confirm');
    expect(runtime.restarted).toEqual([]);
  });

  it('refuses anonymous admins, channel posts, forwarded, edited and foreign-group messages silently', async () => {
    const { say, runtime } = setup();
    const cases: [number, Partial<Envelope>, string][] = [
      [1087968824, { chatId: OPS_GROUP.id, chatType: 'supergroup', senderChatId: OPS_GROUP.id }, 'anonymous'],
      [777000, { chatId: OPS_GROUP.id, chatType: 'supergroup', senderChatId: -100777 }, 'channel'],
      [ADMIN.id, { forwarded: true }, 'forwarded'],
      [ADMIN.id, { edited: true }, 'edited'],
      [ADMIN.id, { chatId: OTHER_GROUP.id, chatType: 'supergroup' }, 'chat_not_allowed'],
      [ADMIN.id, { chatId: VIEWER.id }, 'chat_not_allowed'],
    ];
    for (const [user, extra, reason] of cases) {
      expect(await say(user, '/restart chat-web', extra)).toEqual({ kind: 'silent', reason });
    }
    expect((await say(ADMIN.id, '/restart chat-web', { chatId: OPS_GROUP.id, chatType: 'supergroup' })).kind).toBe('confirm');
    expect(runtime.restarted).toEqual([]);
  });

  it('every private-only command (/audit among them) is refused in a group, typed or from a button, and audited as denied', async () => {
    const { say, app } = setup();
    const privateOnly = app.registry.all().filter((spec) => spec.scope === 'private').map((spec) => spec.name);
    expect(privateOnly).toContain('audit');
    const group: Partial<Envelope> = { chatId: OPS_GROUP.id, chatType: 'supergroup' };
    // A button's data (s:/audit) runs through handleText as typed text does: one path for both.
    for (const name of privateOnly) {
      const out = await say(ADMIN.id, `/${name}`, group);
      expect(out.kind).toBe('denied');
      expect(plain(out)).toBe(`/${name} works only in a private chat with me.`);
      expect(plain(await say(ADMIN.id, `/${name}`))).not.toContain('works only in a private chat');
    }
    const entries = await app.env.audit.recent(50);
    expect(entries.filter((e) => e.result === 'denied' && e.chatId === OPS_GROUP.id).map((e) => e.action)).toEqual(expect.arrayContaining(privateOnly));
  });

  it('button presses count against the rate limit: a held-down button is no way around it', async () => {
    const { say, app, env, runtime } = setup({ overrides: { policy: { rate_limit: { commands: 2, window: '1m' } } } });
    const asked = await say(ADMIN.id, '/restart chat-web');
    expect(asked.kind).toBe('confirm');
    expect((await app.dispatcher.press(env(ADMIN.id), 'forged-nonce', 'cancel')).popup).toBe('Expired: nothing was run.');
    const limited = await app.dispatcher.press(env(ADMIN.id), asked.kind === 'confirm' ? asked.nonce : '', 'confirm');
    expect(limited).toMatchObject({ kind: 'popup', popup: expect.stringMatching(/^Too many presses\. Try again in /) });
    expect(runtime.restarted).toEqual([]);
  });

  it('a command older than the configured age is skipped and the sender told so', async () => {
    const { say, advance, runtime, env, app } = setup();
    const sentAt = env(ADMIN.id).sentAt;
    advance(5 * 60_000);
    const out = await say(ADMIN.id, '/restart chat-web', { sentAt });
    expect(out.kind).toBe('stale');
    expect(plain(out)).toContain('sent 5m ago');
    expect(runtime.restarted).toEqual([]);
    const audit = await app.env.audit.recent(1);
    expect(audit[0]).toMatchObject({ action: 'restart', result: 'refused', detail: 'stale' });
  });

  it('ignores commands addressed to another bot', async () => {
    const { say, app } = setup();
    app.dispatcher.botUsername = 'alerts_mana_bot';
    expect(await say(ADMIN.id, '/help@other_bot')).toEqual({ kind: 'silent', reason: 'addressed to another bot' });
    expect((await say(ADMIN.id, '/help@alerts_mana_bot')).kind).toBe('reply');
  });

  it('rate-limits per user and says when to try again', async () => {
    const { say, advance } = setup({ overrides: { policy: { rate_limit: { commands: 3, window: '1m' } } } });
    for (let i = 0; i < 3; i++) expect((await say(VIEWER.id, '/ping')).kind).toBe('reply');
    const limited = await say(VIEWER.id, '/ping');
    expect(limited.kind).toBe('rate_limited');
    expect(plain(limited)).toBe('Too many commands. Try again in 1m.');
    expect((await say(OPERATOR.id, '/ping')).kind).toBe('reply');
    advance(60_001);
    expect((await say(VIEWER.id, '/ping')).kind).toBe('reply');
  });

  describe('confirmations', () => {
    async function ask(s: ReturnType<typeof setup>, user: number = OPERATOR.id, line = '/restart chat', extra: Partial<Envelope> = {}) {
      const out = await s.say(user, line, extra);
      if (out.kind !== 'confirm') throw new Error(`expected a confirmation, got ${out.kind}`);
      return out;
    }

    it('shows what depends on the service, runs once on confirm, and audits it', async () => {
      const s = setup();
      const out = await ask(s);
      expect(plain(out)).toContain('Restart chat-web (unit-chat-web, web)?');
      expect(await ask(s, ADMIN.id, '/restart postgres').then(plain)).toContain('Depends on it: chat-backend, chat-web');
      expect(out.nonce).toMatch(/^[A-Za-z0-9_-]{16}$/);
      const press = await s.app.dispatcher.press(s.env(OPERATOR.id), out.nonce, 'confirm');
      expect(press.kind).toBe('run');
      if (press.kind !== 'run') return;
      const result = await press.execute();
      expect(plain(result as Outcome)).toMatch(/chat-web healthy after .* \(Docker healthcheck\)/);
      expect(s.runtime.restarted).toEqual(['unit-chat-web']);
      const audit = await s.app.env.audit.recent(5);
      expect(audit.map((a) => a.result)).toEqual(expect.arrayContaining(['ok', 'confirmed', 'confirm_asked']));
    });

    it("another user's press changes nothing and the owner can still confirm", async () => {
      const s = setup();
      const group: Partial<Envelope> = { chatId: OPS_GROUP.id, chatType: 'supergroup' };
      const out = await ask(s, OPERATOR.id, '/restart chat', group);
      const other = await s.app.dispatcher.press(s.env(ADMIN.id, group), out.nonce, 'confirm');
      expect(other).toEqual({ kind: 'popup', popup: 'Not yours: only the person who asked can confirm this.' });
      expect(s.runtime.restarted).toEqual([]);
      expect((await s.app.dispatcher.press(s.env(OPERATOR.id, group), out.nonce, 'confirm')).kind).toBe('run');
    });

    it('a second press, a cancel after confirm, or a replayed nonce runs nothing', async () => {
      const s = setup();
      const out = await ask(s);
      const first = await s.app.dispatcher.press(s.env(OPERATOR.id), out.nonce, 'confirm');
      if (first.kind === 'run') await first.execute();
      const again = await s.app.dispatcher.press(s.env(OPERATOR.id), out.nonce, 'confirm');
      expect(again.kind).toBe('popup');
      expect(again.popup).toMatch(/^Already confirmed at .* UTC: nothing more was run\.$/);
      expect((await s.app.dispatcher.press(s.env(OPERATOR.id), out.nonce, 'cancel')).kind).toBe('popup');
      expect(s.runtime.restarted).toEqual(['unit-chat-web']);
    });

    it('cancel runs nothing; an expired or forged nonce runs nothing', async () => {
      const s = setup();
      const out = await ask(s);
      const cancel = await s.app.dispatcher.press(s.env(OPERATOR.id), out.nonce, 'cancel');
      expect(cancel).toMatchObject({ kind: 'final', popup: 'Cancelled.' });
      const late = await ask(s);
      s.advance(120_001);
      expect(await s.app.dispatcher.press(s.env(OPERATOR.id), late.nonce, 'confirm')).toMatchObject({ kind: 'final', popup: 'Expired: nothing was run.' });
      expect(await s.app.dispatcher.press(s.env(OPERATOR.id), 'AAAAAAAAAAAAAAAA', 'confirm')).toMatchObject({ popup: 'Expired: nothing was run.' });
      expect(await s.app.dispatcher.press(s.env(OPERATOR.id), '../../etc', 'confirm')).toMatchObject({ popup: 'Expired: nothing was run.' });
      expect(s.runtime.restarted).toEqual([]);
    });

    it('a stranger or a press from another chat is refused', async () => {
      const s = setup();
      const out = await ask(s);
      expect(await s.app.dispatcher.press(s.env(STRANGER.id), out.nonce, 'confirm')).toEqual({ kind: 'popup', popup: 'Not allowed.' });
      expect((await s.app.dispatcher.press(s.env(OPERATOR.id, { chatId: OPS_GROUP.id, chatType: 'supergroup' }), out.nonce, 'confirm')).kind).toBe('popup');
      expect(s.runtime.restarted).toEqual([]);
    });
  });

  describe('with the state store down', () => {
    it('read-only commands answer; confirmations are refused (fail closed)', async () => {
      const s = setup({ store: new DownStore() });
      expect(plain(await s.say(VIEWER.id, '/ping'))).toContain('state store: redis UNREACHABLE');
      expect((await s.say(ADMIN.id, '/help')).kind).toBe('reply');
      const refused = await s.say(OPERATOR.id, '/restart chat-web');
      expect(refused.kind).toBe('unavailable');
      expect(plain(refused)).toContain('State store unavailable');
      expect(await s.app.dispatcher.press(s.env(OPERATOR.id), 'AAAAAAAAAAAAAAAA', 'confirm')).toMatchObject({ kind: 'popup' });
      expect(s.runtime.restarted).toEqual([]);
    });
  });
});

describe('/alerts am', () => {
  it("gives Alertmanager's alerts in full as a file (what a storm digest names in a word), and says so when there are none", async () => {
    const { AlertmanagerIntake } = await import('../../src/alerts/alertmanager');
    const { MemoryStore } = await import('../../src/ops/state/memory-store');
    const store = new MemoryStore();
    const s = setup({ store });
    expect(plain(await s.say(VIEWER.id, '/alerts am'))).toBe('No alerts from Alertmanager are open.');
    const intake = new AlertmanagerIntake({ store, notifier: { send: async () => 1, edit: async () => {} }, catalog: s.app.catalog, log: silentLogger() });
    const hook = (i: number, status: 'firing' | 'resolved') => ({
      version: '4', groupKey: `{}:{alertname="ProbeFailed", service="svc-${i}"}`, status, receiver: 'bot', groupLabels: { alertname: 'ProbeFailed', service: `svc-${i}` },
      commonLabels: { alertname: 'ProbeFailed', service: `svc-${i}` }, commonAnnotations: {}, externalURL: 'http://127.0.0.1:9093',
      alerts: [{ status, labels: { alertname: 'ProbeFailed', service: `svc-${i}`, instance: `svc-${i}:8080` }, annotations: { summary: `probe of "https://svc-${i}/health?a=<b>&c" failed` }, startsAt: '2026-11-27T09:58:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: `http://127.0.0.1:8880/vmalert/alert?alert_id=${i}`, fingerprint: `f${i}` }],
    });
    await intake.receive(hook(1, 'firing'));
    await intake.receive(hook(2, 'resolved'));
    const out = await s.say(VIEWER.id, '/alerts am');
    expect(plain(out)).toBe('1 firing, 1 resolved from Alertmanager: each with its summary and source in the file.');
    const doc = out.kind === 'reply' ? out.document : undefined;
    expect(doc?.filename).toMatch(/^alertmanager-2026-11-27-10-00\.txt$/);
    expect(doc?.content.split('\n').slice(2, 5)).toEqual([
      'FIRING   ProbeFailed · svc-1 (svc-1:8080) · since 2026-11-27 09:58 UTC',
      '  probe of "https://svc-1/health?a=<b>&c" failed',
      '  http://127.0.0.1:8880/vmalert/alert?alert_id=1',
    ]);
    expect(doc?.content).toContain('RESOLVED ProbeFailed · svc-2 (svc-2:8080)');
  });
});

describe('/alerts where no checks run', () => {
  it('says that nothing has looked (and how to make checks run) instead of "nothing is failing"; once a monitor judged, the list', async () => {
    const { OpenIncidents } = await import('../../src/estate/open-incidents');
    const s = setup();
    const off = plain(await s.say(VIEWER.id, '/alerts'));
    expect(off).toContain('No checks run here, so nothing can be said about what is failing.');
    expect(off).toContain('MANA_OPS_CONSOLE_ALERTS=1');
    const judged = new OpenIncidents(s.store).entry([]);
    if (judged) await s.store.writeMany([judged]);
    expect(plain(await s.say(VIEWER.id, '/alerts'))).toBe('✅ Nothing is failing.');
  });
});

describe("the estate's clock", () => {
  it('shows times in the estate timezone with its zone, summer and winter, and audit entries with their date', async () => {
    const { say, advance } = commandHarness({ overrides: { timezone: 'Europe/Berlin' } });
    // 2026-11-27T10:00Z is 11:00 CET.
    expect(plain(await say(ADMIN.id, '/silence chat-web 1h deploy'))).toContain('silenced for 1h (until 12:00 CET): deploy');
    advance(Date.parse('2027-07-01T10:00:00Z') - Date.parse('2026-11-27T10:00:00Z'));
    expect(plain(await say(ADMIN.id, '/silence todo-web 2d'))).toContain('silenced for 2d (until 2027-07-03 12:00 CEST)');
    const audit = plain(await say(ADMIN.id, '/audit'));
    expect(audit).toContain('(newest first, Europe/Berlin time)');
    expect(audit).toContain('2027-07-01 12:00:00 ada /silence todo-web 2d');
    expect(audit).toContain('2026-11-27 11:00:00 ada /silence chat-web 1h deploy');
  });

  it('refuses a time zone it does not know, naming the field', () => {
    expect(() => testEstate({ overrides: { timezone: 'Berlin' } })).toThrow(/timezone.*IANA time zone like Europe\/Berlin/s);
  });
});

describe('did-you-mean for services', () => {
  it('suggests only what the caller may act on: an operator is never pointed at an admin-only service', async () => {
    const { say } = commandHarness();
    // postgres may only be restarted by admins, frozen not at all (the test estate).
    expect(plain(await say(ADMIN.id, '/restart postgrs'))).toContain('unknown service "postgrs". Did you mean postgres?');
    expect(plain(await say(OPERATOR.id, '/restart postgrs'))).toContain('unknown service "postgrs" (see the estate file)');
    expect(plain(await say(ADMIN.id, '/restart frozn'))).toContain('unknown service "frozn" (see the estate file)');
    expect(plain(await say(OPERATOR.id, '/restart chat-wbe'))).toContain('Did you mean chat-web?');
    // A viewer may read everything: /status still suggests postgres.
    expect(plain(await say(VIEWER.id, '/status postgrs'))).toContain('postgres');
  });
});

describe('a command past its deadline', () => {
  it('is told through its signal, whether it read the signal before the deadline or only after', async () => {
    const { app, env } = setup();
    const seen: Record<string, boolean> = {};
    let release: () => void = () => {};
    const released = new Promise<void>((r) => (release = r));
    const spec = (name: string, run: (signal: () => AbortSignal) => Promise<void>) =>
      defineCommand({ name, summary: name, usage: `/${name}`, role: 'viewer', confirm: 'never', args: z.object({}), deadline: () => 30, run: async (ctx) => (await run(() => ctx.signal), { html: html`done` }) });
    const dispatcher = new Dispatcher({
      registry: new CommandRegistry([
        spec('early', (signal) => new Promise<void>((resolve) => signal().addEventListener('abort', () => ((seen.early = true), resolve()), { once: true }))),
        spec('late', async (signal) => {
          await released;
          seen.late = signal().aborted;
        }),
      ]),
      env: app.env,
      log: silentLogger(),
    });
    expect(plain(await dispatcher.handleText(env(VIEWER.id), '/early'))).toContain('/early did not finish within');
    expect(seen.early).toBe(true);
    expect(plain(await dispatcher.handleText(env(VIEWER.id), '/late'))).toContain('/late did not finish within');
    release();
    await expect.poll(() => seen.late).toBe(true);
  });
});
