import { connect } from 'node:net';
import type { ProbeResult, Prober } from '../ports';

const MAX_BODY = 64 * 1024;

/** Network checks: HTTP with Node's fetch (at most 64 KiB of body read) and raw TCP, each with a hard timeout. */
export class NetProber implements Prober {
  tcp(host: string, port: number, options: { timeoutMs: number; send?: Buffer; expect?: (reply: Buffer) => boolean | undefined }): Promise<ProbeResult> {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    return new Promise((resolve) => {
      let reply = Buffer.alloc(0);
      const socket = connect({ host, port });
      const done = (result: ProbeResult) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(result);
      };
      const timer = setTimeout(() => done({ ok: false, ms: ms(), error: `no answer within ${options.timeoutMs} ms` }), options.timeoutMs);
      socket.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, ms: ms(), error: err.code ?? err.message }));
      socket.once('connect', () => {
        if (!options.send) return done({ ok: true, ms: ms() });
        socket.write(options.send);
      });
      socket.on('data', (chunk: Buffer) => {
        reply = Buffer.concat([reply, chunk]).subarray(0, 4096);
        const verdict = options.expect?.(reply);
        if (verdict === true) done({ ok: true, ms: ms() });
        else if (verdict === false) done({ ok: false, ms: ms(), error: `unexpected answer: ${JSON.stringify(reply.toString('latin1').slice(0, 60))}` });
      });
      socket.once('end', () => done({ ok: false, ms: ms(), error: 'closed without an answer' }));
    });
  }

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
