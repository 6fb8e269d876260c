import { buildChecks, type CheckDef } from './alerts/checks';
import { AuditLog } from './auth/audit';
import { CheckHistory } from './estate/check-history';
import { Restarter } from './estate/restart';
import { Catalog, type KnownUser } from './config/catalog';
import type { Estate } from './config/schema';
import { builtinCommands } from './commands/index';
import { CommandRegistry } from './commands/registry';
import { Dispatcher } from './commands/dispatcher';
import type { CommandEnv, CommandSpec } from './commands/types';
import { NO_METRICS, type ContainerRuntime, type DiskProbe, type GpuHost, type MacHost, type Metrics, type MetricsHistory, type PictureRenderer, type Prober, type StateStore, type TunnelApi } from './ops/ports';
import { StatfsDiskProbe } from './ops/probes/disk-probe';
import { NetProber } from './ops/probes/net-prober';
import type { Logger } from './util/logger';

export interface AppPorts {
  store: StateStore;
  docker: ReadonlyMap<string, ContainerRuntime>;
  log: Logger;
  prober?: Prober;
  disk?: DiskProbe;
  gpu?: GpuHost;
  tunnels?: TunnelApi;
  mac?: MacHost;
  history?: MetricsHistory;
  /** Draws charts (resvg in main.ts); without it /graph answers in words. */
  pictures?: PictureRenderer;
  metrics?: Metrics;
  now?: () => number;
}

export interface App {
  /** The monitor's checks for the estate in force (a reload replaces them). */
  checks: CheckDef[];
  /** The checks a (validated) estate would have, built against the same adapters. */
  checksFor: (catalog: Catalog) => CheckDef[];
  catalog: Catalog;
  registry: CommandRegistry;
  dispatcher: Dispatcher;
  env: CommandEnv;
  /** The monitor's results, kept for charts and uptime where the estate has no VictoriaMetrics. */
  checkHistory: CheckHistory;
  store: StateStore;
  log: Logger;
}

/** Wires the domain: catalog, registry, dispatcher. Front-ends and adapters are chosen by main.ts. */
export function buildApp(estate: Estate, ports: AppPorts, extraCommands: CommandSpec[] = []): App {
  const now = ports.now ?? Date.now;
  const catalog = new Catalog(estate);
  const registry = new CommandRegistry([...builtinCommands(), ...extraCommands]);
  const prober = ports.prober ?? new NetProber();
  const disk = ports.disk ?? new StatfsDiskProbe();
  const docker = (host: string) => ports.docker.get(host);
  const checksFor = (c: Catalog) => buildChecks({ catalog: c, prober, disk, docker, gpu: ports.gpu, tunnels: ports.tunnels, mac: ports.mac });
  const checkHistory = new CheckHistory();
  const restarts = new Restarter({ catalog, docker, gpu: ports.gpu, prober, store: ports.store, now });
  const env: CommandEnv = {
    catalog,
    store: ports.store,
    audit: new AuditLog(ports.store, ports.log),
    docker,
    prober,
    disk,
    checkIds: () => app.checks.map((c) => c.id),
    metrics: ports.metrics ?? NO_METRICS,
    gpu: ports.gpu,
    restarts,
    tunnels: ports.tunnels,
    mac: ports.mac,
    history: ports.history,
    checkHistory,
    pictures: ports.pictures,
    now,
    help: (user: KnownUser | undefined) => registry.allowedFor(user?.role),
    startedAt: now(),
  };
  const dispatcher = new Dispatcher({ registry, env, log: ports.log });
  const app: App = { checks: checksFor(catalog), checksFor, catalog, registry, dispatcher, env, checkHistory, store: ports.store, log: ports.log };
  return app;
}
