import type { Html } from '../util/html';

/** Telegram takes about one edit a second in a private chat and 20 messages a minute in a group. */
export const progressGapMs = (chatId: number) => (chatId < 0 ? 3_000 : 1_000);

/**
 * Progress of a long action as edits of one message, paced: the newest text wins, at most one edit per
 * `gapMs`, so an action never leans on Telegram's 429 retries. `close` waits for the edit in flight and drops
 * the rest (the final result replaces them).
 */
export function pacedProgress(edit: (html: Html) => Promise<void>, gapMs: number, onError: (err: unknown) => void) {
  let pending: Html | undefined;
  let last = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let closed = false;

  const flush = () => {
    timer = undefined;
    const text = pending;
    pending = undefined;
    if (!text || closed) return;
    last = Date.now();
    inFlight = edit(text).catch(onError);
  };

  return {
    push(html: Html): void {
      if (closed) return;
      pending = html;
      if (!timer) timer = setTimeout(flush, Math.max(0, last + gapMs - Date.now()));
    },
    async close(): Promise<void> {
      closed = true;
      clearTimeout(timer);
      await inFlight;
      // The final edit must not come sooner than the pace allows either.
      const wait = last + gapMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, gapMs)));
    },
  };
}
