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

/** A long-running busybox container that stops promptly on SIGTERM; optionally with a Docker healthcheck. */
export async function runContainer(
  docker: Docker,
  image: string,
  name: string,
  options: { healthCmd?: string; cmd?: string } = {},
): Promise<Docker.Container> {
  await docker.getContainer(name).remove({ force: true }).catch(() => undefined);
  const container = await docker.createContainer({
    name,
    Image: image,
    Cmd: ['sh', '-c', options.cmd ?? "trap 'exit 0' TERM; while true; do sleep 1; done"],
    HostConfig: { NetworkMode: 'none', Init: true },
    ...(options.healthCmd && {
      Healthcheck: { Test: ['CMD-SHELL', options.healthCmd], Interval: 200_000_000, Timeout: 1_000_000_000, Retries: 1, StartPeriod: 0 },
    }),
  });
  await container.start();
  return container;
}

export async function removeContainers(docker: Docker, names: string[]): Promise<void> {
  await Promise.all(names.map((n) => docker.getContainer(n).remove({ force: true }).catch(() => undefined)));
}
