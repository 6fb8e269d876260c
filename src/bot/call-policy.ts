import { setMaxListeners } from 'node:events';
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
  const deadlines = new AttemptDeadlines(p.attemptMs, p.closing);
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
      const attempt = deadlines.start(signal);
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

/** Attempts that start within this long of each other share one deadline (and give up at most this much later). */
const SHARED_MS = 100;

/**
 * The attempts' deadlines: each attempt is aborted after `ms` (up to SHARED_MS more), with its caller's signal, or at
 * shutdown. Attempts that start within SHARED_MS of each other share one controller and one timer: a controller and a
 * timer per attempt cost more than the rest of the bot's own work on a command (measured in bench/pipeline).
 */
class AttemptDeadlines {
  private current: Deadline | undefined;
  /** Deadlines with attempts under way, aborted together at shutdown by one listener. */
  private readonly live = new Set<Deadline>();

  constructor(
    private readonly ms: number,
    private readonly closing: AbortSignal | undefined,
  ) {
    closing?.addEventListener('abort', () => {
      for (const d of this.live) {
        d.controller.abort(closing.reason);
        clearTimeout(d.timer);
      }
    }, { once: true });
  }

  start(caller: AbortSignal | undefined): { signal: AbortSignal; done: () => void } {
    if (caller) return this.own(caller);
    const now = performance.now();
    let d = this.current;
    if (!d || now - d.opened >= SHARED_MS || d.controller.signal.aborted) {
      if (d && d.running === 0) this.close(d);
      d = this.open(now);
      this.current = d;
    }
    d.running++;
    return { signal: d.controller.signal, done: () => this.finished(d) };
  }

  private open(now: number): Deadline {
    const controller = new AbortController();
    // Every attempt under way adds grammY's listener to the shared signal: many at once are expected, not a leak.
    setMaxListeners(0, controller.signal);
    if (this.closing?.aborted) controller.abort(this.closing.reason);
    const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${this.ms} ms`, 'TimeoutError')), this.ms + SHARED_MS);
    // A deadline outlives its last attempt until the next one opens: it must not keep a stopping process alive.
    timer.unref();
    const d: Deadline = { controller, opened: now, running: 0, timer };
    this.live.add(d);
    return d;
  }

  private finished(d: Deadline): void {
    d.running--;
    if (d.running === 0 && d !== this.current) this.close(d);
  }

  private close(d: Deadline): void {
    clearTimeout(d.timer);
    this.live.delete(d);
  }

  /** An attempt with a signal of its own (rare: a probe): a controller of its own. */
  private own(caller: AbortSignal): { signal: AbortSignal; done: () => void } {
    const d = this.open(performance.now());
    const forward = () => d.controller.abort(caller.reason);
    if (caller.aborted) forward();
    caller.addEventListener('abort', forward, { once: true });
    return {
      signal: d.controller.signal,
      done: () => {
        caller.removeEventListener('abort', forward);
        this.close(d);
      },
    };
  }
}

interface Deadline {
  controller: AbortController;
  opened: number;
  /** Attempts under way on it. */
  running: number;
  timer: NodeJS.Timeout;
}

/** A failed Bot API call that means Telegram itself is away (network, timeout, 5xx), not a refusal. */
export function isUnreachable(err: unknown): boolean {
  return err instanceof HttpError || (err instanceof GrammyError && err.error_code >= 500);
}
