import { OpsError, type MetricsHistory } from '../ports';

interface QueryAnswer {
  status: 'success' | 'error';
  error?: string;
  errorType?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

/** VictoriaMetrics' Prometheus-compatible query API: one instant query per figure. */
export class VictoriaMetricsHistory implements MetricsHistory {
  constructor(private readonly o: { url: string; timeoutMs?: number }) {}

  async meanOver(selector: string, rangeMs: number, at: number): Promise<number | undefined> {
    const seconds = Math.round(rangeMs / 1000);
    const query = `avg_over_time((${selector})[${seconds}s])`;
    const url = `${this.o.url.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}&time=${(at / 1000).toFixed(3)}`;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.o.timeoutMs ?? 5_000) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError') throw new OpsError('timeout', `VictoriaMetrics did not answer within ${(this.o.timeoutMs ?? 5_000) / 1000} s`, 'is mana-victoriametrics running? /status victoriametrics');
      throw new OpsError('unreachable', `VictoriaMetrics is unreachable (${e.cause?.code ?? e.message})`, 'check victoria_metrics.url in the estate file and that mana-victoriametrics runs');
    }
    const body = (await res.json().catch(() => undefined)) as QueryAnswer | undefined;
    if (!body || body.status !== 'success') {
      throw new OpsError('failed', `VictoriaMetrics refused the query (${body?.errorType ?? `HTTP ${res.status}`}: ${(body?.error ?? '').slice(0, 200)})`, 'check victoria_metrics.probe_success in the estate file');
    }
    const values = (body.data?.result ?? []).map((r) => Number(r.value[1])).filter(Number.isFinite);
    if (values.length === 0) return undefined;
    // Several series (a service probed at two URLs): their mean.
    return values.reduce((a, b) => a + b, 0) / values.length;
  }
}
