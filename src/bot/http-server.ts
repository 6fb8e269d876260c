import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webhookSchema, type AlertmanagerIntake } from '../alerts/alertmanager';
import { describeIssues } from '../config/load';
import type { Logger } from '../util/logger';
import { sameSecret } from './secrets';

const MAX_BODY = 1024 * 1024;


/** Accepts `Authorization: Bearer <token>` or Basic with the token as password (Alertmanager can send either). */
export function authorised(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return sameSecret(value, token);
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString();
    return sameSecret(decoded.slice(decoded.indexOf(':') + 1), token);
  }
  return false;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export type HealthReport = Record<string, { ok: boolean; detail?: string }>;

export interface HttpServerOptions {
  port: number;
  /** The interface to listen on: the loopback unless told otherwise (HTTP_HOST). */
  host?: string;
  /** When set, GET /metrics wants `Authorization: Bearer <token>` (METRICS_TOKEN). */
  metricsToken?: string;
  /** How long a client may take to send its headers, and its whole request; how long an idle connection stays. */
  timeouts?: { headersMs: number; requestMs: number; idleMs: number };
  alertmanager?: { intake: AlertmanagerIntake; token: string };
  /** Prometheus text for GET /metrics. */
  metrics?: () => Promise<string>;
  /** Telegram's webhook deliveries at POST /telegram. */
  telegram?: (secretHeader: string | undefined, body: unknown) => Promise<number>;
  /** What GET /healthz reports; 503 when any part is not ok. */
  health?: () => Promise<HealthReport>;
  log: Logger;
}

/** The bot's own HTTP endpoint: Alertmanager's webhook at POST /alertmanager. */
export async function startHttpServer(o: HttpServerOptions): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const t = o.timeouts ?? { headersMs: 10_000, requestMs: 30_000, idleMs: 30_000 };
  // Node looks for overdue headers and requests on this interval (30 s unless told): as often as the limits need.
  const server = createServer({ connectionsCheckingInterval: Math.min(1_000, Math.ceil(t.headersMs / 2)) }, (req, res) => {
    const reply = (status: number, text: string) => res.writeHead(status, { 'content-type': 'text/plain' }).end(`${text}\n`);
    void (async () => {
      if (req.method === 'POST' && req.url === '/alertmanager' && o.alertmanager) {
        if (!authorised(req.headers.authorization, o.alertmanager.token)) {
          o.log.warn({ from: req.socket.remoteAddress }, 'alertmanager webhook refused: bad credentials');
          return reply(401, 'unauthorised');
        }
        let body: unknown;
        try {
          body = JSON.parse(await readBody(req));
        } catch (err) {
          return reply(400, `not JSON: ${(err as Error).message}`);
        }
        const hook = webhookSchema.safeParse(body);
        if (!hook.success) return reply(400, describeIssues(hook.error).join('\n'));
        try {
          await o.alertmanager.intake.receive(hook.data);
          return reply(200, 'ok');
        } catch (err) {
          // An error makes Alertmanager send the notification again later: nothing is lost.
          o.log.warn({ err: (err as Error).message, groupKey: hook.data.groupKey }, 'alertmanager notification not delivered yet');
          return reply(503, 'not delivered, retry');
        }
      }
      if (req.method === 'POST' && req.url === '/telegram' && o.telegram) {
        let body: unknown;
        try {
          body = JSON.parse(await readBody(req));
        } catch {
          return reply(400, 'not JSON');
        }
        const secret = req.headers['x-telegram-bot-api-secret-token'];
        const status = await o.telegram(typeof secret === 'string' ? secret : undefined, body);
        if (status === 401) o.log.warn({ from: req.socket.remoteAddress }, 'telegram webhook refused: wrong secret token');
        return reply(status, status === 200 ? 'ok' : 'refused');
      }
      if (req.method === 'GET' && req.url === '/healthz') {
        const report = o.health ? await o.health() : {};
        const ok = Object.values(report).every((p) => p.ok);
        return res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify({ ok, ...report })}\n`);
      }
      if (req.method === 'GET' && req.url === '/metrics' && o.metrics) {
        if (o.metricsToken && !authorised(req.headers.authorization, o.metricsToken)) return reply(401, 'unauthorised');
        return res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(await o.metrics());
      }
      reply(404, 'not found');
    })().catch(() => reply(500, 'error'));
  });
  // A slow or half-open client (headers a byte at a time, a body that never ends) is cut off, not waited for.
  server.headersTimeout = t.headersMs;
  server.requestTimeout = t.requestMs;
  server.keepAliveTimeout = Math.min(5_000, t.idleMs);
  server.setTimeout(t.idleMs, (socket) => socket.destroy());
  server.listen(o.port, o.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
