import Docker from 'dockerode';

/** The private dockerd that scripts/test.sh starts; tests fail loudly if it is not there. */
export function testDocker(): { docker: Docker; socket: string; image: string } {
  const socket = process.env.MO_DOCKER_SOCK;
  const image = process.env.MO_TEST_IMAGE;
  if (!socket || !image) {
    throw new Error('MO_DOCKER_SOCK/MO_TEST_IMAGE are not set: run the tests with `npm test` (scripts/test.sh starts dockerd)');
  }
  return { docker: new Docker({ socketPath: socket }), socket, image };
}

export interface ContainerSpec {
  /** Shell script run by busybox sh; by default one that waits and stops promptly on SIGTERM. */
  cmd?: string;
  healthCmd?: string;
  healthIntervalMs?: number;
  /** `host` to serve on loopback ports; `none` otherwise (never a bridge: private ranges are off limits). */
  network?: 'host' | 'none';
  tty?: boolean;
  restart?: 'no' | 'always';
  memoryBytes?: number;
  /** Docker's init (tini) forwards SIGTERM; without a trap a container would wait out the stop timeout. */
  init?: boolean;
  start?: boolean;
  /** Names in the container's /etc/hosts, as compose's extra_hosts (`mana-ops:host-gateway`). */
  extraHosts?: string[];
}

export async function runContainer(docker: Docker, image: string, name: string, spec: ContainerSpec = {}): Promise<Docker.Container> {
  await docker.getContainer(name).remove({ force: true }).catch(() => undefined);
  const interval = (spec.healthIntervalMs ?? 200) * 1_000_000;
  const container = await docker.createContainer({
    name,
    Image: image,
    Cmd: ['sh', '-c', spec.cmd ?? "trap 'exit 0' TERM; while true; do sleep 1; done"],
    Tty: spec.tty ?? false,
    HostConfig: {
      NetworkMode: spec.network ?? 'none',
      Init: spec.init ?? true,
      ...(spec.extraHosts && { ExtraHosts: spec.extraHosts }),
      ...(spec.restart === 'always' && { RestartPolicy: { Name: 'always' } }),
      ...(spec.memoryBytes && { Memory: spec.memoryBytes, MemorySwap: spec.memoryBytes }),
    },
    ...(spec.healthCmd && {
      Healthcheck: { Test: ['CMD-SHELL', spec.healthCmd], Interval: interval, Timeout: 2_000_000_000, Retries: 1, StartPeriod: 0 },
    }),
  });
  if (spec.start !== false) await container.start();
  return container;
}

/** A busybox httpd on 127.0.0.1:port answering /health with "ok". */
export const httpdCmd = (port: number, extra = '') =>
  `mkdir -p /www && echo ok > /www/health && ${extra} exec httpd -f -p 127.0.0.1:${port} -h /www`;

export async function removeContainers(docker: Docker, names: string[]): Promise<void> {
  await Promise.all(names.map((n) => docker.getContainer(n).remove({ force: true }).catch(() => undefined)));
}
