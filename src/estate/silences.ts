import type { StateStore } from '../ops/ports';

/** What a silence covers: one service (all its checks), one check, or everything. */
export type SilenceTarget = { kind: 'service'; name: string } | { kind: 'check'; name: string } | { kind: 'all' };

export interface Silence {
  target: SilenceTarget;
  by: string;
  reason: string;
  until: number;
}

const silenceKey = (t: SilenceTarget) => (t.kind === 'all' ? 'silence:all' : `silence:${t.kind}:${t.name}`);
/** The keys that could silence a check, in the order that wins: all, its service, the check itself. */
const coverKeys = (service: string | undefined, checkId: string) => [
  silenceKey({ kind: 'all' }),
  ...(service ? [silenceKey({ kind: 'service', name: service })] : []),
  silenceKey({ kind: 'check', name: checkId }),
];

/** The silences in force at one moment, asked without another round trip. */
export class SilencesInForce {
  constructor(private readonly byKey: ReadonlyMap<string, Silence>) {}

  covering(service: string | undefined, checkId: string): Silence | undefined {
    if (this.byKey.size === 0) return undefined; // most of the time, for each of a thousand checks
    for (const k of coverKeys(service, checkId)) {
      const silence = this.byKey.get(k);
      if (silence) return silence;
    }
    return undefined;
  }

  all(): Silence[] {
    return [...this.byKey.values()].sort((a, b) => a.until - b.until);
  }
}
const INDEX = 'silences:index';

/** Silences live under their own keys with a TTL (so they end by themselves) and a small index for /silences. */
export class Silences {
  constructor(
    private readonly store: StateStore,
    private readonly now: () => number,
  ) {}

  async add(target: SilenceTarget, durationMs: number, by: string, reason: string): Promise<Silence> {
    const silence: Silence = { target, by, reason, until: this.now() + durationMs };
    await this.store.set(silenceKey(target), JSON.stringify(silence), durationMs);
    const index = await this.keys();
    if (!index.includes(silenceKey(target))) await this.store.set(INDEX, JSON.stringify([...index, silenceKey(target)]));
    return silence;
  }

  /**
   * A silence for an action (a restart): added unless one already covers the target for longer, so a
   * restart never shortens the admin's own silence. Returns the silence it added.
   */
  async atLeast(target: SilenceTarget, durationMs: number, by: string, reason: string): Promise<Silence | undefined> {
    const existing = await this.get(target);
    if (existing && existing.until >= this.now() + durationMs) return undefined;
    return this.add(target, durationMs, by, reason);
  }

  private async get(target: SilenceTarget): Promise<Silence | undefined> {
    const raw = await this.store.get(silenceKey(target));
    const silence = raw ? parse(raw, silenceKey(target)) : undefined;
    return silence && silence.until > this.now() ? silence : undefined;
  }

  async remove(target: SilenceTarget): Promise<boolean> {
    const existed = (await this.store.take(silenceKey(target))) !== null;
    await this.store.set(INDEX, JSON.stringify((await this.keys()).filter((k) => k !== silenceKey(target))));
    return existed;
  }

  /** Every silence in force, read in two round trips (the index, then one MGET), to judge many checks at once. */
  async inForce(): Promise<SilencesInForce> {
    return new SilencesInForce(await this.read([...new Set([silenceKey({ kind: 'all' }), ...(await this.keys())])]));
  }

  async active(): Promise<Silence[]> {
    return (await this.inForce()).all();
  }

  private async read(keys: string[]): Promise<Map<string, Silence>> {
    const raws = await this.store.getMany(keys);
    const found = new Map<string, Silence>();
    raws.forEach((raw, i) => {
      const key = keys[i] as string;
      const silence = raw ? parse(raw, key) : undefined;
      // The key's TTL ends it in the store; `until` ends it for a clock that is not the store's.
      if (silence && silence.until > this.now()) found.set(key, silence);
    });
    return found;
  }

  private async keys(): Promise<string[]> {
    const raw = await this.store.get(INDEX);
    return raw ? (JSON.parse(raw) as string[]) : [];
  }
}

/** The key says what a silence covers (older records carry no target in their body). */
function parse(raw: string, key: string): Silence {
  const body = JSON.parse(raw) as Partial<Silence>;
  const [, kind, ...rest] = key.split(':');
  const target: SilenceTarget = kind === 'all' ? { kind: 'all' } : { kind: kind === 'check' ? 'check' : 'service', name: rest.join(':') };
  return { target, by: body.by ?? '?', reason: body.reason ?? '', until: body.until ?? 0 };
}
