/**
 * Races work against a deadline. On timeout the returned promise rejects with `onTimeout()` and
 * `abort` (if given) is aborted so the work can stop; the timer never outlives the race.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error, abort?: { abort(): void }): Promise<T> {
  // One promise settled by whichever comes first (not an async function around Promise.race: this runs per command).
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      abort?.abort();
      reject(onTimeout());
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
