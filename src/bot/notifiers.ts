import type { Writable } from 'node:stream';
import { GrammyError, InlineKeyboard, type Api } from 'grammy';
import { OpsError, type Notifier } from '../ops/ports';
import { isUnreachable } from './call-policy';
import { htmlToPlain, type Html } from '../util/html';
import { fitHtml } from '../util/telegram-text';

type Buttons = { text: string; data: string }[][];

const markup = (buttons: Buttons | undefined) =>
  buttons?.length ? InlineKeyboard.from(buttons.map((row) => row.map((b) => InlineKeyboard.text(b.text, b.data)))) : undefined;

/** Telegram's limits: about one message a second per chat, and 20 a minute in a group. */
export interface Pacing {
  privateMs: number;
  groupMs: number;
}
export const TELEGRAM_PACING: Pacing = { privateMs: 1_000, groupMs: 3_000 };

/**
 * Alerts as Telegram messages, paced per chat and in order (one queue per chat), so a burst never runs
 * into 429s. Errors reach the caller, which retries: OpsError 'unreachable' when Telegram is away (network,
 * timeout, 5xx), 'failed' when it refused this call.
 */
export class TelegramNotifier implements Notifier {
  private readonly queues = new Map<number, Promise<unknown>>();
  private readonly last = new Map<number, number>();
  private waiting = 0;
  /** Groups that became supergroups: Telegram names the new id once, we follow it from then on. */
  private readonly moved = new Map<number, number>();

  constructor(
    private readonly api: Api,
    private readonly pacing: Pacing = TELEGRAM_PACING,
    private readonly onMigrate: (from: number, to: number) => void = () => {},
  ) {}

  /** Calls with the chat's current id; when Telegram says the group moved, remembers it and tries there. */
  private async followingMoves<T>(chatId: number, call: (chat: number) => Promise<T>): Promise<T> {
    const chat = this.moved.get(chatId) ?? chatId;
    try {
      return await call(chat);
    } catch (err) {
      const to = err instanceof GrammyError ? err.parameters.migrate_to_chat_id : undefined;
      if (to === undefined) throw asOpsError(err);
      this.moved.set(chatId, to);
      this.onMigrate(chatId, to);
      return call(to).catch((e: unknown) => {
        throw asOpsError(e);
      });
    }
  }

  /** Runs `call` after the calls queued before it for the same chat, and not sooner than the pacing allows. */
  private paced<T>(chatId: number, call: () => Promise<T>): Promise<T> {
    const gap = chatId < 0 ? this.pacing.groupMs : this.pacing.privateMs;
    this.waiting++;
    const run = async () => {
      const wait = (this.last.get(chatId) ?? 0) + gap - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      try {
        return await call();
      } finally {
        this.last.set(chatId, Date.now());
        this.waiting--;
      }
    };
    const next = (this.queues.get(chatId) ?? Promise.resolve()).then(run, run);
    this.queues.set(chatId, next.catch(() => undefined));
    return next;
  }

  /** Sends and edits queued, or waiting for their turn, across all chats. */
  get depth(): number {
    return this.waiting;
  }

  send(chatId: number, html: Html, buttons?: Buttons): Promise<number> {
    const m = markup(buttons);
    return this.paced(chatId, () =>
      this.followingMoves(chatId, async (chat) => {
        const msg = await this.api.sendMessage(chat, fitHtml(html).html.value, { parse_mode: 'HTML', link_preview_options: { is_disabled: true }, ...(m && { reply_markup: m }) });
        return msg.message_id;
      }),
    );
  }

  edit(chatId: number, messageId: number, html: Html, buttons?: Buttons): Promise<void> {
    const m = markup(buttons);
    return this.paced(chatId, () =>
      this.followingMoves(chatId, async (chat) => {
        try {
          await this.api.editMessageText(chat, messageId, fitHtml(html).html.value, { parse_mode: 'HTML', link_preview_options: { is_disabled: true }, ...(m && { reply_markup: m }) });
        } catch (err) {
          if (!/message is not modified/.test((err as Error).message)) throw err;
        }
      }),
    );
  }
}

function asOpsError(err: unknown): OpsError {
  const why = err instanceof GrammyError ? `${err.method}: ${err.description}` : (err as Error).message;
  return isUnreachable(err) ? new OpsError('unreachable', `Telegram did not answer (${why})`, undefined, { cause: err }) : new OpsError('failed', `Telegram refused it (${why})`, undefined, { cause: err });
}

/** Alerts printed by the console front-end. */
export class ConsoleNotifier implements Notifier {
  private next = 1;
  constructor(private readonly out: Writable) {}

  async send(chatId: number, html: Html): Promise<number> {
    this.out.write(`\n[alert to ${chatId}] ${htmlToPlain(html)}\n`);
    return this.next++;
  }

  async edit(chatId: number, messageId: number, html: Html): Promise<void> {
    this.out.write(`\n[alert ${messageId} to ${chatId}, updated] ${htmlToPlain(html)}\n`);
  }
}

/** Keeps alerts to itself: the console's monitor when alerts were not asked for (MANA_OPS_CONSOLE_ALERTS). */
export class QuietNotifier implements Notifier {
  private next = 1;

  async send(): Promise<number> {
    return this.next++;
  }

  async edit(): Promise<void> {}
}
