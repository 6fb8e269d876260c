import type { CheckDef } from './checks';

export interface CheckScheduleOptions {
  checks: readonly CheckDef[];
  /**
   * Runs one check and takes in its result. `launchedAt` (performance.now()) is when its batch was launched: its
   * timeout counts from then, so the hundredth check started in a batch is not given more time than the first.
   */
  run: (def: CheckDef, launchedAt: number) => Promise<void>;
  now: () => number;
  /** Spread of the first run and of each interval, so checks do not all fire on the same second. */
  jitterRatio: number;
}

/**
 * Each check on its own clock: due again one interval (within its jitter) after it started, run as soon as it
 * is due rather than at the next tick, never twice at once. A check that hangs holds only itself.
 */
export class CheckSchedule {
  private readonly dueAt = new Map<string, number>();
  private readonly running = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires (Infinity: none set). */
  private timerAt = Infinity;
  private armed = false;

  constructor(private o: CheckScheduleOptions) {}

  /** A reloaded estate's checks: those that stay keep their clocks, new ones are due within their first slice. */
  adopt(checks: readonly CheckDef[]): void {
    const now = this.o.now();
    const ids = new Set(checks.map((d) => d.id));
    for (const id of this.dueAt.keys()) if (!ids.has(id)) this.dueAt.delete(id);
    for (const def of checks) if (!this.dueAt.has(def.id)) this.dueAt.set(def.id, now + Math.random() * this.o.jitterRatio * def.intervalMs);
    this.o = { ...this.o, checks };
    if (this.armed) this.arm();
  }

  /** Every check due within its first jittered slice from now (a start, or a takeover). */
  reset(): void {
    const now = this.o.now();
    for (const def of this.o.checks) this.dueAt.set(def.id, now + Math.random() * this.o.jitterRatio * def.intervalMs);
  }

  /** The checks due now and not running. */
  due(): CheckDef[] {
    const now = this.o.now();
    return this.o.checks.filter((d) => !this.running.has(d.id) && (this.dueAt.get(d.id) ?? 0) <= now);
  }

  /** Runs one check; when it is done it is due again an interval after it started. */
  async launch(def: CheckDef, launchedAt = performance.now()): Promise<void> {
    this.running.add(def.id);
    const started = this.o.now();
    try {
      await this.o.run(def, launchedAt);
    } finally {
      this.running.delete(def.id);
      const jitter = 1 + (Math.random() - 0.5) * this.o.jitterRatio;
      const dueAt = started + def.intervalMs * jitter;
      this.dueAt.set(def.id, dueAt);
      // Only this check's clock moved: the timer moves only if this is now the earliest. (Looking at every check on
      // every completion made a batch of a thousand checks cost a million steps.)
      if (this.armed && dueAt <= this.o.now()) void this.launch(def); // it took longer than its interval: due again at once
      else if (this.armed && dueAt < this.timerAt) this.wakeAt(dueAt);
    }
  }

  /** Runs the checks on their own clocks until stop(). */
  start(): void {
    this.armed = true;
    this.arm();
  }

  stop(): void {
    this.armed = false;
    this.clearTimer();
  }

  /** Launches what is due and sets the timer for the earliest of the rest. */
  private arm(): void {
    this.clearTimer();
    if (!this.armed) return;
    const launchedAt = performance.now();
    for (const def of this.due()) void this.launch(def, launchedAt);
    let next = Infinity;
    for (const def of this.o.checks) if (!this.running.has(def.id)) next = Math.min(next, this.dueAt.get(def.id) ?? 0);
    if (next < this.timerAt) this.wakeAt(next); // none when every check is running: each sets it when it is done
  }

  private wakeAt(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.arm(), Math.max(0, at - this.o.now()));
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}
