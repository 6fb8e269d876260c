import type { Notifier } from '../ops/ports';
import type { Html } from '../util/html';

type Buttons = { text: string; data: string }[][];

import type { Told } from '../estate/told';

export type { Told };

/** What one alert should show: its pages, the first page's buttons, and whether a chat not told yet is told. */
export interface LivingView {
  pages: readonly Html[];
  buttons?: Buttons;
  /** false: only edit what was told (a recovery is never sent where the failure was not). */
  sendMissing?: boolean;
}

/**
 * Brings one chat's messages of an alert up to date with `view`, page by page in order: a page not told yet is
 * sent, one that shows other text is edited. Throws at the first failed call; what went through is recorded in
 * `told`, so the next call retries exactly what is missing. Returns how many calls went through.
 */
export async function showIn(notifier: Notifier, chatId: number, told: Told[], view: LivingView): Promise<number> {
  let delivered = 0;
  for (let page = 0; page < view.pages.length; page++) {
    const html = view.pages[page] as Html;
    const buttons = page === 0 ? (view.buttons ?? []) : [];
    const existing = told.find((t) => t.chatId === chatId && (t.page ?? 0) === page);
    if (!existing) {
      if (view.sendMissing === false) continue;
      told.push({ chatId, page, messageId: await notifier.send(chatId, html, buttons), shown: html.value });
      delivered++;
    } else if (existing.shown !== html.value) {
      await notifier.edit(chatId, existing.messageId, html, buttons);
      existing.shown = html.value;
      delivered++;
    }
  }
  return delivered;
}

/** How many of `chats` still owe a call for `view`'s first page: not told yet (when it may be sent), or showing other text. */
export function owedIn(told: readonly Told[], view: LivingView, chats: readonly number[]): number {
  return chats.filter((chatId) => {
    const t = told.find((m) => m.chatId === chatId && (m.page ?? 0) === 0);
    return t ? t.shown !== view.pages[0]?.value : view.sendMissing !== false;
  }).length;
}

/** Whether every message told shows what `view` says (and at least one was told). */
export function showsEverywhere(told: readonly Told[], view: LivingView): boolean {
  return told.length > 0 && told.every((t) => t.shown === view.pages[t.page ?? 0]?.value);
}

/**
 * An alert as living messages in every chat (Alertmanager's groups): each chat in turn through showIn; a chat
 * whose call fails keeps the rest for the next call, other chats go on. Says whether every chat shows every
 * page, and how many calls went through.
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
    try {
      delivered += await showIn(notifier, chatId, told, { pages, ...(options.buttons && { buttons: options.buttons }), ...(options.sendMissing !== undefined && { sendMissing: options.sendMissing }) });
    } catch (err) {
      complete = false;
      options.onError?.(chatId, err as Error);
    }
  }
  return { complete, delivered };
}
