import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../util/logger';

/**
 * Between the bot and the Docker socket: lets through exactly what the bot uses (ping, list, inspect, logs,
 * stats, events, system df, restart), for the estate's containers only, and refuses everything else (create,
 * exec, delete, images, volumes, …), so a compromised bot can neither start a privileged container on the Mac
 * Mini nor read another container's environment: inspect answers go out without Env and command lines.
 */
const NAME = '([A-Za-z0-9_.-]+)';
/** What may pass, and whether the route names a container (then it must be one of the estate's). */
const ALLOWED: { method: string; path: RegExp; container?: true; kind?: 'inspect' | 'restart' }[] = [
  { method: 'GET', path: /^\/_ping$/ },
  { method: 'HEAD', path: /^\/_ping$/ },
  { method: 'GET', path: /^\/version$/ },
  { method: 'GET', path: /^\/containers\/json$/ },
  { method: 'GET', path: new RegExp(`^/containers/${NAME}/json$`), container: true, kind: 'inspect' },
  { method: 'GET', path: new RegExp(`^/containers/${NAME}/logs$`), container: true },
  { method: 'GET', path: new RegExp(`^/containers/${NAME}/stats$`), container: true },
  { method: 'GET', path: /^\/events$/ },
  { method: 'GET', path: /^\/system\/df$/ },
  { method: 'POST', path: new RegExp(`^/containers/${NAME}/restart$`), container: true, kind: 'restart' },
];

/** The estate schema's bound for restart.stop_timeout (50 s). */
export const MAX_STOP_SECONDS = 50;

export interface ProxyRules {
  /** The estate's container names: inspect, logs, stats and restart only for these (any, when not given). */
  containers?: ReadonlySet<string>;
  /** The longest stop timeout a restart may ask for (`t`), in seconds. */
  maxStopSeconds?: number;
}

export type Verdict = { ok: true; kind?: 'inspect' | 'restart' } | { ok: false; status: 400 | 403; why: string };

/**
 * Whether a request may pass: the API version prefix (/v1.41) is ignored; a container route must name one of the
 * estate's containers; a restart's query may hold only `t`, a whole number within bounds (no `signal`). A
 * malformed percent-escape is a 400, never an exception.
 */
export function judge(method: string, url: string, rules: ProxyRules = {}): Verdict {
  const [rawPath = '', rawQuery = ''] = url.split(/\?(.*)/s, 2);
  let path: string;
  let query: URLSearchParams;
  try {
    path = decodeURIComponent(rawPath.replace(/^\/v\d+\.\d+(?=\/)/, ''));
    query = new URLSearchParams(rawQuery);
    for (const [k, v] of query) if (k.includes('\uFFFD') || v.includes('\uFFFD')) throw new Error('bad escape');
  } catch {
    return { ok: false, status: 400, why: 'malformed percent-escape' };
  }
  if (path.includes('..')) return { ok: false, status: 403, why: 'path traversal' };
  for (const route of ALLOWED) {
    if (route.method !== method) continue;
    const m = route.path.exec(path);
    if (!m) continue;
    if (route.container && rules.containers && !rules.containers.has(m[1] as string)) return { ok: false, status: 403, why: `not a container of the estate: ${m[1]}` };
    if (route.kind === 'restart') {
      const keys = [...query.keys()];
      const t = query.get('t');
      const max = rules.maxStopSeconds ?? MAX_STOP_SECONDS;
      if (keys.some((k) => k !== 't') || keys.length > 1) return { ok: false, status: 403, why: 'a restart takes only t' };
      if (t !== null && (!/^\d{1,4}$/.test(t) || Number(t) > max)) return { ok: false, status: 403, why: `t must be 0 to ${max} seconds` };
    }
    return { ok: true, ...(route.kind && { kind: route.kind }) };
  }
  return { ok: false, status: 403, why: 'not a call the bot makes' };
}

/** Whether a request may pass (see judge). */
export function allowed(method: string, url: string, rules: ProxyRules = {}): boolean {
  return judge(method, url, rules).ok;
}

/** Fields of an inspect answer that carry secrets (environment, command lines) and that the bot never reads. */
export function withoutSecrets(inspect: Record<string, unknown>): Record<string, unknown> {
  const { Args: _args, Path: _path, ...rest } = inspect;
  const config = rest.Config as Record<string, unknown> | undefined;
  if (config) {
    const { Env: _env, Cmd: _cmd, Entrypoint: _entry, ...kept } = config;
    rest.Config = kept;
  }
  return rest;
}

export interface ProxyOptions {
  /** Where the real Docker socket is. */
  upstreamSocket: string;
  /** A unix socket path or a TCP port to listen on. */
  listen: { socketPath: string } | { port: number; host?: string };
  rules?: ProxyRules;
  log?: Logger;
}

export async function startDockerSocketProxy(o: ProxyOptions): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const verdict = judge(method, url, o.rules);
    if (!verdict.ok) {
      o.log?.warn({ method, url, why: verdict.why }, 'docker socket proxy refused a request');
      res.writeHead(verdict.status, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `refused by the mana-ops socket proxy: ${verdict.why}` }));
      return;
    }
    const upstream = request({ socketPath: o.upstreamSocket, method, path: url, headers: req.headers }, (up) => {
      if (verdict.kind !== 'inspect' || up.statusCode !== 200) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        return;
      }
      // An inspect answer is small: read whole, without its secrets, then passed on.
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        let body: string;
        try {
          body = JSON.stringify(withoutSecrets(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>));
        } catch {
          res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Docker answered an inspect with something other than JSON' }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      });
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
