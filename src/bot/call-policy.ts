import { setTimeout as delay } from 'node:timers/promises';
import { autoRetry } from '@grammyjs/auto-retry';
import { GrammyError, HttpError, type Api, type Transformer } from 'grammy';
import type { TelegramReach } from './telegram-reach';

export interface CallPolicy {
  reach: TelegramReach;
  /** How long one call may keep trying (network errors and 5xx) before it gives up. */
  deadlineMs: number;
  /** How long one attempt may take: a Telegram that hangs counts as away after this. */
  attemptMs: number;
  /** The longest wait between two attempts. */
  maxGapMs?: number;
  /** Aborted at shutdown: every call still trying gives up at once. */
  closing?: AbortSignal;
  /** Telegram's error codes, counted. */
  onApiError?: (code: number) => void;
  /** A 429 asking for longer than this fails the call instead of waiting. */
  maxRetryAfterSeconds?: number;
}

/**
 * The one retry policy of every Bot API call: network errors and 5xx retried with a doubling wait capped at
 * `maxGapMs`, each attempt bounded by `attemptMs`, all of it by `deadlineMs`; 429 waits its retry_after
 * (auto-retry). Every attempt tells `reach` whether Telegram answered. getUpdates passes through (the runner
 * retries it), but still tells `reach`: a poll that fails is often the first sign Telegram is away.
 */
export function applyCallPolicy(api: Api, p: CallPolicy): void {
  // The attempts under way, aborted together at shutdown by one listener (not one listener each on a shared signal).
  const live = new Set<AbortController>();
  p.closing?.addEventListener('abort', () => {
    for (const c of live) c.abort(p.closing?.reason);
  }, { once: true });
  const observe = (ok: boolean, error: string, since?: number) => p.reach.observe(ok ? { ok: true } : { ok: false, error, ...(since !== undefined && { since }) });
  const bounded: Transformer = async (prev, method, payload, callerSignal) => {
    // grammY types its signal with a polyfill's AbortSignal; at run time it is Node's own.
    const signal = callerSignal as unknown as AbortSignal | undefined;
    if (method === 'getUpdates') {
      try {
        const res = await prev(method, payload, callerSignal);
        observe(res.ok || res.error_code < 500, res.ok ? '' : `${res.error_code} ${res.description}`);
        return res;
      } catch (err) {
        // A long poll waits by design: only its failure counts, from when it failed.
        if (!signal?.aborted) observe(false, (err as Error).message);
        throw err;
      }
    }
    const started = Date.now();
    let gap = 500;
    for (;;) {
      const began = Date.now();
      const attempt = attemptSignal(p.attemptMs, signal, live, p.closing);
      let failure: { res?: Awaited<ReturnType<typeof prev>>; err?: unknown; why: string };
      try {
        const res = await prev(method, payload, attempt.signal as unknown as typeof callerSignal);
        if (!res.ok) p.onApiError?.(res.error_code);
        if (res.ok || res.error_code < 500) {
          observe(true, '');
          return res;
        }
        failure = { res, why: `${res.error_code} ${res.description}` };
      } catch (err) {
        if (signal?.aborted || p.closing?.aborted) throw err;
        failure = { err, why: (err as Error).message };
      } finally {
        attempt.done();
      }
      observe(false, failure.why, began);
      const left = p.deadlineMs - (Date.now() - started);
      if (left <= gap) {
        if (failure.res) return failure.res;
        throw failure.err;
      }
      try {
        await delay(gap, undefined, { signal: p.closing ? AbortSignal.any([p.closing, ...(signal ? [signal] : [])]) : signal });
      } catch {
        if (failure.res) return failure.res;
        throw failure.err;
      }
      gap = Math.min(gap * 2, p.maxGapMs ?? 10_000);
    }
  };
  api.config.use(bounded);
  // Only 429 is auto-retry's: 5xx and network errors come back from the bounded policy above, final.
  api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: p.maxRetryAfterSeconds ?? 30, rethrowInternalServerErrors: true, rethrowHttpErrors: true }));
}

/**
 * One attempt's signal: aborted after `ms`, with the caller's signal, or at shutdown (through `live`). One controller
 * and one timer, let go when the attempt is done (AbortSignal.any with a timeout signal costs several times more).
 */
function attemptSignal(ms: number, caller: AbortSignal | undefined, live: Set<AbortController>, closing: AbortSignal | undefined): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')), ms);
  const forward = () => controller.abort(caller?.reason);
  if (caller?.aborted) forward();
  caller?.addEventListener('abort', forward, { once: true });
  if (closing?.aborted) controller.abort(closing.reason);
  live.add(controller);
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      caller?.removeEventListener('abort', forward);
      live.delete(controller);
    },
  };
}

/** A failed Bot API call that means Telegram itself is away (network, timeout, 5xx), not a refusal. */
export function isUnreachable(err: unknown): boolean {
  return err instanceof HttpError || (err instanceof GrammyError && err.error_code >= 500);
}
