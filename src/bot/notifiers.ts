import type { Writable } from 'node:stream';
import { InlineKeyboard, type Api } from 'grammy';
import type { Notifier } from '../ops/ports';
import { Html, htmlToPlain } from '../util/html';

type Buttons = { text: string; data: string }[][];

const markup = (buttons: Buttons | undefined) =>
  buttons?.length ? InlineKeyboard.from(buttons.map((row) => row.map((b) => InlineKeyboard.text(b.text, b.data)))) : undefined;

/** Alerts as Telegram messages; errors (Telegram down, 429 beyond auto-retry's caps) reach the monitor, which retries. */
export class TelegramNotifier implements Notifier {
  constructor(private readonly api: Api) {}

  async send(chatId: number, html: string, buttons?: Buttons): Promise<number> {
    const m = markup(buttons);
    const msg = await this.api.sendMessage(chatId, html, { parse_mode: 'HTML', link_preview_options: { is_disabled: true }, ...(m && { reply_markup: m }) });
    return msg.message_id;
  }

  async edit(chatId: number, messageId: number, html: string, buttons?: Buttons): Promise<void> {
    const m = markup(buttons);
    try {
      await this.api.editMessageText(chatId, messageId, html, { parse_mode: 'HTML', link_preview_options: { is_disabled: true }, ...(m && { reply_markup: m }) });
    } catch (err) {
      if (!/message is not modified/.test((err as Error).message)) throw err;
    }
  }
}

/** Alerts printed by the console front-end. */
export class ConsoleNotifier implements Notifier {
  private next = 1;
  constructor(private readonly out: Writable) {}

  async send(chatId: number, html: string): Promise<number> {
    this.out.write(`\n[alert to ${chatId}] ${htmlToPlain(new Html(html))}\n`);
    return this.next++;
  }

  async edit(chatId: number, messageId: number, html: string): Promise<void> {
    this.out.write(`\n[alert ${messageId} to ${chatId}, updated] ${htmlToPlain(new Html(html))}\n`);
  }
}
