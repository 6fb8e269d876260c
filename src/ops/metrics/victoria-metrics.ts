import { OpsError, type MetricsHistory, type Sample } from '../ports';

type Result = { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] };

interface QueryAnswer {
  status: 'success' | 'error';
  error?: string;
  errorType?: string;
  data?: { resultType: string; result: Result[] };
}

/** VictoriaMetrics' Prometheus-compatible query API: instant queries for figures, range queries for charts. */
export class VictoriaMetricsHistory implements MetricsHistory {
  constructor(private readonly o: { url: string; timeoutMs?: number }) {}

  async meanOver(selector: string, rangeMs: number, at: number): Promise<number | undefined> {
    const seconds = Math.round(rangeMs / 1000);
    const result = await this.ask('query', { query: `avg_over_time((${selector})[${seconds}s])`, time: (at / 1000).toFixed(3) });
    const values = result.map((r) => Number(r.value?.[1])).filter(Number.isFinite);
    if (values.length === 0) return undefined;
    // Several series (a service probed at two URLs): their mean.
    return values.reduce((a, b) => a + b, 0) / values.length;
  }

  async rangeOf(query: string, from: number, to: number, stepMs: number): Promise<Sample[]> {
    const result = await this.ask('query_range', { query, start: (from / 1000).toFixed(3), end: (to / 1000).toFixed(3), step: `${Math.max(1, Math.round(stepMs / 1000))}s` });
    const byTime = new Map<number, { sum: number; n: number }>();
    for (const series of result) {
      for (const [t, v] of series.values ?? []) {
        const value = Number(v);
        if (!Number.isFinite(value)) continue;
        const at = Math.round(t * 1000);
        const slot = byTime.get(at) ?? { sum: 0, n: 0 };
        slot.sum += value;
        slot.n++;
        byTime.set(at, slot);
      }
    }
    return [...byTime].sort((a, b) => a[0] - b[0]).map(([at, s]) => ({ at, value: s.sum / s.n }));
  }

  private async ask(endpoint: 'query' | 'query_range', params: Record<string, string>): Promise<Result[]> {
    const timeoutMs = this.o.timeoutMs ?? 5_000;
    const url = `${this.o.url.replace(/\/+$/, '')}/api/v1/${endpoint}?${new URLSearchParams(params).toString()}`;
    let res: Response;
    let body: QueryAnswer | undefined;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      body = (await res.json().catch(() => undefined)) as QueryAnswer | undefined;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError') throw new OpsError('timeout', `VictoriaMetrics did not answer within ${timeoutMs / 1000} s`, 'is mana-victoriametrics running? /status victoriametrics');
      throw new OpsError('unreachable', `VictoriaMetrics is unreachable (${e.cause?.code ?? e.message})`, 'check victoria_metrics.url in the estate file and that mana-victoriametrics runs');
    }
    if (!body || body.status !== 'success') {
      throw new OpsError('failed', `VictoriaMetrics refused the query (${body?.errorType ?? `HTTP ${res.status}`}: ${(body?.error ?? '').slice(0, 200)})`, 'check victoria_metrics.probe_success and probe_duration in the estate file');
    }
    return body.data?.result ?? [];
  }
}
