import { conversations, createConversation, type ConversationData, type ConversationFlavor } from '@grammyjs/conversations';
import { run, sequentialize, type RunnerHandle } from '@grammyjs/runner';
import { Api, Bot, GrammyError, HttpError, InlineKeyboard, InputFile, type Context } from 'grammy';
import type { BotCommand, Update } from 'grammy/types';
import { sameSecret } from './secrets';
import { isUnreachable } from './call-policy';
import { createTelegramLink, type TelegramLink } from './telegram-link';
import type { App } from '../app';
import { EDIT_PREFIX, SEND_PREFIX } from '../commands/buttons';
import type { Button, CommandSpec, Document, Outcome, Photo, PressOutcome } from '../commands/types';
import { EXPIRED_CONFIRMATION } from '../commands/dispatcher';
import { pacedProgress, progressGapMs } from './paced-progress';
import { html, htmlToPlain, type Html } from '../util/html';
import { CAPTION_LIMIT, fitHtml, MESSAGE_LIMIT } from '../util/telegram-text';
import type { Logger } from '../util/logger';
import { conversationStorage } from './conversation-storage';
import { envelopeOf, envelopeOfPress } from './envelope';
import type { Envelope } from '../auth/gate';
import { Expiries, EXPIRY_GRACE_MS } from './expiries';
import { createGuide, GUIDE_ID, GUIDE_PREFIX } from './guide';

type BotContext = ConversationFlavor<Context>;

export interface TelegramOptions {
  token: string;
  /** Another Bot API server: a self-hosted one, or the emulator in tests. */
  apiRoot?: string;
  app: App;
  log: Logger;
  /** Whether Telegram answers and the one call policy (made here when not given). */
  link?: TelegramLink;
  /** Long-polling timeout in seconds (tests shorten it so stopping is quick). */
  pollTimeoutSeconds?: number;
  /** How long a guided question waits for an answer (default 5 minutes). */
  guideWaitMs?: number;
  /** Counts Telegram's errors by code. */
  onApiError?: (code: number) => void;
  /** Webhook mode instead of long polling: Telegram posts to `url` with `secret` in its header. */
  webhook?: { url: string; secret: string };
}

export interface TelegramFrontEnd {
  bot: Bot<BotContext>;
  link: TelegramLink;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Sets each user's command menu for their role (again after a reload changed the users). */
  publishCommands(): Promise<void>;
  /** In webhook mode: one delivery from Telegram, judged by its secret token; undefined in polling mode. */
  webhook?: (secretHeader: string | undefined, body: unknown) => Promise<number>;
}

const CONFIRM = 'cf:';
const CANCEL = 'cx:';

function keyboard(buttons: Button[][] | undefined): InlineKeyboard | undefined {
  if (!buttons?.length) return undefined;
  return InlineKeyboard.from(buttons.map((row) => row.map((b) => InlineKeyboard.text(b.text, b.data))));
}

/** A command still working after this long shows "typing…" until its reply. */
const TYPING_AFTER_MS = 1_000;
/** Telegram shows a chat action for about 5 s: renewed a little before. */
const TYPING_EVERY_MS = 4_500;

/** "typing…" in a chat from `afterMs` on, renewed until stop(); never an error of its own. */
function typingWhile(api: Api, chatId: number, afterMs: number): { stop: () => void } {
  const typing = () => void api.sendChatAction(chatId, 'typing').catch(() => undefined);
  let every: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    typing();
    every = setInterval(typing, TYPING_EVERY_MS);
  }, afterMs);
  return {
    stop: () => {
      clearTimeout(first);
      clearInterval(every);
    },
  };
}

/** The text as Telegram will take it: fitted after entity parsing, between lines, tags closed. */
const fitted = (value: Html) => fitHtml(value, MESSAGE_LIMIT, '… (cut: the whole reply follows as a file)');

/** A reply too long for one message also comes whole, as a text file, so nothing is lost in the cut. */
function overflowDocument(value: Html): Document {
  return { filename: 'reply.txt', content: `${htmlToPlain(value)}\n`, caption: 'The whole reply' };
}

