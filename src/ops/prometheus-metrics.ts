import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metrics } from './ports';

/** The bot's metrics in Prometheus format (prom-client), scraped at GET /metrics. */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly commands = new Counter({ name: 'mana_ops_commands_total', help: 'Commands, denials and confirmations by name and result', labelNames: ['command', 'result'], registers: [this.registry] });
  private readonly checks = new Histogram({ name: 'mana_ops_check_duration_seconds', help: 'Check duration by check and result', labelNames: ['check', 'result'], buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10], registers: [this.registry] });
  private readonly open = new Gauge({ name: 'mana_ops_incidents', help: 'Open incidents by state', labelNames: ['state'], registers: [this.registry] });
  private readonly tgErrors = new Counter({ name: 'mana_ops_telegram_errors_total', help: 'Telegram Bot API errors by code', labelNames: ['code'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mana_ops_' });
  }

  command(name: string, result: string): void {
    this.commands.inc({ command: name, result });
  }

  check(id: string, ok: boolean, ms: number): void {
    this.checks.observe({ check: id, result: ok ? 'ok' : 'fail' }, ms / 1000);
  }

  incidents(firing: number, pending: number): void {
    this.open.set({ state: 'firing' }, firing);
    this.open.set({ state: 'pending' }, pending);
  }

  telegramError(code: number): void {
    this.tgErrors.inc({ code: String(code) });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
