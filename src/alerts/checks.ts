import { windowsUnitOf, type Catalog, type WindowsUnit } from '../config/catalog';
import { serviceCheckId } from '../estate/check-ids';
import type { Service } from '../config/schema';
import type { ContainerRuntime, ContainerSummary, DiskProbe, GpuHost, MacHost, Prober, TunnelApi } from '../ops/ports';
import { judgeBackups } from '../estate/backup-freshness';
import { diskLevel, usedPercent } from '../util/disk';
import { probeHttp, type Verdict } from '../estate/health';
import { judgeListed } from '../estate/service-state';
import { checkGpuBox } from './gpu-checks';
import { checkTunnels } from './tunnel-checks';

export interface CheckResult {
  ok: boolean;
  detail?: string;
}

/** One thing the monitor looks at on a schedule. */
export interface CheckDef {
  id: string;
  /** The estate service it belongs to, for silences, dependencies and the buttons. */
  service?: Service;
  label: string;
  intervalMs: number;
  timeoutMs: number;
  /** `deadline`: when (performance.now()) the result is due; network probes give up then, not later. */
  run(sweep: SweepContext, deadline?: number): Promise<CheckResult>;
}

/** How long a probe may still take before `deadline`, at most its own timeout (and never less than 1 ms). */
export const timeLeft = (timeoutMs: number, deadline: number | undefined) =>
  deadline === undefined ? timeoutMs : Math.max(1, Math.min(timeoutMs, Math.round(deadline - performance.now())));

export interface CheckDeps {
  catalog: Catalog;
  prober: Prober;
  disk: DiskProbe;
  docker: (host: string) => ContainerRuntime | undefined;
  gpu: GpuHost | undefined;
  tunnels: TunnelApi | undefined;
  /** The Mac Mini's own side (its wrapper), when the estate has mac_host and the bot its key. */
  mac?: MacHost | undefined;
}

/** Shared by the checks of one sweep: one container list per Docker host, whatever the number of services. */
export class SweepContext {
  private readonly lists = new Map<string, { asked: number; list: Promise<ContainerSummary[]> }>();
  /**
   * `freshMs`: a long-lived context (the monitor's) shares one container list per host among the checks that ask
   * within that long of each other, so 63 docker checks due together cost one list call, not 63.
   */
  constructor(
    readonly deps: CheckDeps,
    private readonly freshMs = Infinity,
  ) {}
  containers(host: string): Promise<ContainerSummary[]> {
    const now = performance.now();
    const held = this.lists.get(host);
    if (held && now - held.asked < this.freshMs) return held.list;
    const runtime = this.deps.docker(host);
    const list = runtime ? runtime.list() : Promise.reject(new Error(`no Docker host "${host}"`));
    list.catch(() => undefined);
    this.lists.set(host, { asked: now, list });
    return list;
  }
}

const DEFAULT_INTERVAL = 60_000;
// Redis answers +PONG to an inline PING; PostgreSQL answers an SSLRequest with one byte, S or N (pg_isready's round trip is no deeper).
const REDIS_PING = Buffer.from('PING\r\n');
const PG_SSL_REQUEST = Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]);

