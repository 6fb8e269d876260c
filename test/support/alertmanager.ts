import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis';

/** A real Alertmanager (Debian's prometheus-alertmanager) on loopback, posting to the bot's webhook. */
export class Alertmanager {
  private proc: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'mo-am-'));
  port = 0;
  log = '';

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Posting to the bot's webhook; `route` sets grouping and timing (the tests' default: by alertname, 1 s). */
  start(webhookUrl: string, token: string, route: { groupBy?: string[]; groupWait?: string; groupInterval?: string } = {}): Promise<this> {
    return this.startWith(`route:
  receiver: bot
  group_by: ${JSON.stringify(route.groupBy ?? ['alertname'])}
  group_wait: ${route.groupWait ?? '1s'}
  group_interval: ${route.groupInterval ?? '1s'}
  repeat_interval: 1h
receivers:
  - name: bot
    webhook_configs:
      - url: ${webhookUrl}
        send_resolved: true
        http_config:
          authorization:
            credentials: ${token}
`);
  }

  /** Starts with a configuration of the caller's (the storm benchmark's telegram_configs peer). */
  async startWith(config: string): Promise<this> {
    this.port = await freePort();
    writeFileSync(join(this.dir, 'alertmanager.yml'), config);
    this.proc = spawn('prometheus-alertmanager', [
      `--config.file=${join(this.dir, 'alertmanager.yml')}`,
      `--storage.path=${this.dir}`,
      `--web.listen-address=127.0.0.1:${this.port}`,
      '--cluster.listen-address=',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
    for (let i = 0; i < 100; i++) {
      const ready = await fetch(`${this.url}/-/ready`).then((r) => r.ok, () => false);
      if (ready) return this;
      if (this.proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`alertmanager did not start:\n${this.log}`);
  }

  /** Posts alerts through Alertmanager's own API, as vmalert would. */
  async post(alerts: { labels: Record<string, string>; annotations?: Record<string, string>; endsAt?: string }[]): Promise<void> {
    const res = await fetch(`${this.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
    if (!res.ok) throw new Error(`alertmanager refused the alerts: ${res.status} ${await res.text()}`);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p && p.exitCode === null) {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
