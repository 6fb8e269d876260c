import type { Catalog } from '../config/catalog';
import type { Service } from '../config/schema';
import { OpsError, type MetricsHistory } from '../ops/ports';
import type { CheckHistory } from './check-history';
import { httpCheckIdOf } from './check-ids';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** Where a service's history is read: the estate's recorded probes, and the bot's own check results. */
export interface HistorySources {
  catalog: Catalog;
  /** VictoriaMetrics, when the estate has victoria_metrics. */
  metrics?: MetricsHistory | undefined;
  /** The monitor's results, kept in memory. */
  checks?: CheckHistory | undefined;
}

export type HistorySource = 'probes' | 'checks';

export const SOURCE_NAMES: Record<HistorySource, string> = { probes: 'Blackbox probes', checks: "the bot's own checks" };

/** What the Blackbox Exporter probes for a service: its probe_target, or its first HTTP check's URL. */
export function probeTargetOf(service: Service): string | undefined {
  return service.probe_target ?? service.checks.find((c) => c.type === 'http')?.url;
}

/** Why a service has no response time to chart (no HTTP check and no probe_target), or undefined when it has one. */
export function noHistoryReason(service: Service): string | undefined {
  return probeTargetOf(service) === undefined ? `${service.name} has no HTTP check and no probe_target: there is no response time to chart` : undefined;
}

/** A series template of the estate file with the service's probe target in it, quoted for PromQL. */
function selectorOf(template: string, service: Service): string | undefined {
  const target = probeTargetOf(service);
  return target === undefined ? undefined : template.replaceAll('{target}', target.replace(/["\\]/g, '\\$&'));
}

export type UptimeFigures =
  | { source: HistorySource; d1: number | undefined; d7: number | undefined; since?: number }
  | { error: string }
  | undefined;

/**
 * A service's uptime over 24 h and 7 d: from the recorded probes where the estate has them, else from the bot's own
 * checks (since when they are held). Undefined where neither has anything for it.
 */
export async function uptimeOf(src: HistorySources, service: Service, now: number): Promise<UptimeFigures> {
  const vm = src.catalog.estate.victoria_metrics;
  const selector = vm && selectorOf(vm.probe_success, service);
  if (vm && src.metrics && selector) {
    try {
      const [d1, d7] = await Promise.all([src.metrics.meanOver(selector, DAY, now), src.metrics.meanOver(selector, 7 * DAY, now)]);
      return { source: 'probes', d1, d7 };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }
  const checkId = httpCheckIdOf(service);
  const since = checkId === undefined ? undefined : src.checks?.since(checkId, now);
  if (!src.checks || checkId === undefined || since === undefined) return undefined;
  const d1 = src.checks.meanUp(checkId, now - DAY, now, now);
  const d7 = now - since > DAY ? src.checks.meanUp(checkId, now - 7 * DAY, now, now) : undefined;
  return { source: 'checks', d1, d7, since };
}

/** "99.93 %": two decimals, never rounded up to 100 while anything was down. */
export function formatUptime(share: number): string {
  const pct = Math.floor(share * 10_000) / 100;
  return `${pct.toFixed(2)} %`;
}

/** One step of a chart: from `from` to `to`, the share of probes that succeeded and their mean time. */
export interface SeriesPoint {
  from: number;
  to: number;
  up?: number;
  seconds?: number;
}

export interface ServiceSeries {
  source: HistorySource;
  from: number;
  to: number;
  stepMs: number;
  points: SeriesPoint[];
  /** The source asked first and why it gave nothing (the chart then comes from the bot's own checks). */
  fallbackFrom?: { source: HistorySource; error: string; away: boolean };
}

/** No series: why, and whether VictoriaMetrics was away (down or slow), so asking it again now is no use. */
export interface NoSeries {
  error: string;
  metricsAway?: boolean;
}

/** A chart has about one point per two pixels of its plot: never more than this many steps. */
export const CHART_POINTS = 720;
const NICE_STEPS = [15_000, 30_000, MIN, 2 * MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 6 * HOUR, DAY];

/**
 * The step for a chart over `rangeMs`: the finest round step giving at most CHART_POINTS points, never finer than
 * the probes are taken. VictoriaMetrics refuses a range query with more points per series than its
 * -search.maxPointsPerTimeseries (30,000 by default): 7 d at the scrape interval (15 s) would be 40,320.
 */
export function stepFor(rangeMs: number, finestMs = 15_000): number {
  return NICE_STEPS.find((s) => s >= finestMs && rangeMs / s <= CHART_POINTS) ?? DAY;
}

/** A service's response time and downtime over the `rangeMs` before `now`, in chart steps. */
export async function seriesOf(src: HistorySources, service: Service, rangeMs: number, now: number): Promise<ServiceSeries | NoSeries> {
  const vm = src.catalog.estate.victoria_metrics;
  const success = vm && selectorOf(vm.probe_success, service);
  const duration = vm && selectorOf(vm.probe_duration, service);
  let fallbackFrom: ServiceSeries['fallbackFrom'];
  if (src.metrics && success && duration) {
    const stepMs = stepFor(rangeMs);
    // Aligned to the step, so the same chart asked twice shows the same points.
    const to = Math.floor(now / stepMs) * stepMs;
    const from = to - Math.floor(rangeMs / stepMs) * stepMs + stepMs;
    const window = `${stepMs / 1000}s`;
    try {
      const [ups, secs] = await Promise.all([
        src.metrics.rangeOf(`avg_over_time((${success})[${window}])`, from, to, stepMs),
        src.metrics.rangeOf(`avg_over_time((${duration})[${window}])`, from, to, stepMs),
      ]);
      // Each value covers the step that ends at its time.
      const points = new Map<number, SeriesPoint>();
      const at = (t: number) => points.get(t) ?? points.set(t, { from: t - stepMs, to: t }).get(t)!;
      for (const s of ups) at(s.at).up = s.value;
      for (const s of secs) at(s.at).seconds = s.value;
      return { source: 'probes', from: from - stepMs, to, stepMs, points: [...points.values()].sort((a, b) => a.from - b.from) };
    } catch (err) {
      const away = err instanceof OpsError && (err.code === 'unreachable' || err.code === 'timeout');
      fallbackFrom = { source: 'probes', error: (err as Error).message, away };
    }
  }
  const checkId = httpCheckIdOf(service);
  if (!src.checks || !checkId || src.checks.since(checkId, now) === undefined) {
    const why = checkId ? `the bot has no results of ${service.name}'s HTTP check yet` : `${service.name} is only probed by the Blackbox Exporter, and this bot reads no VictoriaMetrics`;
    return { ...(fallbackFrom?.away && { metricsAway: true }), error: fallbackFrom?.error ?? why };
  }
  const stepMs = stepFor(rangeMs, src.checks.resolutionAt(now - rangeMs, now));
  const to = Math.ceil(now / stepMs) * stepMs;
  const from = to - Math.ceil(rangeMs / stepMs) * stepMs;
  const points = src.checks.series(checkId, from, to, stepMs, now).map((p) => ({ from: p.at, to: p.at + stepMs, up: p.up, seconds: p.ms / 1000 }));
  return { source: 'checks', from, to, stepMs, points, ...(fallbackFrom && { fallbackFrom }) };
}