export function buildChecks(deps: CheckDeps): CheckDef[] {
  const { catalog, prober } = deps;
  const defs: CheckDef[] = [];
  for (const service of catalog.services) {
    service.checks.forEach((c, i) => {
      const id = serviceCheckId(service, i);
      const intervalMs = c.interval ?? DEFAULT_INTERVAL;
      switch (c.type) {
        case 'http':
          defs.push({
            id, service, intervalMs, timeoutMs: c.timeout, label: `HTTP ${c.url}`,
            run: async (_s, deadline) => fromVerdict(await probeHttp(c, prober, timeLeft(c.timeout, deadline))),
          });
          break;
        case 'tcp':
          defs.push({ id, service, intervalMs, timeoutMs: c.timeout, label: `TCP ${c.host}:${c.port}`, run: async (_s, deadline) => toResult(await prober.tcp(c.host, c.port, { timeoutMs: timeLeft(c.timeout, deadline) })) });
          break;
        case 'redis':
          defs.push({
            id, service, intervalMs, timeoutMs: 3_000, label: `Redis PING ${c.host}:${c.port}`,
            run: async (_s, deadline) => toResult(await prober.tcp(c.host, c.port, { timeoutMs: timeLeft(3_000, deadline), send: REDIS_PING, expect: (b) => (b.includes(13) ? b.toString().startsWith('+PONG') || b.toString().startsWith('-NOAUTH') : undefined) })),
          });
          break;
        case 'postgres':
          defs.push({
            id, service, intervalMs, timeoutMs: 3_000, label: `PostgreSQL ${c.host}:${c.port}`,
            run: async (_s, deadline) => toResult(await prober.tcp(c.host, c.port, { timeoutMs: timeLeft(3_000, deadline), send: PG_SSL_REQUEST, expect: (b) => b[0] === 0x53 || b[0] === 0x4e })),
          });
          break;
        case 'docker':
          defs.push({
            id, service, intervalMs, timeoutMs: 10_000, label: `container ${service.container ?? '?'}`,
            run: async (sweep) => {
              const judged = judgeListed(service, await sweep.containers(service.host));
              return judged.verdict.ok ? { ok: true } : { ok: false, detail: judged.problem ?? judged.verdict.reason ?? 'failed' };
            },
          });
          break;
      }
    });
  }
  const { warn, critical } = catalog.estate.disk_thresholds;
  for (const d of catalog.estate.disks) {
    defs.push({
      id: `disk:${d.label}`, intervalMs: 5 * 60_000, timeoutMs: 5_000, label: `disk ${d.label}`,
      run: async () => {
        const u = await deps.disk.usage(d.path);
        const pct = usedPercent(u);
        const level = diskLevel(pct, { warn, critical });
        if (level === 'ok') return { ok: true };
        return { ok: false, detail: `${pct}% full (${level} at ${level === 'critical' ? critical : warn}%)` };
      },
    });
  }
  const gpu = deps.gpu;
  const boxServices = catalog.services.filter((s) => s.host === 'gpu' && s.windows);
  if (gpu && boxServices.length) {
    const units = boxServices.map(windowsUnitOf).filter((u): u is WindowsUnit => u !== undefined);
    defs.push({
      id: 'gpu-box', intervalMs: DEFAULT_INTERVAL, timeoutMs: 15_000, label: 'the GPU box',
      run: async () => {
        const findings = await checkGpuBox(gpu, units, { vramRatio: 0.95, temperatureC: 85 });
        return findings.length ? { ok: false, detail: findings.map((f) => f.message).join('; ') } : { ok: true };
      },
    });
  }
  const mac = deps.mac;
  const macHost = catalog.estate.mac_host;
  if (mac && macHost) {
    defs.push({
      id: 'mac:backups', intervalMs: 15 * 60_000, timeoutMs: macHost.query_timeout + 2_000, label: 'the nightly PostgreSQL backup',
      run: async () => {
        const { files, missing } = await mac.backups();
        // A missing folder is judged with the SSD: "not mounted" says more than "no folder".
        const ssd = missing ? (await mac.status().catch(() => undefined))?.ssd : undefined;
        const verdict = judgeBackups(files, ssd, missing, Date.now(), macHost.backups);
        return verdict.ok ? { ok: true } : { ok: false, detail: verdict.problems.join('; ') };
      },
    });
  }
  const tunnels = deps.tunnels;
  if (tunnels && catalog.estate.tunnels.length) {
    defs.push({
      id: 'tunnels', intervalMs: 5 * 60_000, timeoutMs: 20_000, label: 'Cloudflare tunnels',
      run: async () => {
        const findings = await checkTunnels(tunnels, catalog.estate.tunnels);
        return findings.length ? { ok: false, detail: findings.map((f) => f.message).join('; ') } : { ok: true };
      },
    });
  }
  return defs;
}

function fromVerdict(v: Verdict): CheckResult {
  return v.ok ? { ok: true } : { ok: false, detail: v.reason ?? 'failed' };
}

function toResult(r: { ok: boolean; error?: string }): CheckResult {
  return r.ok ? { ok: true } : { ok: false, detail: r.error ?? 'failed' };
}
