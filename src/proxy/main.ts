import { chmod, rm } from 'node:fs/promises';
import { createLogger } from '../util/logger';
import { loadEstateFile } from '../config/load';
import { startDockerSocketProxy, type ProxyRules } from './docker-socket-proxy';
import { startProxyHealth } from './health';

// The socket proxy as its own small process (a container next to the bot in production). It listens on a
// unix socket (PROXY_SOCKET, in a volume only the bot shares: no network at all) or on a TCP port.
const log = createLogger(process.env.LOG_LEVEL ?? 'info');
const upstreamSocket = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';
const socketPath = process.env.PROXY_SOCKET;
let listen: { socketPath: string } | { port: number; host: string };
if (socketPath) {
  await rm(socketPath, { force: true }); // left behind by a killed predecessor, it would fail the listen
  listen = { socketPath };
} else {
  listen = { port: Number(process.env.PROXY_PORT ?? 2375), host: process.env.PROXY_HOST ?? '127.0.0.1' };
}
// With the estate file, only its containers may be inspected, read and restarted.
let rules: ProxyRules = {};
if (process.env.ESTATE_FILE) {
  const estate = await loadEstateFile(process.env.ESTATE_FILE);
  rules = { containers: new Set(estate.services.flatMap((s) => (s.container ? [s.container] : []))) };
} else log.warn('ESTATE_FILE not set: the socket proxy lets the bot reach every container (set it to the estate file to restrict)');
const server = await startDockerSocketProxy({ upstreamSocket, listen, rules, log });
// Owner and group only: the bot reaches it through the group the proxy runs with (docker-compose.bot.yml).
if (socketPath) await chmod(socketPath, 0o660);
log.info({ ...listen, upstreamSocket, containers: rules.containers?.size ?? 'any' }, 'docker socket proxy listening');
// Its container's health (docker-compose.bot.yml): on the container's own loopback, never published.
const healthPort = Number(process.env.PROXY_HEALTH_PORT ?? 0);
const health = healthPort > 0 ? await startProxyHealth({ upstreamSocket, port: healthPort }) : undefined;
const stop = () => {
  health?.close();
  server.close(() => process.exit(0));
  server.closeAllConnections(); // the bot's event stream never ends by itself
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
