import type { StateStore } from '../ops/ports';

export interface RunningDeploy {
  apps: string[];
  by: string;
  at: number;
}

const RUNNING = 'deploy:running';
const CANCELLED = 'deploy:cancelled';

/** The deploy under way on the Mac (one at a time, across instances) and who cancelled it: the owner of deploy:*. */
export class Deploys {
  constructor(
    private readonly store: StateStore,
    private readonly now: () => number,
  ) {}

  async running(): Promise<RunningDeploy | undefined> {
    const raw = await this.store.get(RUNNING);
    return raw ? (JSON.parse(raw) as RunningDeploy) : undefined;
  }

  /** Takes the one slot, or says who holds it. The slot ends by itself after `ttlMs` (a bot that died mid-deploy). */
  async begin(apps: string[], by: string, ttlMs: number): Promise<{ ok: true } | { ok: false; held: RunningDeploy | undefined }> {
    await this.store.del(CANCELLED).catch(() => undefined);
    if (await this.store.setIfAbsent(RUNNING, JSON.stringify({ apps, by, at: this.now() } satisfies RunningDeploy), ttlMs)) return { ok: true };
    return { ok: false, held: await this.running().catch(() => undefined) };
  }

  async cancelledBy(): Promise<string | undefined> {
    return (await this.store.get(CANCELLED).catch(() => null)) ?? undefined;
  }

  async markCancelled(by: string): Promise<void> {
    await this.store.set(CANCELLED, by, 3_600_000);
  }

  async end(): Promise<void> {
    await this.store.del(RUNNING);
  }
}
