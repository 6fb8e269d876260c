import { OpsError, type DnsRecord, type TunnelApi, type TunnelHealth, type TunnelIngress, type TunnelInfo } from '../ports';

export interface CloudflareOptions {
  token: string;
  zoneId: string;
  accountId: string;
  /** The API root; tests point it at the emulator. */
  baseUrl?: string;
  timeoutMs?: number;
  /** Cloudflare allows 1,200 requests per 5 minutes per user. */
  budget?: { requests: number; windowMs: number };
  now?: () => number;
}

interface Envelope<T> {
  success: boolean;
  errors?: { code: number; message: string; error_chain?: { code: number; message: string }[] }[];
  result: T;
  result_info?: { page: number; total_pages: number };
}

interface RawRecord {
  id: string;
  name: string;
  type: string;
  content: string;
  proxied?: boolean;
}

/** A TTL Cloudflare refuses (it takes 1 for automatic, or 60 to 86,400 s). */
const INVALID_TTL = 2;

/** Cloudflare's error codes as sentences the admin can act on. */
function sentenceFor(code: number, message: string): { text: string; hint?: string; kind: 'denied' | 'not_found' | 'conflict' | 'failed' | 'timeout' | 'invalid' } {
  switch (code) {
    case 9109:
    case 6003:
    case 6111:
      return { kind: 'denied', text: `Cloudflare refused the API token (${code}: ${message})`, hint: 'the token is revoked, expired or mistyped: create a new one and set CLOUDFLARE_API_TOKEN' };
    case 10000:
      return { kind: 'denied', text: `Cloudflare says the token may not do this (${code}: ${message})`, hint: 'give the token Zone:DNS:Edit and Account:Cloudflare Tunnel:Read, or check that it is still valid' };
    case 1004:
    case 9021:
      return { kind: 'invalid', text: `Cloudflare refused the record (${code}: ${message})` };
    case 81044:
      return { kind: 'not_found', text: 'the DNS record does not exist (any more)' };
    case 81053:
      return { kind: 'conflict', text: `another record already uses that name (${message})`, hint: 'remove the A/AAAA record of that name in the dashboard first' };
    case 971:
    case 10100:
      return { kind: 'timeout', text: 'Cloudflare is rate-limiting the bot (1,200 requests per 5 minutes)', hint: 'wait a few minutes' };
    default:
      return { kind: 'failed', text: `Cloudflare error ${code}: ${message}` };
  }
}

/** The Cloudflare v4 API over fetch: the envelope, error codes, a timeout, the rate limit respected. */
export class CloudflareApi implements TunnelApi {
  private readonly base: string;
  private readonly sent: number[] = [];
  private readonly now: () => number;

  constructor(private readonly options: CloudflareOptions) {
    this.base = (options.baseUrl ?? 'https://api.cloudflare.com/client/v4').replace(/\/+$/, '');
    this.now = options.now ?? Date.now;
  }

  /** Waits for a free slot in the request budget when that is a matter of seconds; refuses otherwise. */
  private async takeSlot(): Promise<void> {
    const { requests, windowMs } = this.options.budget ?? { requests: 1_200, windowMs: 300_000 };
    const now = this.now();
    while (this.sent.length && now - (this.sent[0] as number) >= windowMs) this.sent.shift();
    if (this.sent.length >= requests) {
      const wait = windowMs - (now - (this.sent[0] as number));
      if (wait > 10_000) throw new OpsError('timeout', `the bot has used its Cloudflare API budget (${requests} requests in ${windowMs / 60_000} min)`, `try again in ${Math.ceil(wait / 1000)} s`);
      await new Promise((r) => setTimeout(r, wait));
      return this.takeSlot();
    }
    this.sent.push(now);
  }

