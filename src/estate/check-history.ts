/** One stretch of a check's history: how many results, how many ok, their mean duration. */
export interface HistoryPoint {
  at: number;
  /** Share of ok results, 0..1. */
  up: number;
  /** Mean time the check took, ms. */
  ms: number;
}

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Per check: minutes for the last 26 hours, quarter hours for the last 7 days and an hour. */
const TIERS = [
  { bucketMs: MIN, spanMs: 26 * HOUR },
  { bucketMs: 15 * MIN, spanMs: 7 * 24 * HOUR + HOUR },
] as const;

/** Results of one check at one resolution, in a ring of buckets: a fixed size whatever the number of results. */
class Ring {
  private readonly size: number;
  /** Which bucket (at / bucketMs) each slot holds now; -1 for none. */
  private readonly bucket: Float64Array;
  private readonly count: Uint32Array;
  private readonly ok: Uint32Array;
  private readonly msSum: Float64Array;

  constructor(readonly bucketMs: number, readonly spanMs: number) {
    this.size = Math.ceil(spanMs / bucketMs);
    this.bucket = new Float64Array(this.size).fill(-1);
    this.count = new Uint32Array(this.size);
    this.ok = new Uint32Array(this.size);
    this.msSum = new Float64Array(this.size);
  }

  add(at: number, ok: boolean, ms: number): void {
    const b = Math.floor(at / this.bucketMs);
    const slot = b % this.size;
    if (this.bucket[slot] !== b) {
      this.bucket[slot] = b;
      this.count[slot] = 0;
      this.ok[slot] = 0;
      this.msSum[slot] = 0;
    }
    this.count[slot]! += 1;
    if (ok) this.ok[slot]! += 1;
    this.msSum[slot]! += ms;
  }

  /** Totals of the buckets that start in [from, to), grouped into steps of `stepMs` from `from`. */
  collect(from: number, to: number, stepMs: number, into: Map<number, { n: number; ok: number; ms: number }>): void {
    for (let b = Math.floor(from / this.bucketMs); b * this.bucketMs < to; b++) {
      const slot = b % this.size;
      const n = this.count[slot] ?? 0;
      if (this.bucket[slot] !== b || n === 0 || b * this.bucketMs < from) continue;
      const step = from + Math.floor((b * this.bucketMs - from) / stepMs) * stepMs;
      const t = into.get(step) ?? { n: 0, ok: 0, ms: 0 };
      t.n += n;
      t.ok += this.ok[slot] ?? 0;
      t.ms += this.msSum[slot] ?? 0;
      into.set(step, t);
    }
  }

  /** The first time with a result still held, or undefined. */
  earliest(now: number): number | undefined {
    let first: number | undefined;
    for (let i = 0; i < this.size; i++) {
      const b = this.bucket[i] ?? -1;
      if (b < 0 || (this.count[i] ?? 0) === 0 || b * this.bucketMs < now - this.spanMs) continue;
      if (first === undefined || b * this.bucketMs < first) first = b * this.bucketMs;
    }
    return first;
  }
}

/**
 * The bot's own check results, kept in memory, bounded and downsampled (about 27 KB per check), so that charts and
 * uptime have a source where the estate has no VictoriaMetrics (the console default). Lost when the bot stops.
 */
export class CheckHistory {
  private readonly rings = new Map<string, Ring[]>();

  record(checkId: string, at: number, ok: boolean, ms: number): void {
    let rings = this.rings.get(checkId);
    if (!rings) {
      rings = TIERS.map((t) => new Ring(t.bucketMs, t.spanMs));
      this.rings.set(checkId, rings);
    }
    for (const r of rings) r.add(at, ok, ms);
  }

  /** Forgets the checks the estate no longer has. */
  keepOnly(checkIds: Iterable<string>): void {
    const keep = new Set(checkIds);
    for (const id of this.rings.keys()) if (!keep.has(id)) this.rings.delete(id);
  }

  /** The finest resolution that still holds `from`. */
  private ringFor(checkId: string, from: number, now: number): Ring | undefined {
    const rings = this.rings.get(checkId);
    return rings?.find((r) => from >= now - r.spanMs) ?? rings?.at(-1);
  }

  /** The step a series from `from` will have at least: the resolution it is held at. */
  resolutionAt(from: number, now: number): number {
    return (TIERS.find((t) => from >= now - t.spanMs) ?? TIERS[TIERS.length - 1]!).bucketMs;
  }

  /** The check's results from `from` to `to` in steps of `stepMs` (a step without results is left out). */
  series(checkId: string, from: number, to: number, stepMs: number, now = to): HistoryPoint[] {
    const ring = this.ringFor(checkId, from, now);
    if (!ring) return [];
    const steps = new Map<number, { n: number; ok: number; ms: number }>();
    ring.collect(from, to, Math.max(stepMs, ring.bucketMs), steps);
    return [...steps].sort((a, b) => a[0] - b[0]).map(([at, t]) => ({ at, up: t.ok / t.n, ms: t.ms / t.n }));
  }

  /** The share of ok results from `from` to `to`, or undefined with none. */
  meanUp(checkId: string, from: number, to: number, now = to): number | undefined {
    const ring = this.ringFor(checkId, from, now);
    if (!ring) return undefined;
    const steps = new Map<number, { n: number; ok: number; ms: number }>();
    ring.collect(from, to, to - from, steps);
    const t = steps.get(from);
    return t && t.n > 0 ? t.ok / t.n : undefined;
  }

  /** Since when this check's results are held, or undefined with none. */
  since(checkId: string, now: number): number | undefined {
    return this.rings.get(checkId)?.at(-1)?.earliest(now);
  }
}
