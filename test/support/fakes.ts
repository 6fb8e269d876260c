import pino from 'pino';
import { OpsError, type ContainerInfo, type ContainerRuntime, type StateStore } from '../../src/ops/ports';

/** Unit tests only: a runtime that records restarts. */
export class RecordingRuntime implements ContainerRuntime {
  readonly restarted: string[] = [];
  constructor(private readonly state: Partial<ContainerInfo> = {}) {}
  async inspect(container: string): Promise<ContainerInfo> {
    return { name: container, state: 'running', health: 'healthy', restartCount: 0, image: 'img', ...this.state };
  }
  async restart(container: string): Promise<void> {
    this.restarted.push(container);
  }
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
  take = async () => this.fail();
  del = async () => this.fail();
  hit = async () => this.fail();
  append = async () => this.fail();
  tail = async () => this.fail();
  ping = async () => this.fail();
  close = async () => {};
}

export const silentLogger = () => pino({ level: 'silent' });
