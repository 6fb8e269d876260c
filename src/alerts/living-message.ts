import type { Notifier } from '../ops/ports';
import type { Html } from '../util/html';

type Buttons = { text: string; data: string }[][];

/** One message of an alert in one chat, and the text it shows now. */
export interface Told {
  chatId: number;
  messageId: number;
  /** Page of a multi-message digest; 0 for a single message. */
  page?: number;
  shown?: string;
}

/**
 * An alert as living messages, the same for the monitor's incidents and storms and for Alertmanager's groups:
 * every chat gets each page once and sees it edited as it changes. Per chat and in order: a chat whose send
 * fails keeps the rest of its pages for the next call (which retries exactly what is missing), other chats go
 * on. Says whether every chat shows every page, and how many calls went through. `sendMissing: false` only edits what was told (a recovery is never sent where the failure was not).
 */
export async function showEverywhere(
  notifier: Notifier,
  chats: readonly number[],
  told: Told[],
  pages: readonly Html[],
  options: { buttons?: Buttons; sendMissing?: boolean; onError?: (chatId: number, err: Error) => void } = {},
): Promise<{ complete: boolean; delivered: number }> {
  let complete = true;
  let delivered = 0;
  for (const chatId of chats) {
    for (let page = 0; page < pages.length; page++) {
      const html = pages[page] as Html;
      const buttons = page === 0 ? (options.buttons ?? []) : [];
      const existing = told.find((t) => t.chatId === chatId && (t.page ?? 0) === page);
      try {
        if (!existing) {
          if (options.sendMissing === false) continue;
          told.push({ chatId, page, messageId: await notifier.send(chatId, html, buttons), shown: html.value });
          delivered++;
        } else if (existing.shown !== html.value) {
          await notifier.edit(chatId, existing.messageId, html, buttons);
          existing.shown = html.value;
          delivered++;
        }
      } catch (err) {
        complete = false;
        options.onError?.(chatId, err as Error);
        break; // this chat's later pages wait for this one
      }
    }
  }
  return { complete, delivered };
}
