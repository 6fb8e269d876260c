import type { Catalog } from '../config/catalog';
import type { Service } from '../config/schema';
import type { MetricsHistory } from '../ops/ports';

const DAY = 86_400_000;

/** What the Blackbox Exporter probes for a service: its probe_target, or its first HTTP check's URL. */
export function probeTargetOf(service: Service): string | undefined {
  return service.probe_target ?? service.checks.find((c) => c.type === 'http')?.url;
}

export type UptimeFigures = { d1: number | undefined; d7: number | undefined } | { error: string } | undefined;

/** A service's uptime over 24 h and 7 d from the estate's recorded probes; undefined where nothing is recorded for it. */
export async function uptimeOf(catalog: Catalog, history: MetricsHistory | undefined, service: Service, now: number): Promise<UptimeFigures> {
  const vm = catalog.estate.victoria_metrics;
  const target = probeTargetOf(service);
  if (!vm || !history || !target) return undefined;
  const selector = vm.probe_success.replaceAll('{target}', target.replace(/["\\]/g, '\\$&'));
  try {
    const [d1, d7] = await Promise.all([history.meanOver(selector, DAY, now), history.meanOver(selector, 7 * DAY, now)]);
    return { d1, d7 };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** "99.93 %": two decimals, never rounded up to 100 while anything was down. */
export function formatUptime(share: number): string {
  const pct = Math.floor(share * 10_000) / 100;
  return `${pct.toFixed(2)} %`;
}
