import { buildApp, type App } from '../../src/app';
import { createTelegramFrontEnd, type TelegramFrontEnd } from '../../src/bot/telegram';
import { createTelegramLink } from '../../src/bot/telegram-link';
import type { Logger } from '../../src/util/logger';
import type { Estate } from '../../src/config/schema';
import { DockerRuntime } from '../../src/ops/docker/docker-runtime';
import type { ContainerRuntime, GpuHost, MacHost, Metrics, MetricsHistory, StateStore, TunnelApi } from '../../src/ops/ports';
import { ResvgRenderer } from '../../src/ops/render/resvg-renderer';
import { silentLogger } from './fakes';
import { TelegramEmulator } from './telegram-emulator';

export interface RunningBot {
  emu: TelegramEmulator;
  app: App;
  frontEnd: TelegramFrontEnd;
  stop(): Promise<void>;
}

/** The whole bot in-process, talking HTTP to the Bot API emulator, with the adapters given. */
export async function startBot(estate: Estate, store: StateStore, options: { dockerSock?: string; guideWaitMs?: number; gpu?: GpuHost; tunnels?: TunnelApi; mac?: MacHost; log?: Logger; replyDeadlineMs?: number; metrics?: Metrics; history?: MetricsHistory } = {}): Promise<RunningBot> {
  const emu = await new TelegramEmulator().start();
  const docker = new Map<string, ContainerRuntime>(
    estate.docker_hosts.map((h) => [h.name, new DockerRuntime(options.dockerSock ? `unix://${options.dockerSock}` : h.endpoint)]),
  );
  const log = options.log ?? silentLogger();
  const app = buildApp(estate, { store, docker, log, ...(options.gpu && { gpu: options.gpu }), ...(options.tunnels && { tunnels: options.tunnels }), ...(options.mac && { mac: options.mac }), ...(options.metrics && { metrics: options.metrics }), ...(options.history && { history: options.history }), pictures: new ResvgRenderer() });
  const link = createTelegramLink({ token: emu.token, apiRoot: emu.apiRoot, log, ...(options.replyDeadlineMs && { replyDeadlineMs: options.replyDeadlineMs }) });
  const frontEnd = createTelegramFrontEnd({ token: emu.token, apiRoot: emu.apiRoot, app, log, link, pollTimeoutSeconds: 1, ...(options.guideWaitMs && { guideWaitMs: options.guideWaitMs }) });
  await frontEnd.start();
  return {
    emu,
    app,
    frontEnd,
    async stop() {
      await frontEnd.stop();
      await emu.stop();
    },
  };
}
