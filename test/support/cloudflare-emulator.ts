import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * An HTTP emulator of the Cloudflare v4 API for one zone and account: DNS records (list with filters and
 * pages, patch, create), tunnels and their configuration, with the real envelope and error bodies, a
 * read-only token mode, and injectable 429s.
 */

export const ZONE = '189459c7825e1561f401e8f11f75c848';
export const ACCOUNT = 'd4e793834a2f52201978ae8702a3ff95';
export const GPU_TUNNEL = '83454e8e-d7f5-4954-b2cb-0307c2dba7a6';
export const MAC_TUNNEL = '209883b5-b4d1-4191-b272-60d69e0b08a9';

interface DnsRow {
  id: string;
  name: string;
  type: string;
  content: string;
  proxiable: boolean;
  proxied: boolean;
  ttl: number;
  settings: { flatten_cname: boolean };
  meta: object;
  comment: null;
  tags: string[];
  created_on: string;
  modified_on: string;
}

const fixture = (name: string) => JSON.parse(readFileSync(`test/fixtures/cloudflare/${name}`, 'utf8')) as { errors: unknown[] } & { [key: string]: unknown };

export class CloudflareEmulator {
  readonly token = 'cf-test-token-0123456789abcdef0123456789abcd';
  /**
   * 'edit' may read and write; 'read' gets 10000 on writes, like a DNS:Read token; 'dns-only' may edit DNS but
   * gets 10000 on the account's tunnels (a token made from the "Edit zone DNS" template).
   */
  permission: 'edit' | 'read' | 'dns-only' = 'edit';
  /** Writes are applied and then never answered (a connection that dies after the request went out). */
  hangWrites = false;
  readonly records = new Map<string, DnsRow>();
  readonly tunnels = new Map<string, { name: string; status: 'inactive' | 'degraded' | 'healthy' | 'down'; connections?: number }>();
  readonly ingress = new Map<string, { source: 'cloudflare' | 'local'; hostnames: string[] }>();
  readonly calls: { method: string; path: string; body?: unknown }[] = [];
  private readonly throttled: { retryAfter?: number }[] = [];
  /** After a 429 with retry-after, Cloudflare refuses again whatever comes before that time. */
  private refuseUntil = 0;
  private lastRetryAfter = 0;
  private rateLimit: { requests: number; windowMs: number } | undefined;
  private arrivals: number[] = [];
  private readonly held = new Set<ServerResponse>();
  private server: Server | undefined;
  private nextId = 1;
  baseUrl = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/client/v4`;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Cloudflare's own limit from now on: a request beyond `requests` within `windowMs` gets 429 (no retry-after). */
  limit(rate: { requests: number; windowMs: number } | undefined): void {
    this.rateLimit = rate;
    this.arrivals = [];
  }

  /** Cloudflare takes requests again at once: no throttled requests left, no retry-after in force. */
  unthrottle(): void {
    this.throttled.length = 0;
    this.refuseUntil = 0;
  }

  /** The next `count` requests get 429 (code 971), with a retry-after header when given; until it is over, so does any other. */
  throttle(count: number, retryAfter?: number): void {
    for (let i = 0; i < count; i++) this.throttled.push(retryAfter === undefined ? {} : { retryAfter });
  }

  addCname(name: string, tunnelUuid: string): DnsRow {
    const id = (this.nextId++).toString(16).padStart(32, 'd');
    const now = new Date().toISOString();
    const r: DnsRow = { id, name, type: 'CNAME', content: `${tunnelUuid}.cfargotunnel.com`, proxiable: true, proxied: true, ttl: 1, settings: { flatten_cname: false }, meta: {}, comment: null, tags: [], created_on: now, modified_on: now };
    this.records.set(id, r);
    return r;
  }

  cnameOf(name: string): DnsRow | undefined {
    return [...this.records.values()].find((r) => r.name === name && r.type === 'CNAME');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as { name: string; content?: string; proxied?: boolean; ttl?: number }) : undefined;
    this.calls.push({ method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, ...(body && { body }) });
    const send = (status: number, payload: unknown, headers: { [k: string]: string } = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
    };
    const ok = (result: unknown, extra: object = {}) => send(200, { success: true, errors: [], messages: [], result, ...extra });
    const now = Date.now();
    if (now < this.refuseUntil) return send(429, fixture('error-rate-limited-971.json'), { 'retry-after': String(this.lastRetryAfter) });
    const throttle = this.throttled.shift();
    if (throttle) {
      if (throttle.retryAfter !== undefined) {
        this.refuseUntil = now + throttle.retryAfter * 1000;
        this.lastRetryAfter = throttle.retryAfter;
      }
      return send(429, fixture('error-rate-limited-971.json'), throttle.retryAfter !== undefined ? { 'retry-after': String(throttle.retryAfter) } : {});
    }
    if (this.rateLimit) {
      const { requests, windowMs } = this.rateLimit;
      while (this.arrivals.length && now - (this.arrivals[0] as number) >= windowMs) this.arrivals.shift();
      if (this.arrivals.length >= requests) return send(429, fixture('error-rate-limited-971.json'));
      this.arrivals.push(now);
    }
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || auth.split(' ').length !== 2) return send(400, fixture('error-malformed-token-6003.json'));
    if (auth !== `Bearer ${this.token}`) return send(403, fixture('error-invalid-token-9109.json'));
    const path = url.pathname.replace(/^\/client\/v4/, '');
    const write = req.method !== 'GET';
    if (write && this.permission === 'read') return send(403, fixture('error-auth-10000.json'));
    if (!write && this.permission === 'dns-only' && path.startsWith(`/accounts/${ACCOUNT}/cfd_tunnel`)) return send(403, fixture('error-auth-10000.json'));
    // Cloudflare's own rule: a TTL is 1 (automatic) or 60 to 86,400 seconds.
    const ttl = body?.ttl;
    if (write && ttl !== undefined && ttl !== 1 && (ttl < 60 || ttl > 86_400)) return send(400, fixture('error-validation-1004-ttl.json'));
    // Answered never: the request is held open after its change is made (below, by the handlers).
    const hang = write && this.hangWrites;
    if (hang) this.held.add(res);

    let m = new RegExp(`^/zones/${ZONE}/dns_records$`).exec(path);
    if (m && req.method === 'GET') {
      const type = url.searchParams.get('type');
      const name = url.searchParams.get('name');
      const perPage = Number(url.searchParams.get('per_page') ?? 100);
      const page = Number(url.searchParams.get('page') ?? 1);
      const all = [...this.records.values()].filter((r) => (!type || r.type === type) && (!name || r.name === name));
      const slice = all.slice((page - 1) * perPage, page * perPage);
      return ok(slice, { result_info: { page, per_page: perPage, count: slice.length, total_count: all.length, total_pages: Math.ceil(all.length / perPage) } });
    }
    if (m && req.method === 'POST' && body) {
      if (this.cnameOf(body.name)) return send(400, fixture('error-record-exists-81053.json'));
      const r = this.addCname(body.name, (body.content ?? '').replace('.cfargotunnel.com', ''));
      return hang ? undefined : ok(r);
    }
    m = new RegExp(`^/zones/${ZONE}/dns_records/([0-9a-f]+)$`).exec(path);
    if (m) {
      const r = this.records.get(m[1] as string);
      if (!r) return send(404, fixture('error-record-not-found-81044.json'));
      if (req.method === 'PATCH' && body) {
        Object.assign(r, { content: body.content ?? r.content, proxied: body.proxied ?? r.proxied, modified_on: new Date().toISOString() });
        if (hang) return undefined;
      }
      return ok(r);
    }
    m = new RegExp(`^/accounts/${ACCOUNT}/cfd_tunnel/([0-9a-f-]+)(/configurations)?$`).exec(path);
    if (m && req.method === 'GET') {
      const uuid = m[1] as string;
      const t = this.tunnels.get(uuid);
      if (!t) return send(404, { success: false, errors: [{ code: 1000, message: 'Tunnel not found' }], messages: [], result: null });
      if (m[2]) {
        const ing = this.ingress.get(uuid) ?? { source: 'local' as const, hostnames: [] };
        return ok({
          account_id: ACCOUNT,
          tunnel_id: uuid,
          version: 14,
          source: ing.source,
          config: ing.source === 'local' ? null : { ingress: [...ing.hostnames.map((h) => ({ hostname: h, service: 'http://localhost:3020', originRequest: {} })), { service: 'http_status:404' }] },
        });
      }
      // Connections as a real healthy tunnel lists them (the fixture's), as many as the test says.
      const real = (fixture('cfd-tunnel-get-mana-server-healthy.json') as unknown as { result: { connections: object[] } }).result.connections;
      const connections = Array.from({ length: t.connections ?? 0 }, (_, i) => real[i % real.length]);
      return ok({ id: uuid, account_tag: ACCOUNT, name: t.name, status: t.status, connections, tun_type: 'cfd_tunnel', metadata: {}, remote_config: true });
    }
    return send(404, { success: false, errors: [{ code: 7003, message: 'Could not route to ' + path }], messages: [], result: null });
  }
}
