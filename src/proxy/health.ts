import { createServer, request, type Server } from 'node:http';
import { once } from 'node:events';

/**
 * The proxy's own health, for its container's HEALTHCHECK: a listener on the container's loopback (the proxy has
 * no other network) that answers GET /healthz with whether Docker's socket answers a ping right now. The image's
 * bash check reads it with /dev/tcp, so no second node process runs inside the proxy's 64 MB.
 */
export async function startProxyHealth(o: { upstreamSocket: string; port: number; timeoutMs?: number }): Promise<Server> {
  const ping = () =>
    new Promise<string | undefined>((resolve) => {
      const req = request({ socketPath: o.upstreamSocket, path: '/_ping', timeout: o.timeoutMs ?? 3_000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200 ? undefined : `Docker answered ${res.statusCode} to a ping`);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs ?? 3_000} ms`)));
      req.on('error', (err) => resolve(`Docker's socket ${o.upstreamSocket} does not answer: ${err.message}`));
      req.end();
    });
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/healthz') {
      res.writeHead(404).end();
      return;
    }
    void ping().then((problem) => {
      res.writeHead(problem ? 503 : 200, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(problem ? { ok: false, docker: problem } : { ok: true, docker: 'answers' })}\n`);
    });
  });
  server.listen(o.port, '127.0.0.1');
  await once(server, 'listening');
  return server;
}
