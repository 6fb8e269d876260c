import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { homedir } from 'node:os';
import { lookup } from 'node:dns/promises';
import { AlertmanagerIntake } from './alerts/alertmanager';
import { Monitor } from './alerts/monitor';
import { startHttpServer } from './bot/http-server';
import { buildApp } from './app';
import { EstateReloader } from './reload';
import { ConsoleNotifier, QuietNotifier, TelegramNotifier } from './bot/notifiers';
import { runConsole, withConsoleStandIns } from './bot/console';
import { ConsoleLog } from './bot/console-log';
import { endpointPresent, findLocalDocker, localDockerCandidates } from './ops/docker/local-docker';
import { createTelegramFrontEnd } from './bot/telegram';
import { createTelegramLink } from './bot/telegram-link';
import { ConfigError, loadEstateFile, readEnv } from './config/load';
import { placeholdersIn } from './config/placeholders';
import type { Estate } from './config/schema';
import { DockerRuntime } from './ops/docker/docker-runtime';
import { NtfyChannel } from './ops/probes/ntfy';
import { PrometheusMetrics } from './ops/prometheus-metrics';
import { timed } from './ops/timed';
import { formatDuration } from './util/duration';
import { text } from './util/html';
import { withTimeout } from './util/with-timeout';
import { CloudflareApi } from './ops/cloudflare/cloudflare-api';
import { WindowsGpuHost } from './ops/gpu/windows-gpu-host';
import type { ContainerRuntime, GpuHost, StateStore } from './ops/ports';
import { SshShell } from './ops/ssh/ssh-shell';
import { MacHostOverSsh } from './ops/mac/mac-host';
import { VictoriaMetricsHistory } from './ops/metrics/victoria-metrics';
import { ResvgRenderer, youngCollector } from './ops/render/resvg-renderer';
import { MemoryStore } from './ops/state/memory-store';
import { RedisStore } from './ops/state/redis-store';
import { createLogger } from './util/logger';

/** SIGTERM to exit, at most, whatever is unreachable (docker stop waits 10 s before it kills). */
const SHUTDOWN_BOUND_MS = 9_000;

