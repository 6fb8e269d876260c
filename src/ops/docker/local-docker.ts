import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where a laptop's Docker usually listens: DOCKER_HOST first, then the default socket, Colima's and Docker Desktop's. */
export function localDockerCandidates(env: NodeJS.ProcessEnv, home: string): string[] {
  const fromEnv = env.DOCKER_HOST && /^(unix|tcp):\/\//.test(env.DOCKER_HOST) ? [env.DOCKER_HOST] : [];
  const sockets = ['/var/run/docker.sock', join(home, '.colima/default/docker.sock'), join(home, '.docker/run/docker.sock')].map((p) => `unix://${p}`);
  return [...new Set([...fromEnv, ...sockets])];
}

/** Whether an endpoint can be on this machine at all: a unix socket whose file exists, or any tcp address. */
export function endpointPresent(endpoint: string): boolean {
  return !endpoint.startsWith('unix://') || existsSync(endpoint.slice('unix://'.length));
}

/**
 * The first local Docker that answers its ping, for the console when the estate's endpoint is not on this machine
 * (the compose file's proxy socket on a laptop).
 */
export async function findLocalDocker(candidates: readonly string[], ping: (endpoint: string) => Promise<unknown>): Promise<string | undefined> {
  for (const endpoint of candidates) {
    if (!endpointPresent(endpoint)) continue;
    const answered = await ping(endpoint).then(
      () => true,
      () => false,
    );
    if (answered) return endpoint;
  }
  return undefined;
}
