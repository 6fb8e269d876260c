import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis';

/** A real VictoriaMetrics (Debian's package) on a free loopback port, its data in a folder of its own. */
export class VictoriaMetricsServer {
  private proc: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'mo-vm-'));
  port = 0;

  /** `flags`: more of VictoriaMetrics' own, such as -search.maxPointsPerTimeseries=1000. */
  constructor(private readonly flags: string[] = []) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port = await freePort();
    // latencyOffset 0: samples are searchable as soon as they are flushed, not 30 s later.
    this.proc = spawn('victoria-metrics', [`-httpListenAddr=127.0.0.1:${this.port}`, `-storageDataPath=${this.dir}`, '-retentionPeriod=100y', '-search.latencyOffset=0s', '-loggerLevel=ERROR', ...this.flags], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    this.proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    for (let i = 0; i < 100; i++) {
      if (this.proc.exitCode !== null) throw new Error(`victoria-metrics exited: ${err}`);
      const ok = await fetch(`${this.url}/health`).then((r) => r.ok, () => false);
      if (ok) return this;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`victoria-metrics did not answer: ${err}`);
  }

  /** Samples in Prometheus' text format with their times (ms), then flushed so that queries see them. */
  async import(lines: string[]): Promise<void> {
    for (let i = 0; i < lines.length; i += 20_000) {
      const res = await fetch(`${this.url}/api/v1/import/prometheus`, { method: 'POST', body: `${lines.slice(i, i + 20_000).join('\n')}\n` });
      if (!res.ok) throw new Error(`import: HTTP ${res.status} ${await res.text()}`);
    }
    await fetch(`${this.url}/internal/force_flush`);
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
