import type { Catalog } from '../config/catalog';
import type { Service } from '../config/schema';
import type { ContainerRuntime, ContainerSummary } from '../ops/ports';
import { OpsError } from '../ops/ports';

/** A Docker service of the estate file next to what Docker says about its container. */
export interface ServiceState {
  service: Service;
  container?: ContainerSummary;
  /** What is wrong, in a few words; undefined when it runs (and is healthy, if it has a healthcheck). */
  problem?: string;
  /** Restart count from inspect, where it was asked for. */
  restarts?: number;
}

export type Bucket = 'running' | 'stopped' | 'unhealthy' | 'restarting';

export function bucketOf(state: ServiceState): Bucket {
  const c = state.container;
  if (!c) return 'stopped';
  if (c.state === 'restarting') return 'restarting';
  if (c.state !== 'running') return 'stopped';
  if (c.health === 'unhealthy') return 'unhealthy';
  // Running with a problem: a restart loop caught between two crashes.
  return state.problem ? 'restarting' : 'running';
}

function problemOf(c: ContainerSummary | undefined, containerName: string): string | undefined {
  if (!c) return `no container ${containerName} (never created, or removed)`;
  if (c.state === 'running') return c.health === 'unhealthy' ? `unhealthy · ${c.status.replace(/ \(unhealthy\)$/, '').toLowerCase()}` : undefined;
  if (c.state === 'exited') return `exited (${c.exitCode ?? '?'})${c.exitCode === 137 ? ' killed/OOM' : ''} · ${c.status.replace(/^Exited \(-?\d+\) /, '')}`;
  if (c.state === 'restarting') return `restarting (last exit ${c.exitCode ?? '?'}) · ${c.status.replace(/^Restarting \(-?\d+\) /, '')}`;
  if (c.state === 'created') return 'created but never started';
  return c.state;
}

/**
 * The estate's Docker services on every host, each with its container (one list call per host).
 * A host that cannot be reached marks its own services and is listed in `unreachable`.
 */
export async function estateState(
  catalog: Catalog,
  docker: (host: string) => ContainerRuntime | undefined,
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
  const states = dockerServices.map((service): ServiceState => {
    const listed = byHost.get(service.host);
    if (listed instanceof OpsError) return { service, problem: listed.message };
    const container = listed?.find((c) => c.name === service.container);
    const problem = problemOf(container, service.container as string);
    return { service, ...(container && { container }), ...(problem && { problem }) };
  });
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
        return { ...s, restarts: info.restartCount, problem: `restart loop? ${c.status.toLowerCase()} after a crash` };
      }
      return { ...s, restarts: info.restartCount };
    }),
  );
}
