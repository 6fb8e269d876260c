import type { Html } from '../util/html';

/**
 * The ports: what the domain (commands, auth, alerts) needs from the outside world, in our own words.
 * Adapters in src/ops/* implement them; nothing here names a client library.
 */

export type OpsErrorCode = 'not_found' | 'timeout' | 'unreachable' | 'denied' | 'conflict' | 'invalid' | 'failed';

/** A failure an adapter could name. `hint` tells the admin what to do next. */
export class OpsError extends Error {
  constructor(
    readonly code: OpsErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown; mayHaveHappened?: boolean },
  ) {
    super(message, options);
    this.name = 'OpsError';
    this.mayHaveHappened = options?.mayHaveHappened ?? false;
  }

  /** A change was sent and no answer came: it may have been applied, or not. */
  readonly mayHaveHappened: boolean;
}

export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

/**
 * Shared state: Redis in production, memory in the console. Every method is atomic on its own.
 * Methods reject with OpsError('unreachable') when the store cannot be reached.
 */
export interface StateStore {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** SET NX PX: true when this call created the key. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Renews the TTL only while the key still holds `value` (a lock that is still ours). */
  extendIf(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** GETDEL: the value, and nobody else will get it. */
  take(key: string): Promise<string | null>;
  del(key: string): Promise<void>;
  /** MGET: many keys in one round trip, null where a key is absent. */
  getMany(keys: readonly string[]): Promise<(string | null)[]>;
  /** Many keys written (without TTL) and deleted in one round trip. */
  writeMany(set: readonly { key: string; value: string }[], del?: readonly string[]): Promise<void>;
  /** HSET: fields of one hash written in one round trip (a record many writers share, field by field). */
  hashSet(key: string, fields: Readonly<Record<string, string>>): Promise<void>;
  /** HGETALL: every field of a hash; empty when there is none. */
  hashAll(key: string): Promise<Record<string, string>>;
  /** HDEL: fields removed from a hash in one round trip. */
  hashDel(key: string, fields: readonly string[]): Promise<void>;
  /** The keys that start with `prefix` (SCAN, never KEYS): for cleaning up what the estate no longer has. */
  keysWithPrefix(prefix: string): Promise<string[]>;
  /**
   * Takes up to `want` of a fixed window's `limit` in one atomic step; the window starts with the first take and
   * its expiry is set in the same step. `granted` is 0 once the window is used up; `resetInMs` is when it ends.
   */
  reserve(key: string, want: number, limit: number, windowMs: number): Promise<{ granted: number; resetInMs: number }>;
  /** Appends entries to a stream capped at about maxLen entries, in order, in one round trip. */
  appendMany(stream: string, entries: readonly Record<string, string>[], maxLen: number): Promise<void>;
  /** The newest `count` entries, newest first. */
  tail(stream: string, count: number): Promise<StreamEntry[]>;
  ping(): Promise<void>;
  /**
   * The latest round trip this store made, when it is younger than `maxAgeMs` and the connection has not dropped
   * since: a reading of its health that costs nothing. Undefined when there is none (then ask with ping()).
   */
  recentRoundTrip(maxAgeMs: number): { ok: boolean; ms: number } | undefined;
  close(): Promise<void>;
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type ContainerHealth = 'healthy' | 'unhealthy' | 'starting' | 'none';

/** One row of the container list: cheap, one API call for all of them. */
export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  state: ContainerState;
  /** Parsed from Docker's status text: the list has no health field. */
  health: ContainerHealth;
  /** Docker's own words: "Up 2 hours (healthy)", "Exited (137) 5 minutes ago". */
  status: string;
  exitCode?: number;
  createdAt: Date;
}

export interface ContainerInfo {
  name: string;
  state: ContainerState;
  health: ContainerHealth;
  startedAt?: Date;
  finishedAt?: Date;
  restartCount: number;
  exitCode?: number;
  oomKilled?: boolean;
  image: string;
  tty?: boolean;
  /** Bytes, when the container has a memory limit. */
  memoryLimit?: number;
  /** "127.0.0.1:3000->3000/tcp", or "host network". */
  ports?: string[];
  /** The last health probe, when the container has a Docker healthcheck. */
  lastHealthProbe?: { exitCode: number; output: string; at: Date };
}

export interface ContainerStats {
  /** Bytes in use the way `docker stats` counts them (page cache left out). */
  memoryUsed: number;
  memoryLimit?: number;
  /** Only when asked for: it needs two samples (about a second). */
  cpuPercent?: number;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  text: string;
  at?: Date;
}

export interface LogQuery {
  /** Only the last n lines (on the API side). */
  tail?: number;
  since?: Date;
}

export interface DockerDiskUsage {
  images: { count: number; bytes: number; reclaimable: number };
  containers: { count: number; bytes: number; reclaimable: number };
  volumes: { count: number; bytes: number; reclaimable: number };
  buildCache: { count: number; bytes: number; reclaimable: number };
}

export type ContainerEventAction = 'start' | 'die' | 'oom' | 'kill' | 'stop' | 'restart' | 'health_status';

export interface ContainerEvent {
  container: string;
  action: ContainerEventAction;
  at: Date;
  exitCode?: number;
  health?: 'healthy' | 'unhealthy';
}

export interface ContainerRuntime {
  list(): Promise<ContainerSummary[]>;
  inspect(container: string): Promise<ContainerInfo>;
  stats(container: string, options?: { cpu?: boolean }): Promise<ContainerStats>;
  /** Streams log lines (demultiplexed, or raw for TTY containers) without holding the whole log. */
  logs(container: string, query: LogQuery, signal?: AbortSignal): AsyncIterable<LogLine>;
  restart(container: string, stopTimeoutSeconds: number): Promise<void>;
  diskUsage(): Promise<DockerDiskUsage>;
  /** Container events as they happen, until the signal aborts. */
  events(signal: AbortSignal): AsyncIterable<ContainerEvent>;
  ping(): Promise<void>;
}

export interface ProbeResult {
  ok: boolean;
  ms: number;
  status?: number;
  error?: string;
}

/** Network checks with their own timeout: a service's health endpoint, a port, a protocol greeting. */
export interface Prober {
  http(url: string, options: { timeoutMs: number; expectStatus?: number; bodyContains?: string }): Promise<ProbeResult>;
  /** Connects; with `send`, writes it and waits until `expect` accepts what came back. */
  tcp(host: string, port: number, options: { timeoutMs: number; send?: Buffer; expect?: (reply: Buffer) => boolean | undefined }): Promise<ProbeResult>;
}

/** A second way to reach the admin when Telegram itself is down (the handbook's ntfy topic). */
export interface FallbackChannel {
  notify(title: string, text: string): Promise<void>;
}

/**
 * Whether the alert channel (Telegram) takes messages. Delivery waits on it instead of hammering; the monitor
 * falls back to ntfy and, when it is back, catches the chat up by it.
 */
export interface ChannelReach {
  /** Since when nothing has gone through (ms since the epoch); undefined while it works. */
  readonly downSince: number | undefined;
  /** Each change: `false` when it stops taking messages, `true` when it is back (with when it went away). */
  onChange(listener: (up: boolean, downSince: number) => void): void;
  /** Resolves at once while it works, else when it is back; rejects when `signal` aborts. */
  whenUp(signal?: AbortSignal): Promise<void>;
}

/** Where alerts go: a chat that can show a message and change it later. Text is Html, fitted by the adapter. */
export interface Notifier {
  /** Returns the message id, for later edits. */
  send(chatId: number, html: Html, buttons?: { text: string; data: string }[][]): Promise<number>;
  edit(chatId: number, messageId: number, html: Html, buttons?: { text: string; data: string }[][]): Promise<void>;
}

export interface FileSystemUsage {
  path: string;
  totalBytes: number;
  freeBytes: number;
}

/** Disk usage of paths mounted into the bot. */
export interface DiskProbe {
  usage(path: string): Promise<FileSystemUsage>;
}

/** What one remote command gave back. */
export interface ShellResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** A command line on another machine (SSH); the caller builds the line from allowlisted templates only. */
export interface RemoteShell {
  /** `onOutput`: stdout and stderr as they arrive (a build's progress), besides the whole result at the end. */
  exec(command: string, options: { timeoutMs: number; onOutput?: (text: string, stream: 'stdout' | 'stderr') => void }): Promise<ShellResult>;
  close(): Promise<void>;
}

export interface GpuReading {
  index: number;
  name: string;
  driver?: string;
  pstate?: string;
  temperatureC: number | null;
  fanPercent: number | null;
  utilizationPercent: number | null;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  powerDrawW: number | null;
  powerLimitW: number | null;
}

export interface GpuProcess {
  pid: number;
  name: string;
  /** MiB, or null where Windows (WDDM) does not tell. */
  usedMemoryMiB: number | null;
}

export type WindowsUnitKind = 'task' | 'service';

export interface WindowsUnitState {
  kind: WindowsUnitKind;
  name: string;
  /** Running, Ready, Disabled, Stopped, … */
  state: string;
  running: boolean;
  lastRunTime?: Date;
  /** A task's last result in words (0 = success, 0x41301 = still running, or the program's exit code). */
  lastResult?: string;
  /** Set when the unit could not be read (no such task, access denied). */
  error?: string;
}

export interface LoadedModel {
  name: string;
  sizeBytes: number;
  vramBytes: number;
  expiresAt?: Date;
}

/** The Windows GPU box: nvidia-smi, Scheduled Tasks and Services over SSH, Ollama over HTTP. */
export interface GpuHost {
  gpus(): Promise<GpuReading[]>;
  computeApps(): Promise<GpuProcess[]>;
  units(units: { kind: WindowsUnitKind; name: string }[]): Promise<WindowsUnitState[]>;
  restartUnit(unit: { kind: WindowsUnitKind; name: string }): Promise<void>;
  loadedModels(): Promise<LoadedModel[]>;
}

export interface DnsRecord {
  id: string;
  name: string;
  type: string;
  /** For a tunnel route: `<tunnel uuid>.cfargotunnel.com`. */
  content: string;
  proxied: boolean;
}

export type TunnelHealth = 'inactive' | 'degraded' | 'healthy' | 'down';

export interface TunnelInfo {
  id: string;
  name: string;
  status: TunnelHealth;
  /** Active connections where the API still reports them (the field is being emptied by Cloudflare). */
  connections: number;
}

export interface TunnelIngress {
  /** Hostnames with an ingress rule; empty for a tunnel configured locally (config.yml). */
  hostnames: string[];
  source: 'cloudflare' | 'local' | 'unknown';
}

/** Cloudflare's DNS records and tunnels for one zone and account. */
export interface TunnelApi {
  /** Every CNAME record of the zone, by name. */
  cnames(): Promise<Map<string, DnsRecord>>;
  findCname(hostname: string): Promise<DnsRecord | undefined>;
  /** Points `hostname` at `content`: edits its CNAME, or creates one (as `--overwrite-dns` does). */
  upsertCname(hostname: string, content: string, existing?: DnsRecord): Promise<DnsRecord>;
  /** Whether the token may change this hostname's DNS record, asked without changing anything. */
  mayEditDns(hostname: string, existing?: DnsRecord): Promise<boolean>;
  tunnel(uuid: string): Promise<TunnelInfo>;
  ingress(uuid: string): Promise<TunnelIngress>;
}

/** One value of a series at a time (epoch ms). */
export interface Sample {
  at: number;
  value: number;
}

/** Recorded history of the estate (VictoriaMetrics): what share of a series' samples in a window were 1. */
export interface MetricsHistory {
  /** The mean of `selector` over the `rangeMs` before `at` (0..1 for probe_success), or undefined with no samples. */
  meanOver(selector: string, rangeMs: number, at: number): Promise<number | undefined>;
  /**
   * `query` evaluated every `stepMs` from `from` to `to`; several series are averaged per time. Times without a
   * value are left out.
   */
  rangeOf(query: string, from: number, to: number, stepMs: number): Promise<Sample[]>;
}

/** Turns an SVG document into a PNG image. */
export interface PictureRenderer {
  png(svg: string): Promise<Uint8Array>;
}

/** One dump in the backups folder. */
export interface BackupFile {
  name: string;
  bytes: number;
  /** Modification time, epoch ms. */
  at: number;
}

/** The Mac Mini itself, as its forced-command wrapper reports it (each part undefined when it could not be read). */
export interface MacStatus {
  /** The mana-server tunnel's connector: its pid and since when, or undefined when no cloudflared runs. */
  cloudflared: { pid: number; since?: number } | undefined;
  colima: { status: string; cpus?: number; memory?: string } | undefined;
  /** The handbook's LaunchAgents: loaded or not, with the pid when running and the last exit status. */
  agents: { label: string; loaded: boolean; pid?: number; lastExit?: number }[];
  ssd: { mounted: false } | { mounted: true; totalBytes: number; freeBytes: number; usedPercent: number } | undefined;
  /** Newest first. */
  backups: BackupFile[];
  /** Where the backups are looked for does not exist (the SSD not mounted, say). */
  backupsMissing?: string;
  uptime: { text: string; load: [number, number, number] } | undefined;
}

/** The Mac Mini's host-side steps, through its forced-command wrapper: a fixed list of operations, never a shell line. */
export interface MacHost {
  status(): Promise<MacStatus>;
  restartCloudflared(): Promise<void>;
  backups(): Promise<{ files: BackupFile[]; missing?: string }>;
  cloudflaredLog(lines: number): Promise<string>;
  /** `docker compose -f docker-compose.macmini.yml up -d <service>` in the monorepo: creates and starts one service. */
  up(composeService: string): Promise<string>;
  /** `build-app.sh <apps…>`, output as it comes; refused (conflict) while another deploy runs on the Mac. */
  deploy(apps: string[], onOutput: (text: string) => void, timeoutMs: number): Promise<{ ok: boolean; output: string; code: number | null }>;
  cancelDeploy(): Promise<string>;
}

/** What the bot counts about itself, for Prometheus. Adapters must never throw. */
export interface Metrics {
  command(name: string, result: string): void;
  check(id: string, ok: boolean, ms: number): void;
  incidents(firing: number, pending: number): void;
  telegramError(code: number): void;
  /** One call to the outside (target: docker, ssh, cloudflare; op: the adapter's method). */
  call(target: string, op: string, ok: boolean, ms: number): void;
  /** A message from someone not on the allowlist: noted (audited, answered) or muted by the throttle. */
  outsider(outcome: 'noted' | 'muted'): void;
}

export const NO_METRICS: Metrics = { command() {}, check() {}, incidents() {}, telegramError() {}, call() {}, outsider() {} };
