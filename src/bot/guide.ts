import type { Conversation } from '@grammyjs/conversations';
import { InlineKeyboard, type Context } from 'grammy';
import type { App } from '../app';
import type { KnownUser } from '../config/catalog';
import type { ArgGuide, ParamSpec } from '../commands/types';
import { completedLine, offeredServices } from '../commands/guided';
import { formatDuration, parseDuration } from '../util/duration';
import { Expiries, EXPIRY_GRACE_MS } from './expiries';
import { escapeHtml } from '../util/html';

/**
 * Guided input for the phone: a command sent without its required arguments asks for each one with
 * buttons built from the command's own params, then runs the completed line through the dispatcher,
 * so it ends in the same confirmation as the typed command. Side effects (the dispatch) run in
 * `conversation.external`, never again on replay.
 */

export const GUIDE_ID = 'guide';
export const GUIDE_PREFIX = 'g:';
const CANCEL = 'x';
const CUSTOM = 'c';
const BACK = 'b';

type Convo = Conversation<Context, Context>;
type Answer = { pick: string } | { text: string } | { cancelled: true };

export interface GuideDeps {
  app: App;
  /** Runs a finished command line as if the user had typed it, and shows the outcome in the chat. */
  runLine: (chatId: number, userId: number, chatType: 'private' | 'group' | 'supergroup' | 'channel', line: string) => Promise<void>;
  /** How long one question waits for an answer before the conversation ends. */
  waitMs: number;
  /** Replaces a question that waited in vain (its buttons no longer work) with a line saying so. */
  expire: (chatId: number, messageId: number, html: string) => Promise<void>;
}

/** A question's expiry: armed when it starts waiting, disarmed by an answer. Run in `external`, so once, never on replay. */
interface Watch {
  arm: () => void;
  disarm: () => void;
}

function rows(buttons: [string, string][], perRow: number): InlineKeyboard {
  const kb = new InlineKeyboard();
  buttons.forEach(([label, data], i) => {
    kb.text(label, GUIDE_PREFIX + data);
    if ((i + 1) % perRow === 0) kb.row();
  });
  return kb;
}

/** Waits for a press on `messageId` or a text; other updates go to the rest of the bot. */
async function answer(conversation: Convo, messageId: number, waitMs: number, watch: Watch): Promise<Answer> {
  await conversation.external(() => watch.arm());
  const ctx = await conversation.wait({ maxMilliseconds: waitMs });
  const data = ctx.callbackQuery?.data;
  if (data !== undefined) {
    if (!data.startsWith(GUIDE_PREFIX) || ctx.callbackQuery?.message?.message_id !== messageId) {
      return conversation.skip({ next: true });
    }
    await conversation.external(() => watch.disarm());
    await ctx.answerCallbackQuery();
    const pick = data.slice(GUIDE_PREFIX.length);
    return pick === CANCEL ? { cancelled: true } : { pick };
  }
  const text = ctx.message?.text?.trim();
  if (text === undefined) return conversation.skip({ next: true });
  const cancel = /^\/cancel(@\w+)?$/i.test(text);
  // Another command: leave the question (marked expired when its wait ends) and let the bot handle the command.
  if (text.startsWith('/') && !cancel) return conversation.halt({ next: true });
  await conversation.external(() => watch.disarm());
  return cancel ? { cancelled: true } : { text };
}

/**
 * Asks for a typed value with force_reply, aimed at the user who started (selective, as a reply to their command):
 * with privacy mode on, a group's plain text reaches the bot only as a reply to one of its messages.
 */
async function askTyped(ctx: Context, text: string): Promise<void> {
  const started = ctx.message?.message_id;
  await ctx.reply(escapeHtml(text), {
    parse_mode: 'HTML',
    reply_markup: { force_reply: true, selective: true, input_field_placeholder: '90m' },
    ...(started !== undefined && { reply_parameters: { message_id: started, allow_sending_without_reply: true } }),
  });
}

