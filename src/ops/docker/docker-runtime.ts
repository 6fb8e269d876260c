import type Docker from 'dockerode';
import { OpsError, type ContainerHealth, type ContainerInfo, type ContainerRuntime, type ContainerState } from '../ports';

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
  json?: { message?: string };
}

/**
 * ContainerRuntime on the Docker Engine API (dockerode); library errors become OpsErrors.
 * dockerode (with ssh2 behind it, ~13 MiB) is loaded on the first call, not at start-up.
 */
export class DockerRuntime implements ContainerRuntime {
  private client: Promise<Docker> | undefined;

  constructor(
    private readonly endpoint: string,
    private readonly timeoutMs = 30_000,
  ) {}

  private get docker(): Promise<Docker> {
    this.client ??= import('dockerode').then(({ default: Dockerode }) => new Dockerode({ ...dockerOptions(this.endpoint), timeout: this.timeoutMs }));
    return this.client;
  }

  private translate(err: unknown, container?: string): OpsError {
    const e = err as DockerodeError;
    const detail = e.json?.message ?? e.message ?? String(err);
    if (e.statusCode === 404) {
      return new OpsError('not_found', `container ${container ?? ''} does not exist`.trim(), 'it was never created: docker compose up -d <service> on the host', { cause: err });
    }
    if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'ECONNRESET') {
      return new OpsError('unreachable', `Docker is not reachable at ${this.endpoint} (${e.code})`, 'check that Colima/dockerd runs and the socket is mounted into the bot', { cause: err });
    }
    if (e.code === 'ETIMEDOUT' || /timeout/i.test(detail)) {
      return new OpsError('timeout', `Docker did not answer in time (${detail})`, 'Docker may be overloaded; try again', { cause: err });
    }
    if (e.statusCode === 409) return new OpsError('conflict', detail, undefined, { cause: err });
    return new OpsError('failed', `Docker: ${detail}`, undefined, { cause: err });
  }

  async inspect(container: string): Promise<ContainerInfo> {
    try {
      const info = await (await this.docker).getContainer(container).inspect();
      const started = info.State.StartedAt && !info.State.StartedAt.startsWith('0001') ? new Date(info.State.StartedAt) : undefined;
      return {
        name: info.Name.replace(/^\//, ''),
        state: info.State.Status as ContainerState,
        health: ((info.State as { Health?: { Status?: string } }).Health?.Status ?? 'none') as ContainerHealth,
        ...(started && { startedAt: started }),
        restartCount: info.RestartCount ?? 0,
        ...(info.State.Status === 'exited' && { exitCode: info.State.ExitCode }),
        image: info.Config.Image,
      };
    } catch (err) {
      throw this.translate(err, container);
    }
  }

  async restart(container: string, stopTimeoutSeconds: number): Promise<void> {
    try {
      await (await this.docker).getContainer(container).restart({ t: stopTimeoutSeconds });
    } catch (err) {
      throw this.translate(err, container);
    }
  }

  async ping(): Promise<void> {
    try {
      await (await this.docker).ping();
    } catch (err) {
      throw this.translate(err);
    }
  }
}
