import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../util/logger';

/**
 * Between the bot and the Docker socket: lets through exactly what the bot uses (ping, list, inspect, logs,
 * stats, events, system df, restart) and refuses everything else (create, exec, delete, images, volumes, …),
 * so a compromised bot cannot start a privileged container on the Mac Mini.
 */
const ALLOWED: [string, RegExp][] = [
  ['GET', /^\/_ping$/],
  ['HEAD', /^\/_ping$/],
  ['GET', /^\/version$/],
  ['GET', /^\/containers\/json$/],
  ['GET', /^\/containers\/[A-Za-z0-9_.-]+\/json$/],
  ['GET', /^\/containers\/[A-Za-z0-9_.-]+\/logs$/],
  ['GET', /^\/containers\/[A-Za-z0-9_.-]+\/stats$/],
  ['GET', /^\/events$/],
  ['GET', /^\/system\/df$/],
  ['POST', /^\/containers\/[A-Za-z0-9_.-]+\/restart$/],
];

/** Whether a request may pass: the API version prefix (/v1.41) is ignored, the query string too. */
export function allowed(method: string, url: string): boolean {
  const path = decodeURIComponent((url.split('?')[0] ?? '').replace(/^\/v\d+\.\d+(?=\/)/, ''));
  if (path.includes('..')) return false;
  return ALLOWED.some(([m, re]) => m === method && re.test(path));
}

export interface ProxyOptions {
  /** Where the real Docker socket is. */
  upstreamSocket: string;
  /** A unix socket path or a TCP port to listen on. */
  listen: { socketPath: string } | { port: number; host?: string };
  log?: Logger;
}

export async function startDockerSocketProxy(o: ProxyOptions): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    if (!allowed(method, url)) {
      o.log?.warn({ method, url }, 'docker socket proxy refused a request');
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `refused by the mana-ops socket proxy: ${method} ${url.split('?')[0]}` }));
      return;
    }
    const upstream = request({ socketPath: o.upstreamSocket, method, path: url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `Docker socket: ${err.message}` }));
      else res.destroy();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  if ('socketPath' in o.listen) server.listen(o.listen.socketPath);
  else server.listen(o.listen.port, o.listen.host ?? '0.0.0.0');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return server;
}
