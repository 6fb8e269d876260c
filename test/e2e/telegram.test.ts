import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/ops/state/redis-store';
import { startBot, type RunningBot } from '../support/bot-harness';
import { removeContainers, runContainer, testDocker } from '../support/docker';
import { ADMIN, NO_RATE_LIMIT, OPERATOR, OPS_GROUP, STRANGER, VIEWER, testEstate } from '../support/estate';
import { RedisServer } from '../support/redis';
import type { SentMessage, TgUser } from '../support/telegram-emulator';

const PREFIX = 'mo-e2e';
const CONTAINERS = ['chat-web', 'postgres', 'todo-web'].map((n) => `${PREFIX}-${n}`);
const redis = new RedisServer();
let store: RedisStore;
let bot: RunningBot;
let docker: Docker;
let verify: RedisStore;

const startedAt = async (name: string) => (await docker.getContainer(name).inspect()).State.StartedAt;

/** Sends text and returns the bot's next message in that chat. */
async function ask(user: TgUser, text: string, chat?: { id: number; type: 'supergroup'; title: string }): Promise<SentMessage> {
  const chatId = chat?.id ?? user.id;
  const before = bot.emu.messagesTo(chatId).length;
  bot.emu.sendText(user, text, chat ? { chat } : {});
  return bot.emu.nextMessage(chatId, before);
}

/** Proves that nothing was answered to `text`: a later /whoami in the same chat is the next message. */
async function expectSilence(user: TgUser, text: string, options: Parameters<typeof bot.emu.sendText>[2] = {}) {
  const chatId = options.chat?.id ?? user.id;
  const before = bot.emu.messagesTo(chatId).length;
  bot.emu.sendText(user, text, options);
  bot.emu.sendText(user.id === STRANGER.id ? user : ADMIN, '/whoami', options.chat ? { chat: options.chat } : {});
  const next = await bot.emu.nextMessage(chatId, before);
  expect(next.text).toContain('Your id:');
}

function buttons(msg: SentMessage): string[] {
  return (msg.reply_markup?.inline_keyboard ?? []).flat().map((b) => b.callback_data ?? '');
}

async function pressAndSettle(user: TgUser, msg: SentMessage, data: string) {
  const queryId = bot.emu.press(user, msg, data);
  await bot.emu.waitFor(() => bot.emu.answeredQueries.get(queryId), 5_000, 'answerCallbackQuery');
  return bot.emu.answeredQueries.get(queryId) as { text?: string; show_alert?: boolean };
}

beforeAll(async () => {
  const env = testDocker();
  docker = env.docker;
  await redis.start();
  await Promise.all(CONTAINERS.map((name) => runContainer(docker, env.image, name, name.endsWith('chat-web') ? { healthCmd: 'true' } : {})));
  const estate = testEstate({
    prefix: PREFIX,
    dockerSock: env.socket,
    overrides: { policy: { confirm_ttl: '3s', max_command_age: '60s', ...NO_RATE_LIMIT } },
    extend: (raw) => ({
      ...raw,
      docker_hosts: [...raw.docker_hosts, { name: 'dead', endpoint: 'unix:///tmp/mo-no-such-docker.sock' }],
      services: [...raw.services, { name: 'ghost', container: 'mana-ghost', category: 'web', host: 'dead' }],
    }),
  });
  store = new RedisStore({ url: redis.url });
  verify = new RedisStore({ url: redis.url });
  expect(await store.ready()).toBe(true);
  await verify.ready();
  bot = await startBot(estate, store, { guideWaitMs: 4_000 });
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await store?.close();
  await verify?.close();
  await redis.dispose();
  if (docker) await removeContainers(docker, CONTAINERS);
});

