import type { Catalog } from '../config/catalog';
import type { Service } from '../config/schema';
import type { ContainerRuntime, ContainerSummary, Prober } from '../ops/ports';
import { OpsError } from '../ops/ports';
import { combine, judgeContainer, probeService, type Verdict } from './health';

/** A Docker service of the estate file next to what Docker (and its own HTTP checks) say about it. */
export interface ServiceState {
  service: Service;
  container?: ContainerSummary;
  verdict: Verdict;
  /** What is wrong, in a few words, with Docker's timing; undefined when it is healthy. */
  problem?: string;
  /** Restart count from inspect, where it was asked for. */
  restarts?: number;
  /** Its Docker host did not answer: the problem is the host's, said once for all its services. */
  hostDown?: { host: string; error: OpsError };
}

export type Bucket = 'running' | 'stopped' | 'unhealthy' | 'restarting';

export function bucketOf(state: ServiceState): Bucket {
  switch (state.verdict.state) {
    case 'healthy':
    case 'starting':
      return 'running';
    case 'unhealthy':
      return 'unhealthy';
    case 'restarting':
      return 'restarting';
    default:
      return 'stopped';
  }
}

/** The verdict's reason with Docker's own timing ("· 5 minutes ago"). */
function problemOf(verdict: Verdict, c: ContainerSummary | undefined): string | undefined {
  if (verdict.ok) return undefined;
  if (!c || verdict.state === 'missing') return verdict.reason;
  const when = c.status
    .replace(/^Up /, 'up ')
    .replace(/ \((unhealthy|healthy|health: starting)\)$/, '')
    .replace(/^(Exited|Restarting) \(-?\d+\) /, '');
  return `${verdict.reason} · ${when}`;
}

/** One service against the container list of its host: the judgement `/status` and the monitor share. */
export function judgeListed(service: Service, list: readonly ContainerSummary[]): { verdict: Verdict; container?: ContainerSummary; problem?: string } {
  const container = list.find((c) => c.name === service.container);
  const verdict = judgeContainer(container, service.container as string);
  const problem = problemOf(verdict, container);
  return { verdict, ...(container && { container }), ...(problem && { problem }) };
}

/** With the list's few words: the HTTP checks of a running service are asked for this long at most. */
const STATUS_PROBE_CAP_MS = 3_000;

/**
 * The estate's Docker services on every host, each with its container (one list call per host) and, for
 * those running, their own HTTP checks: the same judgement the monitor makes. A host that cannot be reached
 * marks its own services and is listed in `unreachable`.
 */
export async function estateState(
  catalog: Catalog,
  docker: (host: string) => ContainerRuntime | undefined,
  prober?: Prober,
): Promise<{ states: ServiceState[]; unlisted: ContainerSummary[]; unreachable: OpsError[] }> {
  const dockerServices = catalog.services.filter((s) => s.container);
  const hosts = [...new Set(dockerServices.map((s) => s.host))];
  const lists = await Promise.all(
    hosts.map(async (host): Promise<readonly [string, ContainerSummary[] | OpsError]> => {
      const runtime = docker(host);
      if (!runtime) return [host, new OpsError('unreachable', `no Docker host "${host}" is configured`, 'add it under docker_hosts')] as const;
      try {
        return [host, await runtime.list()] as const;
      } catch (err) {
        return [host, err instanceof OpsError ? err : new OpsError('failed', String(err))] as const;
      }
    }),
  );
  const unreachable = lists.map(([, l]) => l).filter((l): l is OpsError => l instanceof OpsError);
  const byHost = new Map<string, ContainerSummary[] | OpsError>(lists);
  const known = new Set(dockerServices.map((s) => s.container));
  const states = await Promise.all(
    dockerServices.map(async (service): Promise<ServiceState> => {
      const listed = byHost.get(service.host);
      if (listed instanceof OpsError) return { service, verdict: { ok: false, state: 'down', reason: listed.message }, problem: listed.message, hostDown: { host: service.host, error: listed } };
      const judged = judgeListed(service, listed ?? []);
      if (!judged.verdict.ok || !prober) return { service, ...judged };
      const verdict = combine(judged.verdict, await probeService(service, prober, STATUS_PROBE_CAP_MS));
      const problem = problemOf(verdict, judged.container);
      return { service, verdict, ...(judged.container && { container: judged.container }), ...(problem && { problem }) };
    }),
  );
  const unlisted = [...byHost.values()].flatMap((l) => (l instanceof OpsError ? [] : l)).filter((c) => !known.has(c.name));
  return { states, unlisted, unreachable };
}

const JUST_STARTED = /^Up (Less than a second|\d+ seconds)/;

/**
 * Restart counts are only in inspect: asks for the containers in trouble, and for those that started
 * seconds ago, since a container caught between two crashes of a restart loop looks like it runs.
 */
export async function withRestartCounts(states: ServiceState[], docker: (host: string) => ContainerRuntime | undefined): Promise<ServiceState[]> {
  return Promise.all(
    states.map(async (s) => {
      const c = s.container;
      if (!c || (!s.problem && !JUST_STARTED.test(c.status))) return s;
      const info = await docker(s.service.host)?.inspect(c.name).catch(() => undefined);
      if (!info) return s;
      if (!s.problem && info.restartCount > 0) {
        const reason = `restart loop? ${c.status.toLowerCase()} after a crash`;
        return { ...s, restarts: info.restartCount, verdict: { ok: false, state: 'restarting', reason }, problem: reason };
      }
      return { ...s, restarts: info.restartCount };
    }),
  );
}
