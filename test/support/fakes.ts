import { createLogger, type Logger } from '../../src/util/logger';
import pino from 'pino';
import {
  OpsError,
  type ContainerEvent,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerStats,
  type ContainerSummary,
  type DockerDiskUsage,
  type LogLine,
  type StateStore,
} from '../../src/ops/ports';

/** Unit tests only: a runtime whose containers are all running and healthy, and that records restarts. */
export class RecordingRuntime implements ContainerRuntime {
  readonly restarted: string[] = [];
  constructor(private readonly state: Partial<ContainerInfo> = {}) {}
  async list(): Promise<ContainerSummary[]> {
    return [];
  }
  async inspect(container: string): Promise<ContainerInfo> {
    return { name: container, state: 'running', health: 'healthy', restartCount: 0, image: 'img', ...this.state };
  }
  async stats(): Promise<ContainerStats> {
    return { memoryUsed: 0 };
  }
  async *logs(): AsyncIterable<LogLine> {}
  async restart(container: string): Promise<void> {
    this.restarted.push(container);
  }
  async diskUsage(): Promise<DockerDiskUsage> {
    const zero = { count: 0, bytes: 0, reclaimable: 0 };
    return { images: zero, containers: zero, volumes: zero, buildCache: zero };
  }
  async *events(): AsyncIterable<ContainerEvent> {}
  async ping(): Promise<void> {}
}

/** Unit tests only: a store whose every call fails as Redis does while it is down. */
export class DownStore implements StateStore {
  readonly kind = 'redis' as const;
  private fail(): never {
    throw new OpsError('unreachable', 'Redis connection refused', 'check that Redis is running (REDIS_URL)');
  }
  get = async () => this.fail();
  set = async () => this.fail();
  setIfAbsent = async () => this.fail();
  extendIf = async () => this.fail();
  take = async () => this.fail();
  del = async () => this.fail();
  getMany = async () => this.fail();
  writeMany = async () => this.fail();
  hashSet = async () => this.fail();
  hashAll = async () => this.fail();
  hashDel = async () => this.fail();
  keysWithPrefix = async () => this.fail();
  reserve = async () => this.fail();
  appendMany = async () => this.fail();
  tail = async () => this.fail();
  ping = async () => this.fail();
  recentRoundTrip = () => undefined;
  close = async () => {};
}

/** A store whose calls are listed by name, in order: each but the reading of the last one is a round trip to Redis. */
export function countingStore(inner: StateStore): { store: StateStore; calls: string[] } {
  const calls: string[] = [];
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (prop !== 'recentRoundTrip') calls.push(String(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, calls };
}

export const silentLogger = () => pino({ level: 'silent' });

/** The bot's own logger (redaction and all), writing its JSON lines into `lines`, for tests of what it logs. */
export function capturingLogger(): { log: Logger; lines: { level: number; msg: string; [k: string]: unknown }[] } {
  const lines: { level: number; msg: string }[] = [];
  const log = createLogger('debug', { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
  return { log, lines };
}
