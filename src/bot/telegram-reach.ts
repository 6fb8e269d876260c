import type { ChannelReach } from '../ops/ports';
import { formatDuration } from '../util/duration';
import type { Logger } from '../util/logger';

export interface TelegramReachOptions {
  /** A cheap call (getMe) that succeeds when Telegram answers again. */
  probe: (signal: AbortSignal) => Promise<unknown>;
  log: Logger;
  /** How often the probe runs while Telegram is away. */
  probeEveryMs?: number;
  /** What is waiting to go out, for the "back" line. */
  backlog?: () => number;
  now?: () => number;
}

/**
 * Whether Telegram answers, judged from every Bot API call (a network error or a 5xx: away; any answer below
 * 500: there). While it is away a probe asks every couple of seconds, so its return is noticed within seconds
 * even when nothing else is sent; both changes are logged once, with the error and how long it was away.
 */
export class TelegramReach implements ChannelReach {
  private since: number | undefined;
  private error = '';
  private readonly listeners: ((up: boolean, downSince: number) => void)[] = [];
  private readonly waiters = new Set<() => void>();
  private probeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;
  /** What is waiting to go out, for the "back" line (set by the composition root once the outbox exists). */
  backlog: () => number;

  constructor(private readonly o: TelegramReachOptions) {
    this.now = o.now ?? Date.now;
    this.backlog = o.backlog ?? (() => 0);
  }

  get downSince(): number | undefined {
    return this.since;
  }

  /** The error that made Telegram count as away (while it is). */
  get lastError(): string | undefined {
    return this.since === undefined ? undefined : this.error;
  }

  onChange(listener: (up: boolean, downSince: number) => void): void {
    this.listeners.push(listener);
  }

  whenUp(signal?: AbortSignal): Promise<void> {
    if (this.since === undefined) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        this.waiters.delete(done);
        signal?.removeEventListener('abort', abort);
        resolve();
      };
      const abort = () => {
        this.waiters.delete(done);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('stopped waiting for Telegram'));
      };
      if (signal?.aborted) return abort();
      signal?.addEventListener('abort', abort, { once: true });
      this.waiters.add(done);
    });
  }

  /**
   * A call Telegram answered (`ok`), or one that did not reach it, with why and when that attempt began: a
   * Telegram that hangs has taken nothing since then, not since the attempt gave up.
   */
  observe(outcome: { ok: true } | { ok: false; error: string; since?: number }): void {
    if (outcome.ok) {
      if (this.since === undefined) return;
      const since = this.since;
      this.since = undefined;
      clearTimeout(this.probeTimer);
      const queued = this.backlog();
      this.o.log.info({ awayMs: this.now() - since, queued }, `Telegram reachable again after ${formatDuration(this.now() - since)}; ${queued} alert messages queued, sending them now`);
      for (const l of this.listeners) l(true, since);
      for (const w of [...this.waiters]) w();
      return;
    }
    if (this.since !== undefined) return;
    this.since = Math.min(outcome.since ?? this.now(), this.now());
    this.error = outcome.error;
    this.o.log.warn({ err: outcome.error }, 'Telegram unreachable: alerts are queued and sent when it is back; firing incidents go to ntfy after policy.fallback_after');
    for (const l of this.listeners) l(false, this.since);
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.stopped) return;
    const every = this.o.probeEveryMs ?? 2_000;
    this.probeTimer = setTimeout(() => {
      void this.o.probe(AbortSignal.timeout(Math.max(every, 3_000))).then(
        () => this.observe({ ok: true }),
        () => {
          if (this.since !== undefined) this.scheduleProbe();
        },
      );
    }, every);
  }

  /** Stops probing (shutdown); whoever waits keeps waiting until its own signal aborts. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.probeTimer);
  }
}
