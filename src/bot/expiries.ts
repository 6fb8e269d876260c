/**
 * How long after its deadline a message is marked expired: a moment later, never before (a press in between still
 * counts; the conversations plugin ends a wait only when the next update comes).
 */
export const EXPIRY_GRACE_MS = 1_000;

/** Messages waiting for an answer (a question, a confirmation), each with the timer that marks it expired in the chat. */
export class Expiries {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  arm(key: string, ms: number, onExpire: () => void): void {
    this.disarm(key);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      onExpire();
    }, ms);
    timer.unref();
    this.timers.set(key, timer);
  }

  disarm(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
