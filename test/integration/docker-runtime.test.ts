import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../src/ops/docker/docker-runtime';
import type { ContainerEvent, LogLine } from '../../src/ops/ports';
import { OpsError } from '../../src/ops/ports';
import { startProxyHealth } from '../../src/proxy/health';
import { removeContainers, runContainer, testDocker } from '../support/docker';
import { freePort } from '../support/redis';

let docker: Docker;
let runtime: DockerRuntime;
let image: string;
const NAMES = ['mo-rt-events', 'mo-rt-logs', 'mo-rt-health'];

beforeAll(async () => {
  const env = testDocker();
  docker = env.docker;
  image = env.image;
  runtime = new DockerRuntime(`unix://${env.socket}`);
});
afterAll(() => removeContainers(docker, NAMES));

describe('DockerRuntime against a real dockerd', () => {
  it('streams container events: restart, die with its exit code, health changes', async () => {
    await runContainer(docker, image, 'mo-rt-events', { healthCmd: 'test -f /tmp/ok', cmd: "touch /tmp/ok; trap 'exit 0' TERM; while true; do sleep 1; done" });
    const controller = new AbortController();
    const seen: ContainerEvent[] = [];
    const reading = (async () => {
      for await (const e of runtime.events(controller.signal)) if (e.container === 'mo-rt-events') seen.push(e);
    })();
    await new Promise((r) => setTimeout(r, 300));
    await runtime.restart('mo-rt-events', 2);
    await docker.getContainer('mo-rt-events').kill({ signal: 'SIGKILL' });
    await expect.poll(() => seen.map((e) => e.action), { timeout: 10_000 }).toEqual(expect.arrayContaining(['kill', 'die', 'start', 'restart']));
    await docker.getContainer('mo-rt-events').start();
    await expect.poll(() => seen.find((e) => e.action === 'health_status')?.health, { timeout: 10_000 }).toBe('healthy');
    expect(seen.filter((e) => e.action === 'die').map((e) => e.exitCode)).toContain(137);
    controller.abort();
    await reading;
  });

  it('demultiplexes a long log without holding it, and stops reading when aborted', async () => {
    await runContainer(docker, image, 'mo-rt-logs', { cmd: 'seq 1 200000; exec sleep 100000' });
    await expect.poll(async () => {
      const tail: LogLine[] = [];
      for await (const l of runtime.logs('mo-rt-logs', { tail: 2 })) tail.push(l);
      return tail.map((l) => `${l.stream}:${l.text}`);
    }, { timeout: 15_000 }).toEqual(['stdout:199999', 'stdout:200000']);
    const controller = new AbortController();
    let n = 0;
    const read = async () => {
      for await (const _ of runtime.logs('mo-rt-logs', {}, controller.signal)) if (++n === 1000) controller.abort();
    };
    await expect(read()).rejects.toMatchObject({ code: 'timeout' });
    expect(n).toBeLessThan(200_000);
  });

  it('reports the last health probe and translates a missing container', async () => {
    await runContainer(docker, image, 'mo-rt-health', { healthCmd: 'echo probe says no; exit 1' });
    await expect.poll(async () => (await runtime.inspect('mo-rt-health')).health, { timeout: 10_000 }).toBe('unhealthy');
    expect((await runtime.inspect('mo-rt-health')).lastHealthProbe).toMatchObject({ exitCode: 1, output: 'probe says no' });
    const err = await runtime.inspect('mo-rt-missing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpsError);
    expect(err).toMatchObject({ code: 'not_found', message: 'container mo-rt-missing does not exist' });
  });

  it('says where Docker is not reachable', async () => {
    const gone = new DockerRuntime('unix:///tmp/mo-no-docker-here.sock');
    await expect(gone.list()).rejects.toMatchObject({ code: 'unreachable', message: 'Docker unreachable at unix:///tmp/mo-no-docker-here.sock (ENOENT)' });
  });
});

describe("the socket proxy's own health (its container's HEALTHCHECK)", () => {
  it('answers 200 while the real dockerd answers its ping, and 503 naming the socket when it is gone', async () => {
    const { socket } = testDocker();
    const [upPort, downPort] = [await freePort(), await freePort()];
    const up = await startProxyHealth({ upstreamSocket: socket, port: upPort });
    const down = await startProxyHealth({ upstreamSocket: '/tmp/mo-no-docker-here.sock', port: downPort });
    try {
      const healthy = await fetch(`http://127.0.0.1:${upPort}/healthz`);
      expect(healthy.status).toBe(200);
      expect(await healthy.json()).toEqual({ ok: true, docker: 'answers' });
      const sick = await fetch(`http://127.0.0.1:${downPort}/healthz`);
      expect(sick.status).toBe(503);
      expect(((await sick.json()) as { docker: string }).docker).toMatch(/^Docker's socket \/tmp\/mo-no-docker-here\.sock does not answer: .*ENOENT/);
      expect((await fetch(`http://127.0.0.1:${upPort}/containers/json`)).status).toBe(404);
    } finally {
      up.close();
      down.close();
    }
  });
});