/** The Telegram front-end: grammY with the runner, one handler for commands, one for Confirm/Cancel. */
export function createTelegramFrontEnd(options: TelegramOptions): TelegramFrontEnd {
  const { app, log } = options;
  const { dispatcher } = app;
  const pollSeconds = options.pollTimeoutSeconds ?? 30;
  // A long poll that hangs is given up a little after Telegram should have answered it.
  const bot = new Bot<BotContext>(options.token, { client: { ...(options.apiRoot && { apiRoot: options.apiRoot }), timeoutSeconds: pollSeconds + 15 } });
  const link = options.link ?? createTelegramLink({ token: options.token, ...(options.apiRoot && { apiRoot: options.apiRoot }), log, ...(options.onApiError && { onApiError: options.onApiError }) });
  link.applyToBot(bot.api);
  const inFlight = new Set<Promise<unknown>>();
  let handle: RunnerHandle | undefined;
  /** Work that outlives its update's handler (a confirmed action): tracked so stop() waits for it. */
  const detach = (work: Promise<unknown>) => {
    const task = work.catch((err: unknown) => {
      const detail = err instanceof GrammyError ? `${err.method}: ${err.description}` : (err as Error)?.message ?? String(err);
      log.error({ err: detail }, 'action failed after it started');
    });
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  };

  bot.use(async (ctx, next) => {
    const task = next();
    inFlight.add(task);
    try {
      await task;
    } finally {
      inFlight.delete(task);
    }
  });
  bot.use(sequentialize((ctx: BotContext) => ctx.chat?.id.toString()));

  // A confirmation nobody pressed says so when its time is up, instead of showing buttons that no longer work.
  const unpressed = new Expiries();
  const send = async (api: Api, chatId: number, outcome: Outcome, replyTo?: number) => {
    if (outcome.kind === 'silent') return;
    const markup =
      outcome.kind === 'confirm'
        ? new InlineKeyboard().text('✅ Confirm', CONFIRM + outcome.nonce).text('✖️ Cancel', CANCEL + outcome.nonce)
        : keyboard('buttons' in outcome ? outcome.buttons : undefined);
    const photo = 'photo' in outcome ? outcome.photo : undefined;
    if (photo) {
      // One message on the phone: the picture with the reply as its caption, where the caption limit takes it.
      const caption = fitHtml(outcome.html, CAPTION_LIMIT);
      if (!caption.cut) {
        await sendPhoto(api, chatId, photo, {
          caption: caption.html.value,
          parse_mode: 'HTML',
          ...(markup && { reply_markup: markup }),
          ...(replyTo !== undefined && { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } }),
        });
        return;
      }
    }
    const text = fitted(outcome.html);
    const sent = await api.sendMessage(chatId, text.html.value, {
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
      ...(markup && { reply_markup: markup }),
      ...(replyTo !== undefined && { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } }),
    });
    if (outcome.kind === 'confirm') unpressed.arm(outcome.nonce, outcome.expiresAt - Date.now() + EXPIRY_GRACE_MS, () => void api.editMessageText(chatId, sent.message_id, EXPIRED_CONFIRMATION.value, { parse_mode: 'HTML' }).catch(() => undefined));
    if (photo) await sendPhoto(api, chatId, photo);
    const doc = 'document' in outcome && outcome.document ? outcome.document : text.cut ? overflowDocument(outcome.html) : undefined;
    if (doc) {
      await api.sendDocument(chatId, new InputFile(Buffer.from(doc.content, 'utf8'), doc.filename), {
        ...(doc.caption && { caption: doc.caption.slice(0, CAPTION_LIMIT) }),
      });
    }
  };

  /** A picture; on its own (no options), captioned with what it shows. */
  const sendPhoto = (api: Api, chatId: number, photo: Photo, options: Parameters<Api['sendPhoto']>[2] = { caption: photo.alt.slice(0, CAPTION_LIMIT) }) =>
    api.sendPhoto(chatId, new InputFile(photo.png, photo.filename), options);

  /** A document after a message that was edited in place: a line naming it, then the file. */
  const sendDocument = (api: Api, chatId: number, doc: Document) => send(api, chatId, { kind: 'reply', html: html`${doc.caption ?? doc.filename}`, document: doc });

  /** Edits a message in place; "not modified" (a Refresh that found nothing new) is not an error. */
  const edit = async (api: Api, chatId: number, messageId: number, outcome: Extract<Outcome, { html: unknown }>): Promise<boolean> => {
    const text = fitted(outcome.html);
    try {
      await api.editMessageText(chatId, messageId, text.html.value, {
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
        ...('buttons' in outcome && outcome.buttons && { reply_markup: keyboard(outcome.buttons) }),
      });
    } catch (err) {
      if (!(err instanceof GrammyError && /message is not modified/.test(err.description))) throw err;
    }
    return text.cut;
  };

  const { guide, close: closeGuide } = createGuide({
    app,
    waitMs: options.guideWaitMs ?? 5 * 60_000,
    expire: (chatId, messageId, text) => bot.api.editMessageText(chatId, messageId, text, { parse_mode: 'HTML' }).then(() => undefined),
    runLine: async (chatId, userId, chatType, line) => {
      const envelope = { userId, chatId, chatType, sentAt: Date.now(), forwarded: false, edited: false };
      await send(bot.api, chatId, await dispatcher.handleText(envelope, line));
    },
  });
  const storage = conversationStorage<ConversationData>(app.store, log);
  const storageKey = (ctx: Context) => (ctx.chatId !== undefined && ctx.from ? `${ctx.chatId}:${ctx.from.id}` : undefined);
  // The conversations plugin reads its state on every update it sees: it sees only those that can be part of one,
  // a guided question waiting for this chat and user, or a command about to ask one.
  // Whether a command asks its missing arguments: judged once per update, here or in onCommand, whichever asks first.
  const guided = new WeakMap<Context, ReturnType<typeof dispatcher.guidance>>();
  const guidanceOf = (ctx: Context, envelope: Envelope, text: string) => {
    if (!guided.has(ctx)) guided.set(ctx, envelope.edited ? undefined : dispatcher.guidance(envelope, text));
    return guided.get(ctx);
  };
  const mayConverse = (ctx: BotContext) => {
    const key = storageKey(ctx);
    if (key === undefined) return false;
    if (storage.mayBeActive(key)) return true;
    const text = ctx.msg?.text;
    const envelope = text?.startsWith('/') ? envelopeOf(ctx) : undefined;
    return !!(envelope && text && guidanceOf(ctx, envelope, text));
  };
  bot.filter(
    mayConverse,
    conversations<BotContext, Context>({ storage: { type: 'key', version: 1, adapter: storage, getStorageKey: storageKey } }),
    createConversation(guide, { id: GUIDE_ID, maxMillisecondsToWait: options.guideWaitMs ?? 5 * 60_000 }),
  );

  const onCommand = async (ctx: BotContext) => {
    const envelope = envelopeOf(ctx);
    const text = ctx.msg?.text;
    if (!envelope || text === undefined || !text.startsWith('/')) return;
    const guidance = guidanceOf(ctx, envelope, text);
    if (guidance && ctx.conversation) {
      try {
        await ctx.conversation.enter(GUIDE_ID, guidance.command, guidance.rest, guidance.missing);
        return;
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'guided input unavailable; answering with the usage instead');
      }
    }
    const typing = typingWhile(ctx.api, envelope.chatId, TYPING_AFTER_MS);
    let outcome: Outcome;
    try {
      outcome = await dispatcher.handleText(envelope, text);
    } finally {
      typing.stop();
    }
    await send(ctx.api, envelope.chatId, outcome, ctx.msg?.message_id);
  };
  bot.on(['message:text', 'edited_message:text', 'channel_post:text', 'edited_channel_post:text'], onCommand);

  bot.on('callback_query:data', async (ctx) => {
    const data = ctx.callbackQuery.data;
    const envelope = envelopeOfPress(ctx, Date.now());
    const decision = data.startsWith(CONFIRM) ? 'confirm' : data.startsWith(CANCEL) ? 'cancel' : undefined;
    if (envelope && (data.startsWith(EDIT_PREFIX) || data.startsWith(SEND_PREFIX))) {
      // A command button runs through the same pipeline as typed text: same roles, rate limit, confirmations.
      await ctx.answerCallbackQuery();
      const typing = typingWhile(ctx.api, envelope.chatId, TYPING_AFTER_MS);
      const outcome = await dispatcher.handleText(envelope, data.slice(2)).finally(() => typing.stop());
      const messageId = ctx.callbackQuery.message?.message_id;
      if (data.startsWith(EDIT_PREFIX) && outcome.kind === 'reply' && !outcome.document && !outcome.photo && messageId !== undefined) {
        if (await edit(ctx.api, envelope.chatId, messageId, outcome)) await sendDocument(ctx.api, envelope.chatId, overflowDocument(outcome.html));
      } else await send(ctx.api, envelope.chatId, outcome);
      return;
    }
    if (data.startsWith(GUIDE_PREFIX)) {
      await ctx.answerCallbackQuery({ text: 'This question has expired or is not yours.' });
      return;
    }
    if (!envelope || !decision) {
      await ctx.answerCallbackQuery({ text: 'This button is not known to me.' });
      return;
    }
    const press = await dispatcher.press(envelope, data.slice(3), decision);
    // A press whose data is not on the message it came from is forged: it may earn a popup, never an edit that
    // would strip the keyboard from a real pending confirmation.
    const message = ctx.callbackQuery.message;
    const onMessage = (message && 'reply_markup' in message ? (message.reply_markup?.inline_keyboard ?? []) : []).flat().some((b) => 'callback_data' in b && b.callback_data === data);
    if (!onMessage && press.kind !== 'run') {
      await ctx.answerCallbackQuery({ text: press.popup, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery({ text: press.popup, show_alert: press.kind === 'popup' });
    if (press.kind === 'popup') return;
    unpressed.disarm(data.slice(3));
    if (press.kind === 'final') {
      // "Not modified" (the message already says it expired) is no error.
      const pressedOn = ctx.callbackQuery.message?.message_id;
      if (pressedOn !== undefined) await edit(ctx.api, envelope.chatId, pressedOn, { kind: 'reply', html: press.html });
      return;
    }
    await ctx.editMessageText(fitted(press.progress).html.value, { parse_mode: 'HTML' });
    const chatId = envelope.chatId;
    const messageId = ctx.callbackQuery.message?.message_id;
    // The action runs outside the chat's queue: ordering applies to starting it, so the chat keeps answering
    // while it runs. stop() still waits for it.
    detach(runAction(ctx.api, chatId, messageId, press.execute));
  });

  /** A confirmed action: "typing…" while it runs, paced progress edits, then the result in the same message. */
  const runAction = async (api: Api, chatId: number, messageId: number | undefined, execute: Extract<PressOutcome, { kind: 'run' }>['execute']) => {
    const typing = typingWhile(api, chatId, 0);
    const progress = pacedProgress(
      (h) => (messageId === undefined ? Promise.resolve() : edit(api, chatId, messageId, { kind: 'reply', html: h }).then(() => undefined)),
      progressGapMs(chatId),
      (err) => log.warn({ err: (err as Error).message }, 'progress edit not delivered'),
    );
    try {
      const result = await execute((h) => progress.push(h));
      await progress.close();
      if (result.kind === 'silent' || result.kind === 'confirm') return;
      const cut = messageId !== undefined ? await edit(api, chatId, messageId, result) : true;
      if (result.photo) await sendPhoto(api, chatId, result.photo);
      const doc = result.document ?? (cut ? overflowDocument(result.html) : undefined);
      if (doc) await sendDocument(api, chatId, doc);
    } finally {
      typing.stop();
    }
  };

  bot.catch((err) => {
    const e = err.error;
    const detail = e instanceof GrammyError ? `${e.method}: ${e.description}` : e instanceof HttpError ? e.message : String(e);
    if (isUnreachable(e)) log.warn({ updateId: err.ctx.update.update_id, err: detail }, 'reply dropped: Telegram did not take it within its deadline');
    else log.error({ updateId: err.ctx.update.update_id, err: detail }, 'update handler failed');
  });

  /** Each user's phone menu shows what their role may run; strangers see only /whoami. */
  const publishCommands = async () => {
    // Each entry says who may run it, and which of its sub-commands need more.
    const asMenu = (specs: readonly CommandSpec[]): BotCommand[] =>
      specs.map((s) => {
        const subs = (s.subcommands ?? []).filter((sub) => sub.role !== s.role).map((sub) => `${sub.name}: ${sub.role}`);
        const roles = s.role === 'anyone' ? '' : ` (${s.role}${subs.length ? `; ${subs.join(', ')}` : ''})`;
        return { command: s.name, description: `${s.summary.slice(0, 256 - roles.length)}${roles}` };
      });
    const everyone = asMenu(app.registry.all().filter((s) => s.role === 'anyone'));
    const calls: Promise<unknown>[] = [bot.api.setMyCommands(everyone, { scope: { type: 'default' } })];
    for (const user of app.catalog.estate.users) {
      const menu = asMenu(app.registry.allowedFor(user.role));
      calls.push(bot.api.setMyCommands(menu, { scope: { type: 'chat', chat_id: user.id } }));
      for (const group of app.catalog.estate.chats.commands) {
        const groupMenu = asMenu(app.registry.allowedFor(user.role).filter((s) => s.scope !== 'private'));
        calls.push(bot.api.setMyCommands(groupMenu, { scope: { type: 'chat_member', chat_id: group, user_id: user.id } }));
      }
    }
    const results = await Promise.allSettled(calls);
    const failed = results.filter((r) => r.status === 'rejected').length;
    if (failed) log.warn({ failed, total: calls.length }, 'some command menus were not published');
  };

  const ALLOWED: ('message' | 'edited_message' | 'channel_post' | 'edited_channel_post' | 'callback_query')[] = ['message', 'edited_message', 'channel_post', 'edited_channel_post', 'callback_query'];
  const hook = options.webhook;
  const webhook = hook
    ? async (secretHeader: string | undefined, body: unknown): Promise<number> => {
        if (!sameSecret(secretHeader ?? '', hook.secret)) return 401;
        const update = body as Update;
        if (typeof update?.update_id !== 'number') return 400;
        // Telegram redelivers what it thinks was not received: an update id runs once.
        const first = await app.store.setIfAbsent(`update:${update.update_id}`, '1', 24 * 3_600_000).catch(() => true);
        if (!first) return 200;
        // Answer at once and work in the background (a restart takes longer than Telegram waits); the
        // middleware keeps per-chat order and stop() waits for it.
        void bot.handleUpdate(update).catch((err: unknown) => log.error({ err: (err as Error).message }, 'webhook update failed'));
        return 200;
      }
    : undefined;

  return {
    bot,
    link,
    publishCommands,
    ...(webhook && { webhook }),
    async start() {
      await storage.prime().catch((err: Error) => log.warn({ err: err.message }, 'guided questions of the last run not resumed: state store unavailable'));
      await bot.init();
      dispatcher.botUsername = bot.botInfo.username;
      await publishCommands();
      if (hook) {
        await bot.api.setWebhook(hook.url, { secret_token: hook.secret, allowed_updates: ALLOWED, drop_pending_updates: false });
        log.info({ username: bot.botInfo.username, url: hook.url }, 'receiving Telegram by webhook');
        return;
      }
      handle = run(bot, {
        runner: {
          fetch: {
            timeout: pollSeconds,
            allowed_updates: ALLOWED,
          },
          // A steady second between failed polls (not the runner's doubling), so commands answer again as soon
          // as Telegram is back, and for as long as it takes.
          retryInterval: 1_000,
          maxRetryTime: Number.MAX_SAFE_INTEGER,
          silent: true,
        },
      });
      log.info({ username: bot.botInfo.username }, 'polling Telegram');
    },
    async stop() {
      // Replies still trying to reach an absent Telegram give up now: stopping waits for nothing that cannot come.
      link.close();
      closeGuide();
      unpressed.clear();
      if (handle?.isRunning()) await handle.stop();
      await Promise.allSettled([...inFlight]);
    },
  };
}
