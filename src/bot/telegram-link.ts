import { Api } from 'grammy';
import type { Logger } from '../util/logger';
import { applyCallPolicy } from './call-policy';
import { TelegramReach } from './telegram-reach';

export interface TelegramLinkOptions {
  token: string;
  apiRoot?: string;
  log: Logger;
  onApiError?: (code: number) => void;
  /** How long a command's reply may keep trying before it is dropped (and logged). */
  replyDeadlineMs?: number;
  /** How long one Bot API attempt may take before Telegram counts as hanging. */
  attemptMs?: number;
  /** How often Telegram is asked whether it is back, while it is away. */
  probeEveryMs?: number;
}

/** The bot's link to Telegram: whether it answers, the one call policy, and the Api the alerts go out on. */
export interface TelegramLink {
  reach: TelegramReach;
  /** For alerts: one bounded attempt per call; the monitor's delivery lanes retry, waiting on `reach`. */
  alertApi: Api;
  /** Installs the reply policy on the bot's own Api: retried within the reply deadline, then dropped. */
  applyToBot(api: Api): void;
  /** Shutdown: every call still trying gives up at once, and the probe stops. */
  close(): void;
}

export function createTelegramLink(o: TelegramLinkOptions): TelegramLink {
  const closing = new AbortController();
  const attemptMs = o.attemptMs ?? 10_000;
  const alertApi = new Api(o.token, { ...(o.apiRoot && { apiRoot: o.apiRoot }) });
  const reach = new TelegramReach({ probe: (signal) => alertApi.getMe(signal as Parameters<Api['getMe']>[0]), log: o.log, ...(o.probeEveryMs && { probeEveryMs: o.probeEveryMs }) });
  const base = { reach, attemptMs, closing: closing.signal, ...(o.onApiError && { onApiError: o.onApiError }) };
  applyCallPolicy(alertApi, { ...base, deadlineMs: attemptMs });
  return {
    reach,
    alertApi,
    applyToBot: (api) => applyCallPolicy(api, { ...base, deadlineMs: o.replyDeadlineMs ?? 30_000 }),
    close() {
      closing.abort(new Error('mana-ops is stopping'));
      reach.stop();
    },
  };
}