export function createGuide(deps: GuideDeps) {
  const { app } = deps;
  const expiries = new Expiries();
  const watchOf = (chatId: number, messageId: number, command: string): Watch => {
    const key = `${chatId}:${messageId}`;
    const said = `⌛ This question waited ${formatDuration(deps.waitMs)} for an answer and has expired: send /${escapeHtml(command)} again.`;
    return {
      arm: () => expiries.arm(key, deps.waitMs + EXPIRY_GRACE_MS, () => void deps.expire(chatId, messageId, said).catch(() => undefined)),
      disarm: () => expiries.disarm(key),
    };
  };

  async function askService(conversation: Convo, ctx: Context, messageId: number, param: ParamSpec, guide: Extract<ArgGuide, { kind: 'service' }>, user: KnownUser, watch: Watch) {
    const { categories, inCategory: servicesIn } = offeredServices(app.catalog, guide, user);
    const chatId = ctx.chat?.id as number;
    for (;;) {
      const catButtons: [string, string][] = categories.map((c, i) => [`${c} (${servicesIn(c).length})`, String(i)]);
      await ctx.api.editMessageText(chatId, messageId, `${escapeHtml(param.prompt ?? `Pick ${param.name}`)}\nCategory:`, {
        parse_mode: 'HTML',
        reply_markup: rows([...catButtons, ['✖️ Cancel', CANCEL]], 3),
      });
      const cat = await answer(conversation, messageId, deps.waitMs, watch);
      if ('cancelled' in cat) return undefined;
      if (!('pick' in cat)) continue;
      const category = categories[Number(cat.pick)];
      if (!category) continue;
      const inCategory = servicesIn(category);
      await ctx.api.editMessageText(chatId, messageId, `${escapeHtml(param.prompt ?? `Pick ${param.name}`)}\nCategory ${escapeHtml(category)}:`, {
        parse_mode: 'HTML',
        reply_markup: rows([...inCategory.map((s, i): [string, string] => [s.name, String(i)]), ['⬅️ Back', BACK], ['✖️ Cancel', CANCEL]], 2),
      });
      const svc = await answer(conversation, messageId, deps.waitMs, watch);
      if ('cancelled' in svc) return undefined;
      if ('pick' in svc && svc.pick !== BACK) {
        const picked = inCategory[Number(svc.pick)];
        if (picked) return picked.name;
      }
    }
  }

  async function askChoice(conversation: Convo, ctx: Context, messageId: number, param: ParamSpec, options: string[], custom: boolean, watch: Watch) {
    const chatId = ctx.chat?.id as number;
    const buttons: [string, string][] = options.map((o, i) => [o, String(i)]);
    if (custom) buttons.push(['custom…', CUSTOM]);
    await ctx.api.editMessageText(chatId, messageId, escapeHtml(param.prompt ?? `Pick ${param.name}`), {
      parse_mode: 'HTML',
      reply_markup: rows([...buttons, ['✖️ Cancel', CANCEL]], 4),
    });
    for (;;) {
      const got = await answer(conversation, messageId, deps.waitMs, watch);
      if ('cancelled' in got) return undefined;
      if ('pick' in got && got.pick !== CUSTOM) {
        const value = options[Number(got.pick)];
        if (value) return value;
        continue;
      }
      if ('pick' in got) {
        await ctx.api.editMessageText(chatId, messageId, `${escapeHtml(param.prompt ?? param.name)}\nAnswer with the value, like 90m or 2h30m (or /cancel).`, { parse_mode: 'HTML' });
        await askTyped(ctx, `${param.prompt ?? param.name} Like 90m or 2h30m.`);
        continue;
      }
      if (!custom || parseDuration(got.text) !== undefined) return got.text;
      await askTyped(ctx, `"${got.text}" is not a duration: try 90m, 2h or 1d.`);
    }
  }

  /** The conversation itself: one question per missing parameter, then the completed command. */
  const guide = async function guide(conversation: Convo, ctx: Context, command: string, rest: string, missing: string[]) {
    const spec = app.registry.find(command);
    const user = app.catalog.user(ctx.from?.id ?? 0);
    const chat = ctx.chat;
    if (!spec || !user || !chat) return;
    const question = await ctx.reply(`/${escapeHtml(command)}: a few questions (or /cancel).`, { parse_mode: 'HTML' });
    const values: [string, string][] = [];
    for (const name of missing) {
      const param = spec.params?.find((p) => p.name === name);
      const guide = param?.guide;
      if (!param || !guide) return;
      let value: string | undefined;
      const watch = watchOf(chat.id, question.message_id, command);
      if (guide.kind === 'service') value = await askService(conversation, ctx, question.message_id, param, guide, user, watch);
      else if (guide.kind === 'duration') value = await askChoice(conversation, ctx, question.message_id, param, guide.presets, true, watch);
      else value = await askChoice(conversation, ctx, question.message_id, param, guide.options, false, watch);
      if (value === undefined) {
        await ctx.api.editMessageText(chat.id, question.message_id, `Cancelled: /${escapeHtml(command)}. Nothing was run.`, { parse_mode: 'HTML' });
        return;
      }
      values.push([name, value]);
    }
    const line = completedLine(command, rest, values);
    await ctx.api.editMessageText(chat.id, question.message_id, `→ <code>${escapeHtml(line)}</code>`, { parse_mode: 'HTML' });
    await conversation.external(() => deps.runLine(chat.id, user.id, chat.type, line));
  };
  return { guide, close: () => expiries.clear() };
}
