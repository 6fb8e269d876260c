import type { Button } from './types';

/** `e:` runs the line and edits the message the button is on (Refresh); `s:` answers with a new message. */
export const EDIT_PREFIX = 'e:';
export const SEND_PREFIX = 's:';
const MAX_DATA = 64;

/**
 * A button that runs a command line through the same pipeline as typed text (same roles, same
 * confirmations). Undefined when the line would not fit Telegram's 64 bytes of callback data.
 */
export function commandButton(text: string, line: string, mode: 'edit' | 'send' = 'send'): Button | undefined {
  const data = (mode === 'edit' ? EDIT_PREFIX : SEND_PREFIX) + line;
  return Buffer.byteLength(data) <= MAX_DATA ? { text, data } : undefined;
}

/** Rows without the buttons that did not fit. */
export function buttonRows(...rows: (Button | undefined)[][]): Button[][] {
  return rows.map((r) => r.filter((b): b is Button => b !== undefined)).filter((r) => r.length > 0);
}
