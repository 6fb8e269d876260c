import type Docker from 'dockerode';
import type { IncomingMessage } from 'node:http';
import {
  OpsError,
  type ContainerEvent,
  type ContainerEventAction,
  type ContainerHealth,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerState,
  type ContainerStats,
  type ContainerSummary,
  type DockerDiskUsage,
  type LogLine,
  type LogQuery,
} from '../ports';
import { demultiplex, rawLines } from './log-stream';
import { computeStats, parseStatusText, summariseDiskUsage } from './parse';

/** dockerode options for `unix:///path` or `tcp://host:port`. */
export function dockerOptions(endpoint: string): Docker.DockerOptions {
  if (endpoint.startsWith('unix://')) return { socketPath: endpoint.slice('unix://'.length) };
  const url = new URL(endpoint.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port), protocol: 'http' };
}

interface DockerodeError {
  statusCode?: number;
  code?: string;
  message?: string;
  json?: { message?: string } | null;
  reason?: string;
}

const EVENT_ACTIONS = new Set<ContainerEventAction>(['start', 'die', 'oom', 'kill', 'stop', 'restart']);

/**
 * ContainerRuntime on the Docker Engine API (dockerode); library errors become OpsErrors.
 * dockerode (with ssh2 behind it, ~13 MiB) is loaded on the first call, not at start-up.
 */
export class DockerRuntime implements ContainerRuntime {
  private client: Promise<Docker> | undefined;

  constructor(
    private readonly endpoint: string,
    private readonly timeoutMs = 60_000,
  ) {}

  private get docker(): Promise<Docker> {
    this.client ??= import('dockerode').then(({ default: Dockerode }) => new Dockerode({ ...dockerOptions(this.endpoint), timeout: this.timeoutMs }));
    return this.client;
  }