describe('the bot against the Bot API emulator, real Redis and real dockerd', () => {
  it('publishes each role its own command menu', () => {
    const menu = (scope: object) => bot.emu.commands.get(JSON.stringify(scope))?.map((c) => c.command);
    expect(menu({ type: 'default' })).toEqual(['whoami']);
    expect(menu({ type: 'chat', chat_id: ADMIN.id })).toEqual(expect.arrayContaining(['help', 'restart', 'audit']));
    expect(menu({ type: 'chat', chat_id: VIEWER.id })).not.toContain('restart');
    expect(menu({ type: 'chat_member', chat_id: OPS_GROUP.id, user_id: OPERATOR.id })).toContain('restart');
    const describe = (name: string) => bot.emu.commands.get(JSON.stringify({ type: 'chat', chat_id: ADMIN.id }))?.find((c) => c.command === name)?.description;
    expect(describe('tunnel')).toMatch(/\(viewer; repoint: admin, rollback: admin\)$/);
    expect(describe('restart')).toMatch(/\(operator\)$/);
  });

  it('admin /help lists the commands with usage, in HTML that Telegram accepts', async () => {
    const msg = await ask(ADMIN, '/help');
    expect(msg.parse_mode).toBe('HTML');
    expect(msg.text).toContain('<code>/restart &lt;service&gt; [more services]</code>');
    expect(msg.text).toContain('/audit');
  });

  it('escapes what the user typed: HTML in arguments reaches the chat as text', async () => {
    const msg = await ask(OPERATOR, '/restart <b>chat</b>&amp;');
    expect(msg.text).toContain('unknown service &quot;&lt;b&gt;chat&lt;/b&gt;&amp;amp;&quot;');
  });

  it('a viewer is told /restart needs the operator role, and nothing restarts', async () => {
    const before = await startedAt(`${PREFIX}-chat-web`);
    const msg = await ask(VIEWER, '/restart chat-web');
    expect(msg.text).toBe('/restart needs the operator role; you are viewer.');
    expect(await startedAt(`${PREFIX}-chat-web`)).toBe(before);
  });

  it('a stranger is ignored, but can learn their id with /whoami', async () => {
    await expectSilence(STRANGER, '/help');
    await expectSilence(STRANGER, '/restart chat-web');
    expect(bot.emu.messagesTo(STRANGER.id).map((m) => m.text).join('\n')).not.toMatch(/restart|help|Usage/);
  });

  it('anonymous group admins, forwarded and edited commands are ignored', async () => {
    const before = await startedAt(`${PREFIX}-chat-web`);
    const anon = { id: 1087968824, is_bot: true, first_name: 'Group', username: 'GroupAnonymousBot' };
    await expectSilence(anon, '/restart chat-web', { chat: OPS_GROUP, extra: { sender_chat: OPS_GROUP } });
    await expectSilence(ADMIN, '/restart chat-web', { extra: { forward_origin: { type: 'user', date: 1, sender_user: ADMIN } } });
    await expectSilence(ADMIN, '/restart chat-web', { kind: 'edited_message', extra: { edit_date: Math.floor(Date.now() / 1000) } });
    expect(await startedAt(`${PREFIX}-chat-web`)).toBe(before);
  });

  it('a command queued while the bot was away is skipped, not run', async () => {
    const before = await startedAt(`${PREFIX}-chat-web`);
    const chatId = OPERATOR.id;
    const n = bot.emu.messagesTo(chatId).length;
    bot.emu.sendText(OPERATOR, '/restart chat-web', { date: Math.floor(Date.now() / 1000) - 600 });
    const msg = await bot.emu.nextMessage(chatId, n);
    expect(msg.text).toMatch(/^Skipped \/restart: it was sent 10m( \d+s)? ago/);
    expect(await startedAt(`${PREFIX}-chat-web`)).toBe(before);
  });

  it('confirm restarts the real container once, edits the message, and audits to Redis', async () => {
    const before = await startedAt(`${PREFIX}-chat-web`);
    const prompt = await ask(OPERATOR, '/restart chat');
    expect(prompt.text).toContain(`Restart <b>chat-web</b> (<code>${PREFIX}-chat-web</code>, web)?`);
    const [confirm, cancel] = buttons(prompt);
    expect(confirm).toMatch(/^cf:[A-Za-z0-9_-]{16}$/);
    expect(cancel).toBe(`cx:${confirm!.slice(3)}`);
    expect(Buffer.byteLength(confirm!)).toBeLessThanOrEqual(64);
    expect(await verify.get(`mana-ops:confirm:${confirm!.slice(3)}`.replace('mana-ops:', ''))).toContain('"command":"restart"');

    const answer = await pressAndSettle(OPERATOR, prompt, confirm!);
    expect(answer.text).toBe('Confirmed: running…');
    await bot.emu.waitFor(() => /healthy after|still failing/.test(prompt.text), 20_000, 'the result edit');
    expect(prompt.text).toMatch(/✅ <b>chat-web<\/b> healthy after [\d.]+ m?s \(Docker healthcheck\)\./);
    expect(prompt.reply_markup).toBeUndefined();
    expect(await startedAt(`${PREFIX}-chat-web`)).not.toBe(before);
    expect(await verify.get(`confirm:${confirm!.slice(3)}`)).toBeNull();

    // Written behind the reply: the outcome's entry lands shortly after the edit.
    const results = async () => (await verify.tail('audit', 10)).filter((e) => e.fields.userId === String(OPERATOR.id)).map((e) => `${e.fields.action}:${e.fields.result}`);
    await expect.poll(results, { timeout: 5_000, interval: 20 }).toEqual(expect.arrayContaining(['restart:confirm_asked', 'confirm:restart:confirmed', 'confirm:restart:ok']));
  });

  it('a double press or a replayed nonce runs nothing more', async () => {
    const prompt = await ask(OPERATOR, '/restart chat-web');
    const [confirm] = buttons(prompt);
    await pressAndSettle(OPERATOR, prompt, confirm!);
    await bot.emu.waitFor(() => /healthy after|still failing/.test(prompt.text), 20_000, 'the result edit');
    const after = await startedAt(`${PREFIX}-chat-web`);
    const edits = prompt.edits;
    const second = await pressAndSettle(OPERATOR, prompt, confirm!);
    expect(second.text).toMatch(/^Already confirmed at .* UTC: nothing more was run\.$/);
    // Replayed on another message of the bot, as a forged client could.
    const other = await ask(OPERATOR, '/ping');
    const replay = await pressAndSettle(OPERATOR, other, confirm!);
    expect(replay.text).toMatch(/^Already confirmed/);
    expect(prompt.edits).toBe(edits);
    expect(await startedAt(`${PREFIX}-chat-web`)).toBe(after);
  });

  it('cancel runs nothing and says so', async () => {
    const before = await startedAt(`${PREFIX}-todo-web`);
    const prompt = await ask(OPERATOR, '/restart todo-web');
    const [, cancel] = buttons(prompt);
    expect((await pressAndSettle(OPERATOR, prompt, cancel!)).text).toBe('Cancelled.');
    await bot.emu.waitFor(() => prompt.text.startsWith('Cancelled'), 5_000, 'the cancel edit');
    expect(prompt.text).toBe('Cancelled: <code>/restart todo-web</code>. Nothing was run.');
    expect(prompt.reply_markup).toBeUndefined();
    expect(await startedAt(`${PREFIX}-todo-web`)).toBe(before);
  });

  it("another user's press gets 'not yours' and changes nothing", async () => {
    const before = await startedAt(`${PREFIX}-todo-web`);
    const prompt = await ask(OPERATOR, '/restart todo-web', OPS_GROUP);
    const [confirm] = buttons(prompt);
    const popup = await pressAndSettle(ADMIN, prompt, confirm!);
    expect(popup).toMatchObject({ text: 'Not yours: only the person who asked can confirm this.', show_alert: true });
    expect(prompt.edits).toBe(0);
    expect(buttons(prompt)).toHaveLength(2);
    const stranger = await pressAndSettle(STRANGER, prompt, confirm!);
    expect(stranger.text).toBe('Not allowed.');
    expect(await startedAt(`${PREFIX}-todo-web`)).toBe(before);
  });

  it('an expired confirmation runs nothing and the message says so', async () => {
    const before = await startedAt(`${PREFIX}-todo-web`);
    const prompt = await ask(OPERATOR, '/restart todo-web');
    const confirm = buttons(prompt)[0]!;
    // Left unpressed, it says so when its time is up and loses the buttons that no longer work.
    await bot.emu.waitFor(() => prompt.text.startsWith('This confirmation expired'), 10_000, 'the expiry edit');
    expect(prompt.text).toBe('This confirmation expired or is unknown. Nothing was run; send the command again.');
    expect(prompt.reply_markup).toBeUndefined();
    // A press from an old copy of the message still runs nothing.
    const popup = await pressAndSettle(OPERATOR, { ...prompt, reply_markup: { inline_keyboard: [[{ text: '✅ Confirm', callback_data: confirm }]] } }, confirm);
    expect(popup.text).toBe('Expired: nothing was run.');
    expect(await startedAt(`${PREFIX}-todo-web`)).toBe(before);
  });

  it('a forged button is refused', async () => {
    const msg = await ask(ADMIN, '/ping');
    expect((await pressAndSettle(ADMIN, msg, 'rm -rf /')).text).toBe('This button is not known to me.');
    expect((await pressAndSettle(ADMIN, msg, 'cf:../../../../etc/passwd')).text).toBe('Expired: nothing was run.');
  });

  it('a forged nonce pressed on a real pending confirmation gets a popup and leaves its keyboard', async () => {
    const before = await startedAt(`${PREFIX}-todo-web`);
    const prompt = await ask(OPERATOR, '/restart todo-web');
    const forged = await pressAndSettle(OPERATOR, prompt, 'cf:0123456789abcdef');
    expect(forged).toMatchObject({ text: 'Expired: nothing was run.', show_alert: true });
    expect(prompt.edits).toBe(0);
    expect(buttons(prompt)).toHaveLength(2);
    const [, cancel] = buttons(prompt);
    expect((await pressAndSettle(OPERATOR, prompt, cancel!)).text).toBe('Cancelled.');
    expect(await startedAt(`${PREFIX}-todo-web`)).toBe(before);
  });

  it('forwarded the old way, through an inline bot, from a bot, or dated in the future: not run', async () => {
    const before = await startedAt(`${PREFIX}-todo-web`);
    const now = Math.floor(Date.now() / 1000);
    const cases: Record<string, unknown>[] = [
      { forward_from: { id: ADMIN.id, is_bot: false, first_name: 'Ada' }, forward_date: now },
      { forward_from_chat: { id: OPS_GROUP.id, type: 'supergroup', title: 'ops' }, forward_date: now },
      { forward_sender_name: 'Ada', forward_date: now },
      { via_bot: { id: 42, is_bot: true, first_name: 'inline', username: 'someinlinebot' } },
    ];
    for (const extra of cases) bot.emu.sendText(ADMIN, '/restart todo-web', { extra });
    bot.emu.sendText({ ...ADMIN, is_bot: true }, '/restart todo-web');
    const n = bot.emu.messagesTo(ADMIN.id).length;
    bot.emu.sendText(ADMIN, '/restart todo-web', { date: now + 3_600 });
    const future = await bot.emu.nextMessage(ADMIN.id, n);
    expect(future.text).toMatch(/^Skipped \/restart: its date is (59m \d+s|1h) ahead of my clock\./);
    expect(future.reply_markup).toBeUndefined();
    const pong = await ask(ADMIN, '/ping');
    expect(bot.emu.messagesTo(ADMIN.id).slice(n)).toEqual([future, pong]);
    expect(await startedAt(`${PREFIX}-todo-web`)).toBe(before);
  });

  it('Docker down: the admin is told what failed and what to check, with a reference', async () => {
    const prompt = await ask(ADMIN, '/restart ghost');
    await pressAndSettle(ADMIN, prompt, buttons(prompt)[0]!);
    await bot.emu.waitFor(() => prompt.text.includes('Failed'), 10_000, 'the failure edit');
    expect(prompt.text).toContain('Docker unreachable at unix:///tmp/mo-no-such-docker.sock');
    expect(prompt.text).toContain('Next: check that Colima/dockerd runs');
    expect(prompt.text).toMatch(/ref [0-9a-f]{8}/);
  });

  it('a 429 from Telegram is waited out and the reply still arrives', async () => {
    bot.emu.failNext('sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 1', retry_after: 1 });
    const sends = () => bot.emu.calls.filter((c) => c.method === 'sendMessage' && Number(c.params.chat_id) === ADMIN.id).length;
    const before = sends();
    const limited = bot.emu.limited;
    const msg = await ask(ADMIN, '/ping');
    expect(msg.text).toMatch(/^pong/);
    // The emulator refuses the chat until the retry_after is over, as Telegram does: one refusal, one send, no retry too early.
    expect(sends() - before).toBe(2);
    expect(bot.emu.limited).toBe(limited);
  });

  it('a Telegram 500 is retried with backoff; a refused send is dropped and the bot goes on', async () => {
    bot.emu.failNext('sendMessage', { error_code: 500, description: 'Internal Server Error' });
    const tries = bot.emu.calls.filter((c) => c.method === 'sendMessage').length;
    const retried = await ask(ADMIN, '/ping');
    expect(retried.text).toMatch(/^pong/);
    expect(bot.emu.calls.filter((c) => c.method === 'sendMessage').length - tries).toBe(2); // the 500, then the reply
    bot.emu.failNext('sendMessage', { error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    const sends = bot.emu.calls.filter((c) => c.method === 'sendMessage').length;
    const before = bot.emu.messagesTo(ADMIN.id).length;
    bot.emu.sendText(ADMIN, '/ping');
    await bot.emu.waitFor(() => bot.emu.calls.filter((c) => c.method === 'sendMessage').length > sends, 5_000, 'the refused send');
    const msg = await ask(ADMIN, '/whoami');
    expect(msg.text).toContain(`Your id: <code>${ADMIN.id}</code>`);
    expect(bot.emu.messagesTo(ADMIN.id).length).toBe(before + 1);
  });

  describe('guided input on the phone', () => {
    const labels = (msg: SentMessage) => (msg.reply_markup?.inline_keyboard ?? []).flat().map((b) => b.text);
    const data = (msg: SentMessage, label: string) =>
      (msg.reply_markup?.inline_keyboard ?? []).flat().find((b) => b.text.startsWith(label))?.callback_data ?? `missing ${label}`;

    it('/restart without a service is picked by buttons and ends in the same confirmation', async () => {
      const before = await startedAt(`${PREFIX}-chat-web`);
      const question = await ask(OPERATOR, '/restart');
      await bot.emu.waitFor(() => labels(question).length > 0 && question, 5_000, 'category buttons');
      // Operators are offered neither infra (admin only) nor services marked not restartable.
      expect(labels(question)).toEqual(['backend (1)', 'web (3)', '✖️ Cancel']);
      await pressAndSettle(OPERATOR, question, data(question, 'web'));
      await bot.emu.waitFor(() => labels(question).includes('chat-web'), 5_000, 'service buttons');
      expect(labels(question)).toEqual(['chat-web', 'todo-web', 'ghost', '⬅️ Back', '✖️ Cancel']);
      const n = bot.emu.messagesTo(OPERATOR.id).length;
      await pressAndSettle(OPERATOR, question, data(question, 'chat-web'));
      const confirmation = await bot.emu.nextMessage(OPERATOR.id, n);
      expect(question.text).toBe('→ <code>/restart services=chat-web</code>');
      expect(confirmation.text).toContain('Restart <b>chat-web</b>');
      await pressAndSettle(OPERATOR, confirmation, buttons(confirmation)[0]!);
      await bot.emu.waitFor(() => /healthy after|still failing/.test(confirmation.text), 20_000, 'the result edit');
      expect(await startedAt(`${PREFIX}-chat-web`)).not.toBe(before);
      await expect.poll(() => verify.get(`conv:${OPERATOR.id}:${OPERATOR.id}`)).toBeNull();
    });

    it('/cancel leaves the question and runs nothing; Back returns to the categories', async () => {
      const question = await ask(OPERATOR, '/restart');
      await bot.emu.waitFor(() => labels(question).length > 0, 5_000, 'category buttons');
      // The question's state is in Redis, so it survives a restart of the bot.
      await expect.poll(() => verify.get(`conv:${OPERATOR.id}:${OPERATOR.id}`)).toContain('"version"');
      await pressAndSettle(OPERATOR, question, data(question, 'backend'));
      await bot.emu.waitFor(() => labels(question).includes('chat-backend'), 5_000, 'service buttons');
      await pressAndSettle(OPERATOR, question, data(question, '⬅️ Back'));
      await bot.emu.waitFor(() => labels(question).includes('web (3)'), 5_000, 'categories again');
      bot.emu.sendText(OPERATOR, '/cancel');
      await bot.emu.waitFor(() => question.text.startsWith('Cancelled'), 5_000, 'the cancel edit');
      expect(question.text).toBe('Cancelled: /restart. Nothing was run.');
      const msg = await ask(OPERATOR, '/ping');
      expect(msg.text).toMatch(/^pong/);
    });

    it('another command leaves the question and is answered as usual', async () => {
      const question = await ask(OPERATOR, '/restart');
      await bot.emu.waitFor(() => labels(question).length > 0, 5_000, 'category buttons');
      const msg = await ask(OPERATOR, '/whoami');
      expect(msg.text).toContain(`Your id: <code>${OPERATOR.id}</code>`);
      const late = await pressAndSettle(OPERATOR, question, data(question, 'web'));
      expect(late.text).toBe('This question has expired or is not yours.');
    });

    it('in a group with privacy mode on, a custom value is asked with force_reply and taken as the reply to it', async () => {
      const group = { id: OPS_GROUP.id, type: 'supergroup' as const, title: 'ops' };
      const question = await ask(OPERATOR, '/silence', group);
      await bot.emu.waitFor(() => labels(question).length > 0, 5_000, 'category buttons');
      await pressAndSettle(OPERATOR, question, data(question, 'web'));
      await bot.emu.waitFor(() => labels(question).includes('chat-web'), 5_000, 'service buttons');
      await pressAndSettle(OPERATOR, question, data(question, 'chat-web'));
      await bot.emu.waitFor(() => labels(question).includes('custom…'), 5_000, 'duration buttons');
      const n = bot.emu.messagesTo(OPS_GROUP.id).length;
      await pressAndSettle(OPERATOR, question, data(question, 'custom…'));
      const prompt = await bot.emu.nextMessage(OPS_GROUP.id, n);
      expect(prompt.reply_markup).toMatchObject({ force_reply: true, selective: true });
      expect(prompt.reply_to).toBeDefined(); // aimed at the operator's /silence, so only their phone opens the reply
      // Plain text in the group never reaches a bot in privacy mode; the reply to its prompt does.
      bot.emu.sendText(OPERATOR, '90m', { chat: group });
      const m = bot.emu.messagesTo(OPS_GROUP.id).length;
      bot.emu.replyTo(OPERATOR, prompt, '2h');
      const done = await bot.emu.nextMessage(OPS_GROUP.id, m);
      expect(done.text).toContain('🔕 <b>chat-web</b> silenced for 2h');
      expect(question.text).toBe('→ <code>/silence target=chat-web duration=2h</code>');
      await ask(OPERATOR, '/unsilence chat-web', group);
    });

    it('a viewer is not guided into a command they may not run; a question times out quietly', async () => {
      expect((await ask(VIEWER, '/restart')).text).toBe('/restart needs the operator role; you are viewer.');
      const question = await ask(ADMIN, '/restart');
      await bot.emu.waitFor(() => labels(question).length > 0, 5_000, 'category buttons');
      expect(labels(question)).toContain('infra (1)');
      const infra = data(question, 'infra');
      // Its wait over, the question says so in the chat, and loses the buttons that no longer work.
      await bot.emu.waitFor(() => question.text.startsWith('⌛'), 15_000, 'the question marked expired');
      expect(question.text).toBe('⌛ This question waited 4.0 s for an answer and has expired: send /restart again.');
      expect(question.reply_markup).toBeUndefined();
      const late = await pressAndSettle(ADMIN, question, infra);
      expect(late.text).toBe('This question has expired or is not yours.');
      expect(bot.emu.messagesTo(ADMIN.id).at(-1)).toBe(question);
    });
  });

  it('/audit shows the admin what happened', async () => {
    const msg = await ask(ADMIN, '/audit 50');
    expect(msg.text).toContain('audit entries');
    expect(msg.text).toContain('otto');
    expect(msg.text).toMatch(/confirm:restart \/restart chat(-web)?<\/code> → ok/);
  });

  it('Redis down: read-only commands answer, actions are refused; back when Redis is', async () => {
    await redis.stop();
    try {
      const ping = await ask(VIEWER, '/ping');
      expect(ping.text).toContain('state store: redis UNREACHABLE');
      const before = await startedAt(`${PREFIX}-chat-web`);
      const refused = await ask(OPERATOR, '/restart chat-web');
      expect(refused.text).toContain('State store unavailable');
      expect(buttons(refused)).toEqual([]);
      expect(await startedAt(`${PREFIX}-chat-web`)).toBe(before);
    } finally {
      await redis.start(redis.port);
    }
    await expect.poll(() => store.ping().then(() => 'up', () => 'down'), { timeout: 10_000 }).toBe('up');
    const prompt = await ask(OPERATOR, '/restart chat-web');
    expect(buttons(prompt)).toHaveLength(2);
  });
});
