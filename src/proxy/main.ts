import { createLogger } from '../util/logger';
import { startDockerSocketProxy } from './docker-socket-proxy';

// The socket proxy as its own small process (a container next to the bot in production).
const log = createLogger(process.env.LOG_LEVEL ?? 'info');
const upstreamSocket = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';
const port = Number(process.env.PROXY_PORT ?? 2375);
const server = await startDockerSocketProxy({ upstreamSocket, listen: { port }, log });
log.info({ port, upstreamSocket }, 'docker socket proxy listening');
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
