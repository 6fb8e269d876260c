import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBotProcess } from '../support/bot-process';
import { removeContainers, runContainer, testDocker } from '../support/docker';

/** The first five minutes on a laptop: `npm start` with no token, the estate's Docker socket not on this machine. */
const { docker, socket, image } = testDocker();
const dir = mkdtempSync(join(tmpdir(), 'mo-console-'));
const emptyHome = mkdtempSync(join(tmpdir(), 'mo-console-home-'));
const CONTAINER = 'mo-console-chat-web';
const estate = join(dir, 'estate.yml');

beforeAll(async () => {
  writeFileSync(
    estate,
    `version: 1
docker_hosts: [{ name: mac-mini, endpoint: "unix:///run/docker-proxy/docker.sock" }]
services:
  - { name: chat-web, container: ${CONTAINER}, category: web }
users: [{ id: 100, name: ada, role: admin }]
`,
  );
  await runContainer(docker, image, CONTAINER);
});

afterAll(() => removeContainers(docker, [CONTAINER]));

describe('the console on a laptop', () => {
  it("uses the local Docker (DOCKER_HOST) when the estate's socket is absent, says so once, and shows real containers", async () => {
    const run = await startBotProcess({ ESTATE_FILE: estate, HOME: emptyHome, DOCKER_HOST: `unix://${socket}` }, '/status chat-web\n/status\n').done;
    expect(run.code).toBe(0);
    const note = `Docker: the estate's mac-mini (unix:///run/docker-proxy/docker.sock) is not on this machine; using the local Docker at unix://${socket} until the console closes.`;
    expect(run.stdout.split(note)).toHaveLength(2);
    expect(run.stdout).toContain('chat-web');
    expect(run.stdout).toMatch(/running/i);
    expect(run.stdout).toContain('1/1 Docker services healthy');
    expect(run.stdout).not.toContain('unreachable');
  });

  it('with no local Docker, names the one variable to set, once; each failure is printed once, in plain words, never as JSON', async () => {
    const run = await startBotProcess({ ESTATE_FILE: estate, HOME: emptyHome, DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, '/logs chat-web\n/restart chat-web\ny\n').done;
    expect(run.code).toBe(0);
    const out = run.stdout + run.stderr;
    expect(out.match(/Set DOCKER_HOST=unix:\/\/\/path\/to\/docker\.sock and start again/g)).toHaveLength(1);
    expect(out.match(/Failed: Docker unreachable at unix:\/\/\/run\/docker-proxy\/docker\.sock/g)?.length).toBe(2); // /logs, then /restart: one each
    expect(out).not.toContain('{"level"');
  });

  it('LOG_FORMAT=json keeps the JSON log lines (on stderr) for those who want them', async () => {
    const run = await startBotProcess({ ESTATE_FILE: estate, HOME: emptyHome, DOCKER_HOST: 'unix:///nonexistent/docker.sock', LOG_FORMAT: 'json' }, '/logs chat-web\n').done;
    expect(run.stderr).toContain('"msg":"/logs failed"');
  });
});
