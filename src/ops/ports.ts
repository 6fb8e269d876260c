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
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OpsError';
  }
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
  /** GETDEL: the value, and nobody else will get it. */
  take(key: string): Promise<string | null>;
  del(key: string): Promise<void>;
  /** Counts a hit in a fixed window that starts with the first hit; the expiry is set in the same step. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }>;
  /** Appends to a stream capped at about maxLen entries. */
  append(stream: string, fields: Record<string, string>, maxLen: number): Promise<string>;
  /** The newest `count` entries, newest first. */
  tail(stream: string, count: number): Promise<StreamEntry[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type ContainerHealth = 'healthy' | 'unhealthy' | 'starting' | 'none';

export interface ContainerInfo {
  name: string;
  state: ContainerState;
  health: ContainerHealth;
  startedAt?: Date;
  restartCount: number;
  exitCode?: number;
  image: string;
}

export interface ContainerRuntime {
  inspect(container: string): Promise<ContainerInfo>;
  restart(container: string, stopTimeoutSeconds: number): Promise<void>;
  ping(): Promise<void>;
}
