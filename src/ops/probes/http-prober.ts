import type { ProbeResult, Prober } from '../ports';

const MAX_BODY = 64 * 1024;

/** HTTP checks with Node's fetch: a hard timeout per probe, and at most 64 KiB of body read. */
export class HttpProber implements Prober {
  async http(url: string, options: { timeoutMs: number; expectStatus?: number; bodyContains?: string }): Promise<ProbeResult> {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs), redirect: 'manual' });
      const expect = options.expectStatus ?? 200;
      let body = '';
      if (options.bodyContains !== undefined && res.body) {
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        while (body.length < MAX_BODY) {
          const { done, value } = await reader.read();
          if (done) break;
          body += decoder.decode(value, { stream: true });
        }
        await reader.cancel().catch(() => undefined);
      } else await res.body?.cancel().catch(() => undefined);
      if (res.status !== expect) return { ok: false, ms: ms(), status: res.status, error: `HTTP ${res.status} (expected ${expect})` };
      if (options.bodyContains !== undefined && !body.includes(options.bodyContains)) {
        return { ok: false, ms: ms(), status: res.status, error: `body lacks "${options.bodyContains}"` };
      }
      return { ok: true, ms: ms(), status: res.status };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const reason = e.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : (e.cause?.code ?? e.message);
      return { ok: false, ms: ms(), error: reason };
    }
  }
}