async function main(): Promise<number> {
  let env;
  let estate: Estate;
  try {
    env = readEnv(process.env);
    estate = await loadEstateFile(env.ESTATE_FILE);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`mana-ops: cannot start.\n${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const mode = env.MANA_OPS_MODE === 'auto' ? (env.TELEGRAM_BOT_TOKEN ? 'telegram' : 'console') : env.MANA_OPS_MODE;
  if (mode === 'telegram' && !env.TELEGRAM_BOT_TOKEN) {
    process.stderr.write('mana-ops: cannot start.\nTELEGRAM_BOT_TOKEN is required in telegram mode (BotFather gives it).\n');
    return 2;
  }
  const placeholders = mode === 'telegram' ? placeholdersIn(estate) : [];
  if (placeholders.length) {
    process.stderr.write(`mana-ops: cannot start.\n${env.ESTATE_FILE}: still the example's placeholders (put the real values in):\n${placeholders.map((p) => `  - ${p}`).join('\n')}\n`);
    return 2;
  }
  // The console's screen gets log lines in plain words above its prompt; JSON only to LOG_FILE, or with LOG_FORMAT=json.
  const consoleLog = mode === 'console' && !process.env.LOG_FILE && process.env.LOG_FORMAT !== 'json' ? new ConsoleLog(process.stderr) : undefined;
  const logLevel = mode === 'console' && env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL;
  const log = createLogger(logLevel, consoleLog ?? (process.env.LOG_FILE ? createWriteStream(process.env.LOG_FILE, { flags: 'a' }) : undefined));
  let store: StateStore = new MemoryStore();
  if (env.REDIS_URL) {
    const redis = new RedisStore({ url: env.REDIS_URL });
    if (!(await redis.ready())) {
      log.warn('Redis is not reachable yet: read-only commands work, confirmations are refused until it is (check REDIS_URL)');
    }
    store = redis;
  }
  const metrics = new PrometheusMetrics();
  const observed = (target: string) => (op: string, ok: boolean, ms: number) => metrics.call(target, op, ok, ms);
  const consoleNotes: string[] = [];
  const endpoints = new Map(estate.docker_hosts.map((h) => [h.name, h.endpoint]));
  if (mode === 'console') {
    // On a laptop the estate's socket (the compose file's proxy) is absent: a local Docker stands in, said once.
    const absent = estate.docker_hosts.find((h) => !endpointPresent(h.endpoint));
    if (absent) {
      const candidates = localDockerCandidates(process.env, homedir());
      const local = await findLocalDocker(candidates, (e) => withTimeout(new DockerRuntime(e).ping(), 2_000, () => new Error('no answer')));
      if (local) {
        endpoints.set(absent.name, local);
        consoleNotes.push(`Docker: the estate's ${absent.name} (${absent.endpoint}) is not on this machine; using the local Docker at ${local} until the console closes.`);
      } else {
        consoleNotes.push(`Docker: the estate's ${absent.name} (${absent.endpoint}) is not on this machine and no local Docker answers (tried ${candidates.join(', ')}). Set DOCKER_HOST=unix:///path/to/docker.sock and start again to use one.`);
      }
    }
  }
  const docker = new Map<string, ContainerRuntime>(estate.docker_hosts.map((h) => [h.name, timed(new DockerRuntime(endpoints.get(h.name) ?? h.endpoint), observed('docker'))]));
  const box = estate.gpu_box;
  const shell =
    box && env.GPU_SSH_KEY_PATH
      ? new SshShell({ host: box.host, port: box.port, username: box.user, privateKeyPath: env.GPU_SSH_KEY_PATH, hostKeyFingerprint: box.host_key_fingerprint })
      : undefined;
  const gpu: GpuHost | undefined = shell && new WindowsGpuHost({ shell: timed(shell, observed('ssh')), ...(box?.ollama_url && { ollamaUrl: box.ollama_url }) });
  const macBox = estate.mac_host;
  const macShell =
    macBox && env.MAC_SSH_KEY_PATH
      ? new SshShell({
          host: macBox.host,
          port: macBox.port,
          username: macBox.user,
          privateKeyPath: env.MAC_SSH_KEY_PATH,
          hostKeyFingerprint: macBox.host_key_fingerprint,
          machine: { name: `the Mac Mini (${macBox.name})`, keyVariable: 'MAC_SSH_KEY_PATH', authorizedKeys: "~/.ssh/authorized_keys on the Mac (the README's command= line)" },
        })
      : undefined;
  // The Mac's own clock is the estate's in force: the catalog's, read when a status is parsed (after a reload too).
  const estateClock = { get time() { return app.catalog.time; } };
  const mac = macShell && macBox ? new MacHostOverSsh({ shell: timed(macShell, observed('ssh')), clock: estateClock, timeoutMs: macBox.query_timeout }) : undefined;
  const history = estate.victoria_metrics ? timed(new VictoriaMetricsHistory({ url: estate.victoria_metrics.url, timeoutMs: estate.victoria_metrics.query_timeout }), observed('victoriametrics')) : undefined;
  const cf = estate.cloudflare;
  const tunnels =
    cf && env.CLOUDFLARE_API_TOKEN
      ? timed(new CloudflareApi({ token: env.CLOUDFLARE_API_TOKEN, zoneId: cf.zone_id, accountId: cf.account_id, ...(env.CLOUDFLARE_API_BASE && { baseUrl: env.CLOUDFLARE_API_BASE }) }), observed('cloudflare'))
      : undefined;
  // The collection after each chart keeps resvg's pixel buffers from piling up outside V8's heap (README, "Charts").
  const pictures = new ResvgRenderer({ collect: await youngCollector() });
  const prepare = mode === 'console' ? withConsoleStandIns : (e: Estate) => e;
  const app = buildApp(prepare(estate), { store, docker, log, metrics, ...(gpu && { gpu }), ...(tunnels && { tunnels }), ...(mac && { mac }), ...(history && { history }), pictures });
  // Set once the monitor and the front-end exist: they take the new checks and the users' menus.
  const reloaded: { monitor?: Monitor; menus?: () => void } = {};
  const reloader = new EstateReloader({
    file: env.ESTATE_FILE,
    app,
    prepare,
    log,
    adoptChecks: async (checks) => reloaded.monitor?.adopt(checks),
    onReloaded: () => reloaded.menus?.(),
  });
  app.env.reload = (by) => reloader.reload(by);
  log.info({ estate: env.ESTATE_FILE, services: estate.services.length, store: store.kind, mode }, 'mana-ops starting');

  const monitorFor = (notifier: ConstructorParameters<typeof Monitor>[0]['notifier'], reach?: ConstructorParameters<typeof Monitor>[0]['reach'], quiet = false) =>
    new Monitor({
      ...(reach && { reach }),
      history: app.checkHistory,
      checks: app.checks,
      deps: { catalog: app.catalog, prober: app.env.prober, disk: app.env.disk, docker: app.env.docker, gpu: app.env.gpu, tunnels: app.env.tunnels, mac: app.env.mac },
      store,
      notifier,
      catalog: app.catalog,
      log,
      now: Date.now,
      instanceId: randomUUID(),
      jitterRatio: 0.2,
      metrics,
      // The bot's own reach, asked when a storm begins: its Docker sockets, and name resolution.
      canary: async () => [
        ...(await Promise.all(
          [...docker].map(([name, runtime]) =>
            runtime.ping().then(
              () => ({ name: `Docker ${name}`, ok: true }),
              (e: Error) => ({ name: `Docker ${name}`, ok: false, detail: e.message }),
            ),
          ),
        )),
        await lookup('api.telegram.org').then(
          () => ({ name: 'DNS', ok: true }),
          (e: NodeJS.ErrnoException) => ({ name: 'DNS', ok: false, detail: e.code ?? e.message }),
        ),
      ],
      ...(env.NTFY_URL && !quiet && { fallback: { channel: new NtfyChannel(env.NTFY_URL), afterMs: estate.policy.fallback_after } }),
    });

  if (mode === 'console') {
    // The console tells alerts only when asked to (on a laptop the estate's addresses are usually out of reach); it
    // always runs the checks, so /graph and /status have the bot's own history to show.
    const alerts = process.env.MANA_OPS_CONSOLE_ALERTS === '1';
    const monitor = monitorFor(alerts ? new ConsoleNotifier(process.stdout) : new QuietNotifier(), undefined, !alerts);
    reloaded.monitor = monitor;
    monitor.start();
    await runConsole({ dispatcher: app.dispatcher, catalog: app.catalog, input: process.stdin, output: process.stdout, notes: consoleNotes, ...(consoleLog && { log: consoleLog }) });
    await monitor.stop();
    await shell?.close();
    await macShell?.close();
    await store.close();
    return 0;
  }

  if (!!env.TELEGRAM_WEBHOOK_URL !== !!env.TELEGRAM_WEBHOOK_SECRET) {
    process.stderr.write('mana-ops: cannot start.\nTELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET go together (webhook mode), or neither (polling).\n');
    await store.close();
    return 2;
  }
  if (env.TELEGRAM_WEBHOOK_URL && env.HTTP_PORT === undefined) {
    process.stderr.write('mana-ops: cannot start.\nTELEGRAM_WEBHOOK_URL needs HTTP_PORT: the port Telegram posts to.\n');
    await store.close();
    return 2;
  }
  const apiRoot = env.TELEGRAM_API_ROOT?.replace(/\/+$/, '');
  const link = createTelegramLink({ token: env.TELEGRAM_BOT_TOKEN as string, ...(apiRoot && { apiRoot }), log, onApiError: (code) => metrics.telegramError(code) });
  const frontEnd = createTelegramFrontEnd({
    token: env.TELEGRAM_BOT_TOKEN as string,
    ...(apiRoot && { apiRoot }),
    app,
    log,
    link,
    ...(process.env.MANA_OPS_POLL_TIMEOUT && { pollTimeoutSeconds: Number(process.env.MANA_OPS_POLL_TIMEOUT) }),
    ...(env.TELEGRAM_WEBHOOK_URL && env.TELEGRAM_WEBHOOK_SECRET && { webhook: { url: env.TELEGRAM_WEBHOOK_URL, secret: env.TELEGRAM_WEBHOOK_SECRET } }),
  });
  const onMigrate = (from: number, to: number) =>
    log.warn({ from, to }, `alert chat ${from} became supergroup ${to}: following it; put ${to} under chats.alerts in the estate file`);
  // One notifier for the monitor and Alertmanager: one queue per chat, one pace, one bounded attempt per call.
  const notifier = new TelegramNotifier(link.alertApi, undefined, onMigrate);
  const monitor = monitorFor(notifier, link.reach);
  reloaded.monitor = monitor;
  reloaded.menus = () => void frontEnd.publishCommands();
  // `docker compose kill -s HUP bot` (or kill -HUP) after editing the estate file. Only here: in the console a
  // hang-up is the terminal closing.
  process.on('SIGHUP', () => void reloader.reload('SIGHUP'));
  const outbox = () => notifier.depth + monitor.backlog;
  link.reach.backlog = outbox;
  metrics.measureOutbox(outbox);
  metrics.measureTelegram(() => link.reach.downSince);
  const intake = env.ALERTMANAGER_TOKEN ? new AlertmanagerIntake({ store, notifier, catalog: app.catalog, log, reach: link.reach }) : undefined;
  // The HTTP endpoint comes first: in webhook mode Telegram may post as soon as the webhook is set.
  const http =
    env.HTTP_PORT !== undefined
      ? await startHttpServer({
          port: env.HTTP_PORT,
          host: env.HTTP_HOST,
          ...(env.METRICS_TOKEN && { metricsToken: env.METRICS_TOKEN }),
          log,
          metrics: () => metrics.text(),
          health: async () => {
            const part = (p: Promise<unknown>) => withTimeout(p, 3_000, () => new Error('no answer within 3 s')).then(() => ({ ok: true }), (e: Error) => ({ ok: false, detail: e.message }));
            const redis = await part(store.ping());
            const away = link.reach.downSince;
            const telegram = away === undefined ? { ok: true } : { ok: false, detail: `unreachable for ${formatDuration(Date.now() - away)} (${link.reach.lastError ?? '?'})` };
            return {
              telegram,
              redis: store.kind === 'redis' ? redis : { ok: true, detail: 'in memory' },
              monitor: { ok: true, detail: monitor.leading ? 'leader' : 'follower' },
              outbox: { ok: true, detail: `${outbox()} queued` },
            };
          },
          ...(intake && env.ALERTMANAGER_TOKEN && { alertmanager: { intake, token: env.ALERTMANAGER_TOKEN } }),
          ...(frontEnd.webhook && { telegram: frontEnd.webhook }),
        })
      : undefined;
  if (http) log.info({ host: env.HTTP_HOST, port: http.port, alertmanager: !!env.ALERTMANAGER_TOKEN, webhook: !!frontEnd.webhook }, 'HTTP endpoint listening');
  try {
    await frontEnd.start();
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'cannot reach Telegram: check TELEGRAM_BOT_TOKEN and TELEGRAM_API_ROOT');
    await http?.close();
    await store.close();
    return 1;
  }
  // No load before: the instance that takes the lead loads the book then (loading it here too read it twice).
  if (process.env.MANA_OPS_MONITOR !== 'off') monitor.start();
  intake?.start();
  // The bot watches itself: a notice when it starts and stops cleanly (queued, so none is lost while Telegram
  // is away), and a dead man's switch while it runs. Only the instance that runs the checks speaks.
  await monitor.ready();
  log.info({ checks: app.checks.length, alertChats: estate.chats.alerts.length, leading: monitor.leading }, monitor.leading ? 'monitor started: this instance runs the checks' : 'monitor started: following, another instance runs the checks');
  monitor.announce(text(`🟢 mana-ops started · ${app.checks.length} checks · ${estate.services.length} services · ${frontEnd.webhook ? 'webhook' : 'polling'}`));
  const beat = () =>
    env.HEARTBEAT_URL
      ? fetch(env.HEARTBEAT_URL, { method: 'POST', body: 'mana-ops alive', signal: AbortSignal.timeout(10_000) }).then(
          () => undefined,
          (err: Error) => log.warn({ err: err.message }, 'heartbeat not delivered'),
        )
      : Promise.resolve();
  void beat();
  const heartbeat = env.HEARTBEAT_URL ? setInterval(() => void beat(), env.HEARTBEAT_INTERVAL) : undefined;
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping: finishing running commands');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  clearInterval(heartbeat);
  // Whatever is unreachable, the process is gone within the bound: what could not be written stays queued in Redis
  // (or, with Redis away too, is lost with this process) and the log says so.
  const bound = setTimeout(() => {
    log.warn({ boundMs: SHUTDOWN_BOUND_MS }, `shutdown did not finish within ${SHUTDOWN_BOUND_MS / 1000} s: exiting now; what Telegram or Redis did not take is not written`);
    log.flush();
    process.exit(0);
  }, SHUTDOWN_BOUND_MS);
  bound.unref();
  // Within seconds even while Telegram is away: the stopping notice gets a moment, then waits in Redis.
  const at = app.catalog.time.hmZone(Date.now());
  await monitor.stop({ notice: text(`🔴 mana-ops stopping (clean shutdown at ${at}): no alerts until it is back.`), drainMs: 3_000 });
  await http?.close();
  await intake?.stop();
  await frontEnd.stop();
  await app.env.audit.flush();
  await shell?.close();
  await macShell?.close();
  await store.close();
  log.info('stopped');
  log.flush();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Everything was closed; a check still waiting out its timeout must not hold the exit up.
    setTimeout(() => process.exit(code), 1_000).unref();
  },
  (err: unknown) => {
    const e = err as NodeJS.ErrnoException;
    const what = e?.code === 'EADDRINUSE' ? `HTTP_PORT is in use by another process (${e.message}): choose another port, or stop the other one` : (e?.message ?? String(err));
    process.stderr.write(`mana-ops: unexpected failure: ${what}\n`);
    process.exitCode = 1;
    // Whatever is still open (the Redis client reconnecting, say) must not keep a failed start alive.
    setTimeout(() => process.exit(1), 1_000).unref();
  },
);
