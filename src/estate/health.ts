import type { Check, Service } from '../config/schema';
import type { ContainerHealth, ContainerState, Prober, WindowsUnitState } from '../ops/ports';

/**
 * The one judgement of health. `/status`, the monitor's checks and restart verification all ask here, so
 * they cannot disagree about a container, an HTTP check or a Windows unit.
 */
export type HealthState = 'healthy' | 'starting' | 'unhealthy' | 'restarting' | 'down' | 'missing';

export interface Verdict {
  ok: boolean;
  state: HealthState;
  /** What is wrong (or, for `starting`, what it waits for), in the words the admin reads everywhere. */
  reason?: string;
}

/** What both Docker's list and inspect tell about a container. */
export interface ContainerView {
  state: ContainerState;
  health: ContainerHealth;
  exitCode?: number;
  oomKilled?: boolean;
  /** The last health probe's output, where inspect gave it. */
  healthOutput?: string;
}

export const HEALTHY: Verdict = { ok: true, state: 'healthy' };

function exitText(c: ContainerView): string {
  if (c.exitCode === undefined) return '';
  const killed = c.oomKilled ? ', OOM killed' : c.exitCode === 137 ? ', killed/OOM' : '';
  return ` (exit ${c.exitCode}${killed})`;
}

/** A container's health from Docker's own words: its state and, where it has one, its healthcheck. */
export function judgeContainer(c: ContainerView | undefined, name: string): Verdict {
  if (!c) return { ok: false, state: 'missing', reason: `no container ${name} (never created, or removed)` };
  switch (c.state) {
    case 'running':
      if (c.health === 'unhealthy') {
        const out = c.healthOutput?.trim().slice(0, 200);
        return { ok: false, state: 'unhealthy', reason: `Docker healthcheck says unhealthy${out ? `: ${out}` : ''}` };
      }
      if (c.health === 'starting') return { ok: true, state: 'starting', reason: 'Docker healthcheck still starting' };
      return HEALTHY;
    case 'restarting':
      return { ok: false, state: 'restarting', reason: `restarting${exitText(c)}` };
    case 'created':
      return { ok: false, state: 'down', reason: 'created but never started' };
    case 'exited':
    case 'dead':
      return { ok: false, state: 'down', reason: `${c.state}${exitText(c)}` };
    default:
      return { ok: false, state: 'down', reason: c.state };
  }
}

/** A unit on the GPU box (Scheduled Task or Windows Service) from its state. */
export function judgeUnit(u: WindowsUnitState | undefined): Verdict {
  if (!u) return { ok: false, state: 'missing', reason: 'not found on the GPU box' };
  if (u.error) return { ok: false, state: 'missing', reason: `cannot read: ${u.error}` };
  if (u.running) return HEALTHY;
  const result = u.kind === 'task' && u.lastResult ? ` · ${u.lastResult}` : '';
  return { ok: false, state: 'down', reason: `${u.state}${result}` };
}

type HttpCheck = Extract<Check, { type: 'http' }>;

/** A service's HTTP checks from the estate file. */
export const httpChecksOf = (service: Service): HttpCheck[] => service.checks.filter((c): c is HttpCheck => c.type === 'http');

/** One HTTP check, as the monitor and everyone else judge it: status, body, latency limit. The reason names no URL (the check's label does). */
export async function probeHttp(check: HttpCheck, prober: Prober, timeoutCapMs = Number.POSITIVE_INFINITY): Promise<Verdict> {
  const r = await prober.http(check.url, {
    timeoutMs: Math.min(check.timeout, timeoutCapMs),
    expectStatus: check.expect_status,
    ...(check.body_contains !== undefined && { bodyContains: check.body_contains }),
  });
  if (!r.ok) return { ok: false, state: 'unhealthy', reason: r.error ?? 'failed' };
  if (check.max_latency !== undefined && r.ms > check.max_latency) {
    return { ok: false, state: 'unhealthy', reason: `slow: ${r.ms} ms (limit ${check.max_latency} ms)` };
  }
  return HEALTHY;
}

/** All of a service's HTTP checks at once: the first failure, or healthy; undefined when it has none. */
export async function probeService(service: Service, prober: Prober, timeoutCapMs?: number): Promise<Verdict | undefined> {
  const checks = httpChecksOf(service);
  if (checks.length === 0) return undefined;
  const verdicts = await Promise.all(checks.map((c) => probeHttp(c, prober, timeoutCapMs)));
  const failed = verdicts.findIndex((v) => !v.ok);
  if (failed >= 0) return { ...(verdicts[failed] as Verdict), reason: `HTTP ${checks[failed]?.url}: ${verdicts[failed]?.reason}` };
  return { ok: true, state: 'healthy', reason: `its check ${checks[0]?.url}` };
}

/** A running unit or container is only as healthy as its own HTTP checks say. */
export function combine(base: Verdict, http: Verdict | undefined): Verdict {
  if (!base.ok || !http || http.ok) return base;
  return http;
}
