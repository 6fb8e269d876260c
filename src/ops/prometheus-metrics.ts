import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metrics } from './ports';

/** The bot's metrics in Prometheus format (prom-client), scraped at GET /metrics. */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly commands = new Counter({ name: 'mana_ops_commands_total', help: 'Commands, denials and confirmations by name and result', labelNames: ['command', 'result'], registers: [this.registry] });
  private readonly checks = new Histogram({ name: 'mana_ops_check_duration_seconds', help: 'Check duration by check and result', labelNames: ['check', 'result'], buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10], registers: [this.registry] });
  private readonly open = new Gauge({ name: 'mana_ops_incidents', help: 'Open incidents by state', labelNames: ['state'], registers: [this.registry] });
  private readonly tgErrors = new Counter({ name: 'mana_ops_telegram_errors_total', help: 'Telegram Bot API errors by code', labelNames: ['code'], registers: [this.registry] });
  private readonly calls = new Histogram({ name: 'mana_ops_call_duration_seconds', help: 'Calls to Docker, the GPU box over SSH and Cloudflare by target, operation and result', labelNames: ['target', 'op', 'result'], buckets: [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30], registers: [this.registry] });

  private readonly outsiders = new Counter({ name: 'mana_ops_outsider_messages_total', help: 'Messages from people not on the allowlist: noted (audited, answered) or muted by the throttle', labelNames: ['outcome'], registers: [this.registry] });

  private outboxDepth: () => number = () => 0;
  private telegramDownSince: () => number | undefined = () => undefined;

  constructor() {
    // The event-loop lag is sampled every 100 ms, not prom-client's 10: a hundred wake-ups a second were most of the
    // bot's CPU at rest (15.5 ms/s against 9.5 now; the bare grammY bot 5), and a block of 100 ms or more still shows.
    collectDefaultMetrics({ register: this.registry, prefix: 'mana_ops_', eventLoopMonitoringPrecision: 100 });
    const depth = () => this.outboxDepth();
    new Gauge({
      name: 'mana_ops_outbox_depth',
      help: 'Alert messages and edits queued for Telegram, not yet sent',
      registers: [this.registry],
      collect() {
        this.set(depth());
      },
    });
    const down = () => this.telegramDownSince();
    new Gauge({
      name: 'mana_ops_telegram_reachable',
      help: 'Whether the Bot API answered the last call (1) or has been away since a failed one (0)',
      registers: [this.registry],
      collect() {
        this.set(down() === undefined ? 1 : 0);
      },
    });
    new Gauge({
      name: 'mana_ops_telegram_unreachable_seconds',
      help: 'How long the Bot API has been away (0 while it answers)',
      registers: [this.registry],
      collect() {
        const since = down();
        this.set(since === undefined ? 0 : (Date.now() - since) / 1000);
      },
    });
  }

  /** Where Telegram's reachability is read at each scrape: since when it has been away, if it is. */
  measureTelegram(downSince: () => number | undefined): void {
    this.telegramDownSince = downSince;
  }

  /** Where the outbox depth is read at each scrape: the notifier, made after the metrics. */
  measureOutbox(depth: () => number): void {
    this.outboxDepth = depth;
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

  call(target: string, op: string, ok: boolean, ms: number): void {
    this.calls.observe({ target, op, result: ok ? 'ok' : 'fail' }, ms / 1000);
  }

  outsider(outcome: 'noted' | 'muted'): void {
    this.outsiders.inc({ outcome });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
