/**
 * Races work against a deadline. On timeout the returned promise rejects with `onTimeout()` and
 * `abort` (if given) is aborted so the work can stop; the timer never outlives the race.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error, abort?: { abort(): void }): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          abort?.abort();
          reject(onTimeout());
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