  private async call<T>(method: string, path: string, body?: unknown, retried = false): Promise<Envelope<T>> {
    await this.takeSlot();
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError' && method !== 'GET') {
        // The change went out and no answer came back: Cloudflare may well have applied it.
        throw new OpsError('timeout', `Cloudflare did not answer the change within ${Math.round((this.options.timeoutMs ?? 10_000) / 1000)} s: it may have been applied`, 'look before trying again: /tunnel check shows where it points now', { mayHaveHappened: true });
      }
      throw new OpsError(e.name === 'TimeoutError' ? 'timeout' : 'unreachable', `Cloudflare's API did not answer (${e.name === 'TimeoutError' ? 'timeout' : (e.cause?.code ?? e.message)})`, 'check the bot\'s internet connection');
    }
    if (res.status === 429) {
      const after = Number(res.headers.get('retry-after') ?? NaN);
      if (!retried && Number.isFinite(after) && after <= 10) {
        await new Promise((r) => setTimeout(r, after * 1000));
        return this.call<T>(method, path, body, true);
      }
      throw new OpsError('timeout', 'Cloudflare is rate-limiting the bot', Number.isFinite(after) ? `try again in ${after} s` : 'wait a few minutes');
    }
    let envelope: Envelope<T>;
    try {
      envelope = (await res.json()) as Envelope<T>;
    } catch {
      throw new OpsError('failed', `Cloudflare answered HTTP ${res.status} without a JSON body`);
    }
    if (!envelope.success) {
      const first = envelope.errors?.[0];
      const chained = first?.error_chain?.[0];
      const s = sentenceFor(chained?.code ?? first?.code ?? 0, chained?.message ?? first?.message ?? `HTTP ${res.status}`);
      throw new OpsError(s.kind, s.text, s.hint);
    }
    return envelope;
  }

  private static record(r: RawRecord): DnsRecord {
    return { id: r.id, name: r.name, type: r.type, content: r.content, proxied: r.proxied ?? false };
  }

  async cnames(): Promise<Map<string, DnsRecord>> {
    const out = new Map<string, DnsRecord>();
    for (let page = 1; ; page++) {
      const env = await this.call<RawRecord[]>('GET', `/zones/${this.options.zoneId}/dns_records?type=CNAME&per_page=100&page=${page}`);
      for (const r of env.result) out.set(r.name.toLowerCase(), CloudflareApi.record(r));
      if (!env.result_info || page >= env.result_info.total_pages) break;
    }
    return out;
  }

  async findCname(hostname: string): Promise<DnsRecord | undefined> {
    const env = await this.call<RawRecord[]>('GET', `/zones/${this.options.zoneId}/dns_records?type=CNAME&name=${encodeURIComponent(hostname)}`);
    const r = env.result[0];
    return r && CloudflareApi.record(r);
  }

  async upsertCname(hostname: string, content: string, existing?: DnsRecord): Promise<DnsRecord> {
    const env = existing
      ? await this.call<RawRecord>('PATCH', `/zones/${this.options.zoneId}/dns_records/${existing.id}`, { content, proxied: true })
      : await this.call<RawRecord>('POST', `/zones/${this.options.zoneId}/dns_records`, { type: 'CNAME', name: hostname, content, proxied: true, ttl: 1 });
    return CloudflareApi.record(env.result);
  }

  /**
   * Asks with a change Cloudflare must refuse (a TTL of 2 s, which it never accepts): a token that may edit DNS gets
   * the validation error (1004), one that may not gets 10000. Nothing is changed either way.
   */
  async mayEditDns(hostname: string, existing?: DnsRecord): Promise<boolean> {
    try {
      if (existing) await this.call('PATCH', `/zones/${this.options.zoneId}/dns_records/${existing.id}`, { ttl: INVALID_TTL });
      else await this.call('POST', `/zones/${this.options.zoneId}/dns_records`, { type: 'CNAME', name: hostname, content: 'invalid.invalid', proxied: true, ttl: INVALID_TTL });
    } catch (err) {
      if (err instanceof OpsError && err.code === 'invalid') return true;
      if (err instanceof OpsError && err.code === 'denied') return false;
      throw err;
    }
    throw new OpsError('failed', `Cloudflare accepted a TTL of ${INVALID_TTL} s for ${hostname}, which it should refuse`, 'check the record in the dashboard (its TTL should be Auto)');
  }

  /** A read of the account's tunnels, refused with the one permission to add (a DNS-only token is the usual case). */
  private tunnelRead<T>(path: string): Promise<Envelope<T>> {
    return this.call<T>('GET', `/accounts/${this.options.accountId}/cfd_tunnel/${path}`).catch((err: unknown) => {
      if (err instanceof OpsError && err.code === 'denied' && !/refused the API token/.test(err.message)) {
        throw new OpsError('denied', 'the Cloudflare token may not read tunnels', 'add the permission Account → Cloudflare Tunnel → Read to it (dashboard: My Profile → API Tokens → Edit)', { cause: err });
      }
      throw err;
    });
  }

  async tunnel(uuid: string): Promise<TunnelInfo> {
    const env = await this.tunnelRead<{ id: string; name: string; status: TunnelHealth; connections?: { is_pending_reconnect?: boolean }[] }>(uuid);
    const t = env.result;
    return { id: t.id, name: t.name, status: t.status, connections: (t.connections ?? []).filter((c) => !c.is_pending_reconnect).length };
  }

  async ingress(uuid: string): Promise<TunnelIngress> {
    const env = await this.tunnelRead<{ source?: string; config?: { ingress?: { hostname?: string }[] } | null }>(`${uuid}/configurations`);
    const hostnames = (env.result.config?.ingress ?? []).map((r) => r.hostname).filter((h): h is string => !!h).map((h) => h.toLowerCase());
    const source = env.result.source === 'local' || env.result.source === 'cloudflare' ? env.result.source : 'unknown';
    return { hostnames, source };
  }
}