  private translate(err: unknown, container?: string): OpsError {
    if (err instanceof OpsError) return err;
    const e = err as DockerodeError;
    const detail = e.json?.message ?? e.message ?? String(err);
    if (e.statusCode === 404) {
      return new OpsError('not_found', `container ${container ?? ''} does not exist`.trim(), 'it was never created or was removed: docker compose up -d <service> on the host', { cause: err });
    }
    if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'ECONNRESET' || e.code === 'EPIPE') {
      return new OpsError('unreachable', `Docker unreachable at ${this.endpoint} (${e.code})`, 'check that Colima/dockerd runs and the socket is mounted into the bot', { cause: err });
    }
    if (e.code === 'ETIMEDOUT' || /timeout/i.test(detail)) {
      return new OpsError('timeout', `Docker did not answer in time (${detail})`, 'Docker may be overloaded; try again in a minute', { cause: err });
    }
    if (e.statusCode === 409) return new OpsError('conflict', detail, undefined, { cause: err });
    return new OpsError('failed', `Docker: ${detail}`, undefined, { cause: err });
  }

  private async call<T>(container: string | undefined, op: (docker: Docker) => Promise<T>): Promise<T> {
    try {
      return await op(await this.docker);
    } catch (err) {
      throw this.translate(err, container);
    }
  }

  list(): Promise<ContainerSummary[]> {
    return this.call(undefined, async (docker) => {
      const rows = await docker.listContainers({ all: true });
      return rows.map((r) => ({
        id: r.Id,
        name: (r.Names[0] ?? r.Id).replace(/^\//, ''),
        image: r.Image,
        state: r.State as ContainerState,
        status: r.Status,
        createdAt: new Date(r.Created * 1000),
        ...parseStatusText(r.Status),
      }));
    });
  }

  inspect(container: string): Promise<ContainerInfo> {
    return this.call(container, async (docker) => {
      const info = await docker.getContainer(container).inspect();
      const date = (s: string | undefined) => (s && !s.startsWith('0001') ? new Date(s) : undefined);
      const startedAt = date(info.State.StartedAt);
      const finishedAt = date(info.State.FinishedAt);
      const health = (info.State as { Health?: { Status?: string; Log?: { ExitCode: number; Output: string; End: string }[] } }).Health;
      const last = health?.Log?.at(-1);
      const bindings = (info.HostConfig.PortBindings ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[] | null>;
      const ports =
        info.HostConfig.NetworkMode === 'host'
          ? ['host network']
          : Object.entries(bindings).flatMap(([port, hosts]) =>
              (hosts ?? []).map((h) => `${h.HostIp || '0.0.0.0'}:${h.HostPort}->${port}`),
            );
      return {
        name: info.Name.replace(/^\//, ''),
        state: info.State.Status as ContainerState,
        health: (health?.Status ?? 'none') as ContainerHealth,
        ...(startedAt && { startedAt }),
        ...(finishedAt && { finishedAt }),
        restartCount: info.RestartCount ?? 0,
        ...(info.State.Status !== 'running' && { exitCode: info.State.ExitCode }),
        oomKilled: info.State.OOMKilled,
        image: info.Config.Image,
        tty: info.Config.Tty,
        ...(info.HostConfig.Memory ? { memoryLimit: info.HostConfig.Memory } : {}),
        ports,
        ...(last && { lastHealthProbe: { exitCode: last.ExitCode, output: last.Output.trim(), at: new Date(last.End) } }),
      };
    });
  }

  stats(container: string, options: { cpu?: boolean } = {}): Promise<ContainerStats> {
    return this.call(container, async (docker) => {
      const c = docker.getContainer(container);
      // one-shot (API 1.41) lets newer engines answer with one sample, enough for memory; 20.10 still
      // waits ~1 s for its collector. CPU% always needs the second sample.
      // The stats' limit is the host's memory when the container has none: only inspect can tell them apart.
      const [raw, info] = await Promise.all([
        c.stats({ stream: false, ...(options.cpu ? {} : { 'one-shot': true }) } as { stream: false }),
        c.inspect(),
      ]);
      const hasLimit = (info.HostConfig.Memory ?? 0) > 0;
      return computeStats(raw as Parameters<typeof computeStats>[0], hasLimit);
    });
  }

  async *logs(container: string, query: LogQuery, signal?: AbortSignal): AsyncIterable<LogLine> {
    const info = await this.inspect(container);
    const body = await this.call(container, (docker) =>
      new Promise<IncomingMessage>((resolve, reject) => {
        // dial with isStream gives the response body as a stream (dockerode's logs() buffers it all).
        docker.modem.dial(
          {
            path: `/containers/${encodeURIComponent(container)}/logs?`,
            method: 'GET',
            options: {
              stdout: true,
              stderr: true,
              timestamps: true,
              ...(query.tail !== undefined && { tail: String(query.tail) }),
              ...(query.since && { since: Math.floor(query.since.getTime() / 1000) }),
            },
            isStream: true,
            statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
          },
          (err: unknown, res: unknown) => (err ? reject(err) : resolve(res as IncomingMessage)),
        );
      }),
    );
    const abort = () => body.destroy();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      yield* info.tty ? rawLines(body, true) : demultiplex(body, true);
    } catch (err) {
      if (signal?.aborted) throw new OpsError('timeout', 'reading the log took too long', 'ask for fewer lines or a shorter since=');
      throw this.translate(err, container);
    } finally {
      signal?.removeEventListener('abort', abort);
      body.destroy();
    }
  }

  async restart(container: string, stopTimeoutSeconds: number): Promise<void> {
    await this.call(container, (docker) => docker.getContainer(container).restart({ t: stopTimeoutSeconds }));
  }

  diskUsage(): Promise<DockerDiskUsage> {
    return this.call(undefined, async (docker) => summariseDiskUsage(await docker.df()));
  }

  async *events(signal: AbortSignal): AsyncIterable<ContainerEvent> {
    const stream = (await this.call(undefined, (docker) =>
      docker.getEvents({ filters: { type: ['container'] } }),
    )) as NodeJS.ReadableStream & { destroy(): void };
    const stop = () => stream.destroy();
    signal.addEventListener('abort', stop, { once: true });
    let rest = '';
    try {
      for await (const chunk of stream) {
        rest += chunk.toString();
        let nl: number;
        while ((nl = rest.indexOf('\n')) >= 0) {
          const line = rest.slice(0, nl).trim();
          rest = rest.slice(nl + 1);
          const event = line ? toEvent(JSON.parse(line)) : undefined;
          if (event) yield event;
        }
      }
    } catch (err) {
      if (!signal.aborted) throw this.translate(err);
    } finally {
      signal.removeEventListener('abort', stop);
      stream.destroy();
    }
  }

  async ping(): Promise<void> {
    await this.call(undefined, (docker) => docker.ping());
  }
}

interface RawEvent {
  Type?: string;
  Action?: string;
  time?: number;
  timeNano?: number;
  Actor?: { Attributes?: Record<string, string> };
}

/** The container events the alerts care about; exec_* and the rest are dropped. */
export function toEvent(raw: RawEvent): ContainerEvent | undefined {
  if (raw.Type !== 'container' || !raw.Action) return undefined;
  const attrs = raw.Actor?.Attributes ?? {};
  const container = attrs.name;
  if (!container) return undefined;
  const at = new Date(raw.timeNano ? raw.timeNano / 1e6 : (raw.time ?? 0) * 1000);
  if (raw.Action.startsWith('health_status')) {
    const health = raw.Action.endsWith('unhealthy') ? 'unhealthy' : raw.Action.endsWith('healthy') ? 'healthy' : undefined;
    return health ? { container, action: 'health_status', at, health } : undefined;
  }
  if (!EVENT_ACTIONS.has(raw.Action as ContainerEventAction)) return undefined;
  return {
    container,
    action: raw.Action as ContainerEventAction,
    at,
    ...(attrs.exitCode !== undefined && { exitCode: Number(attrs.exitCode) }),
  };
}
