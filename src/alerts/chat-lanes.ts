import { setTimeout as delay } from 'node:timers/promises';
import { OpsError, type ChannelReach } from '../ops/ports';
import type { Logger } from '../util/logger';

export interface ChatLanesOptions {
  chats: () => readonly number[];
  /** Brings one chat up to date with what it should show; throws when a call failed (the rest waits). */
  work: (chatId: number) => Promise<void>;
  reach?: ChannelReach;
  log: Logger;
  /** The wait after a refused call, by consecutive failures (default 1 s doubling to 30 s). */
  retryMs?: (failures: number) => number;
}

interface Lane {
  running: boolean;
  again: boolean;
  failures: number;
  /** Set while the lane waits (for Telegram, or out a backoff): a kick does not cut a backoff short. */
  waiting: boolean;
}

/**
 * One delivery lane per alert chat: each brings its chat up to date on its own, so a chat that is slow,
 * flood-limited or refusing delays no other chat, and nothing that checks. A kick makes every lane run (again,
 * if it was running). While Telegram is away a lane waits for it to come back instead of retrying; a call
 * Telegram refused is retried after a capped backoff.
 */
export class ChatLanes {
  private readonly lanes = new Map<number, Lane>();
  private readonly idleWaiters = new Set<() => void>();
  private readonly abort = new AbortController();

  constructor(private readonly o: ChatLanesOptions) {}

  kick(): void {
    if (this.abort.signal.aborted) return;
    for (const chatId of this.o.chats()) {
      let lane = this.lanes.get(chatId);
      if (!lane) this.lanes.set(chatId, (lane = { running: false, again: false, failures: 0, waiting: false }));
      if (lane.running) lane.again = true;
      else void this.run(chatId, lane);
    }
  }

  /** Resolves when no lane is doing anything: each is idle or waiting (for Telegram, or out a backoff). */
  settled(): Promise<void> {
    if (this.isSettled()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.add(resolve));
  }

  /** Resolves when every lane has finished with nothing left to retry, or after `ms`. */
  async drained(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if ([...this.lanes.values()].every((l) => !l.running && l.failures === 0)) return true;
      await delay(50);
    }
    return false;
  }

  /** Stops every lane where it is; what was not delivered stays with its owner for the next start. */
  stop(): void {
    this.abort.abort(new Error('delivery stopped'));
    this.notifyIdle();
  }

  private isSettled(): boolean {
    return [...this.lanes.values()].every((l) => !l.running || l.waiting);
  }

  private notifyIdle(): void {
    if (!this.isSettled() && !this.abort.signal.aborted) return;
    for (const w of [...this.idleWaiters]) {
      this.idleWaiters.delete(w);
      w();
    }
  }

  private async run(chatId: number, lane: Lane): Promise<void> {
    lane.running = true;
    const signal = this.abort.signal;
    try {
      do {
        lane.again = false;
        try {
          if (this.o.reach?.downSince !== undefined) await this.wait(lane, this.o.reach.whenUp(signal));
          await this.o.work(chatId);
          lane.failures = 0;
        } catch (err) {
          if (signal.aborted) return;
          lane.failures++;
          const away = err instanceof OpsError && err.code === 'unreachable';
          const log = lane.failures === 1 ? this.o.log.warn.bind(this.o.log) : this.o.log.debug.bind(this.o.log);
          log({ chatId, err: (err as Error).message, failures: lane.failures }, away ? 'alert not delivered: Telegram is away; queued until it is back' : 'alert not delivered; retried');
          lane.again = true;
          if (away && this.o.reach?.downSince !== undefined) continue; // waits for Telegram at the top
          await this.wait(lane, delay(this.o.retryMs?.(lane.failures) ?? Math.min(1_000 * 2 ** (lane.failures - 1), 30_000), undefined, { signal }));
        }
      } while (lane.again && !signal.aborted);
    } catch {
      // stopped while waiting
    } finally {
      lane.running = false;
      this.notifyIdle();
    }
  }

  private async wait(lane: Lane, until: Promise<unknown>): Promise<void> {
    lane.waiting = true;
    this.notifyIdle();
    try {
      await until;
    } finally {
      lane.waiting = false;
    }
  }
}
