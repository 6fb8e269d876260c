/**
 * Wraps an adapter so that every asynchronous method call reports its duration and whether it succeeded, for
 * the call latencies in /metrics (Docker, SSH, Cloudflare). The adapter itself stays unaware of metrics.
 */
export function timed<T extends object>(adapter: T, observe: (op: string, ok: boolean, ms: number) => void): T {
  return new Proxy(adapter, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        const started = performance.now();
        const result: unknown = value.apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.then(
          (v: unknown) => {
            observe(prop, true, performance.now() - started);
            return v;
          },
          (err: unknown) => {
            observe(prop, false, performance.now() - started);
            throw err;
          },
        );
      };
    },
  });
}
