import { setTimeout as delay } from 'node:timers/promises';
import { windowsUnitOf, type Catalog } from '../config/catalog';
import type { Service } from '../config/schema';
import { OpsError, type ContainerRuntime, type GpuHost, type Prober, type StateStore } from '../ops/ports';
import { formatDuration } from '../util/duration';
import { reachGpuBox } from './gpu-box';
import { combine, judgeContainer, judgeUnit, probeService, type Verdict } from './health';
import { RestartLocks } from './restart-locks';
import { Silences } from './silences';

/** What one restart came to: the one shape `/restart`, `/gpu restart`, the audit and the metrics read. */
export type RestartResult =
  | { service: Service; outcome: 'recovered'; tookMs: number; how: string; killedAfterMs?: number }
  /** `notDone`: the restart (or create) itself failed, so there was nothing to verify. */
  | { service: Service; outcome: 'failed'; tookMs: number; reason: string; killedAfterMs?: number; notDone?: true }
  | { service: Service; outcome: 'busy'; by?: string; sinceMs?: number };

export interface RestartDeps {
  catalog: Catalog;
  docker: (host: string) => ContainerRuntime | undefined;
  gpu: GpuHost | undefined;
  prober: Prober;
  store: StateStore;
  now: () => number;
}

/** One look at a restarted service: its verdict, and for containers the restart count (a loop shows there). */
interface Look {
  verdict: Verdict;
  /** Conclusive at once: Docker's own healthcheck said unhealthy. */
  final?: boolean;
  restartCount?: number;
  /** How a healthy verdict was reached: "Docker healthcheck", "its check <url>", "running". */
  how?: string;
}

const POLL_MS = 500;
/** Down and staying down this long after the restart: nothing will bring it back in time, say so now. */
const DOWN_GRACE_MS = 2_000;
/** Slack under the stop timeout below which a restart that took that long was a SIGKILL, not a clean stop. */
const KILL_SLACK_MS = 300;

/** Waits between polls, less when the command is cancelled; the wait's abort listener goes with it (a long verification polls often). */
const sleep = (ms: number, signal: AbortSignal): Promise<void> => delay(ms, undefined, { signal }).catch(() => undefined);

/** The time one restart may take: the stop timeout, the verification and its stable window, some slack. */
export const restartWindowMs = (svc: Service) => svc.restart.stop_timeout + svc.restart.verify_timeout + svc.restart.stable_for + 15_000;

/**
 * The one restart, for containers and GPU-box units alike: a lock so nobody restarts it twice at once, a
 * silence so the monitor does not page for a restart made on purpose (listed by /silences), the restart,
 * then verification: healthy, and still healthy after the stable window; a service that comes up and falls
 * over within it, or that the restart policy keeps restarting, failed.
 */
export class Restarter {
  private readonly locks: RestartLocks;
  private readonly silences: Silences;

  constructor(private readonly d: RestartDeps) {
    this.locks = new RestartLocks(d.store);
    this.silences = new Silences(d.store, d.now);
  }

  /** Why this service cannot be restarted from here at all: asked before the confirmation. */
  unavailable(service: Service): OpsError | undefined {
    if (service.container) {
      return this.d.docker(service.host) ? undefined : new OpsError('unreachable', `no Docker host "${service.host}" is configured`, 'add it under docker_hosts');
    }
    if (!windowsUnitOf(service)) return new OpsError('invalid', `${service.name} is neither a container nor a GPU-box unit`, 'give it container: or windows: in the estate file');
    const reach = reachGpuBox(this.d.catalog, this.d.gpu);
    return reach instanceof OpsError ? reach : undefined;
  }

  async restart(service: Service, by: string, signal: AbortSignal): Promise<RestartResult> {
    const missing = this.unavailable(service);
    if (missing) throw missing;
    return this.act(service, by, signal, () => this.kick(service), true);
  }

  /**
   * A container that was never created, brought up by `up` (compose on the Mac, through its wrapper), then
   * verified as a restart is: healthy, and still so after the stable window. Same lock, same silence.
   */
  async create(service: Service, by: string, signal: AbortSignal, up: () => Promise<unknown>): Promise<RestartResult> {
    const missing = this.unavailable(service);
    if (missing) throw missing;
    return this.act(service, by, signal, up, false);
  }

  /** After a deploy: whether the service is healthy and stays so, judged as after a restart. */
  async settled(service: Service, signal: AbortSignal): Promise<{ ok: true; how: string } | { ok: false; reason: string }> {
    return this.verify(service, signal);
  }

  private async act(service: Service, by: string, signal: AbortSignal, kick: () => Promise<unknown>, isRestart: boolean): Promise<RestartResult> {
    const window = restartWindowMs(service);
    const lock = await this.locks.acquire(service.name, { by, at: this.d.now() }, window);
    if (!lock.ok) {
      return { service, outcome: 'busy', ...(lock.held.by && { by: lock.held.by }), ...(lock.held.at && { sinceMs: this.d.now() - lock.held.at }) };
    }
    try {
      // Best effort: a restart still runs with the store down, it is only not silenced.
      await this.silences.atLeast({ kind: 'service', name: service.name }, window, by, 'restart').catch(() => undefined);
      const started = performance.now();
      let killedAfterMs: number | undefined;
      try {
        await kick();
        const took = performance.now() - started;
        if (isRestart && service.container && took >= service.restart.stop_timeout - KILL_SLACK_MS) killedAfterMs = service.restart.stop_timeout;
      } catch (err) {
        if (err instanceof OpsError && err.code === 'unreachable') throw err;
        const what = isRestart ? 'restart' : 'create';
        const reason = err instanceof OpsError ? `${what} failed: ${err.message}${err.hint ? `. ${err.hint}` : ''}` : `${what} failed: ${String(err)}`;
        return { service, outcome: 'failed', tookMs: performance.now() - started, reason, notDone: true };
      }
      const verified = await this.verify(service, signal);
      const tookMs = performance.now() - started;
      const killed = killedAfterMs !== undefined ? { killedAfterMs } : {};
      return verified.ok ? { service, outcome: 'recovered', tookMs, how: verified.how, ...killed } : { service, outcome: 'failed', tookMs, reason: verified.reason, ...killed };
    } finally {
      await this.locks.release(service.name).catch(() => undefined);
    }
  }

  private async kick(service: Service): Promise<void> {
    if (service.container) {
      const runtime = this.d.docker(service.host) as ContainerRuntime;
      await runtime.restart(service.container, Math.ceil(service.restart.stop_timeout / 1000));
      return;
    }
    await (this.d.gpu as GpuHost).restartUnit(windowsUnitOf(service) as NonNullable<ReturnType<typeof windowsUnitOf>>);
  }

  private async look(service: Service): Promise<Look> {
    if (service.container) {
      const info = await (this.d.docker(service.host) as ContainerRuntime).inspect(service.container);
      const verdict = judgeContainer({ ...info, ...(info.lastHealthProbe && { healthOutput: info.lastHealthProbe.output }) }, service.container);
      // Docker's own healthcheck decides where there is one; otherwise the service's HTTP checks do.
      const http = verdict.ok && info.health === 'none' ? await probeService(service, this.d.prober, 5_000) : undefined;
      const how = info.health === 'healthy' ? 'Docker healthcheck' : (http?.reason ?? 'running');
      return { verdict: combine(verdict, http), final: verdict.state === 'unhealthy', restartCount: info.restartCount, how };
    }
    const [unit] = await (this.d.gpu as GpuHost).units([windowsUnitOf(service) as NonNullable<ReturnType<typeof windowsUnitOf>>]);
    const verdict = judgeUnit(unit);
    const http = verdict.ok ? await probeService(service, this.d.prober, 5_000) : undefined;
    return { verdict: combine(verdict, http), how: http?.reason ?? 'running' };
  }

  /** Healthy and staying so for the stable window, within the verify timeout. */
  private async verify(service: Service, signal: AbortSignal): Promise<{ ok: true; how: string } | { ok: false; reason: string }> {
    // Windows of real time (the injected clock stamps records; it may stand still in tests).
    const now = () => performance.now();
    const deadlineAt = now() + service.restart.verify_timeout;
    const stableMs = service.restart.stable_for;
    let reason = 'not checked yet';
    let upSince: number | undefined;
    let downSince: number | undefined;
    let firstCount: number | undefined;
    while (!signal.aborted) {
      const look = await this.look(service).catch((err: Error): Look => ({ verdict: { ok: false, state: 'missing', reason: err.message } }));
      const v = look.verdict;
      firstCount ??= look.restartCount;
      if (v.state === 'restarting' || (firstCount !== undefined && look.restartCount !== undefined && look.restartCount > firstCount)) {
        return { ok: false, reason: `restart loop: it keeps crashing (${v.ok ? 'crashed again' : v.reason})` };
      }
      if (v.ok && v.state === 'healthy') {
        upSince ??= now();
        downSince = undefined;
        if (now() - upSince >= stableMs) return { ok: true, how: look.how ?? 'running' };
      } else if (v.ok) {
        upSince = undefined;
        reason = v.reason ?? 'starting';
      } else {
        if (upSince !== undefined) return { ok: false, reason: `came up, then fell over within ${formatDuration(now() - upSince)}: ${v.reason}` };
        reason = v.reason ?? 'failing';
        if (look.final) return { ok: false, reason };
        if (v.state === 'down' || v.state === 'missing') {
          downSince ??= now();
          if (now() - downSince >= DOWN_GRACE_MS) break;
        } else downSince = undefined;
      }
      if (now() >= deadlineAt && upSince === undefined) break;
      await sleep(POLL_MS, signal);
    }
    return { ok: false, reason };
  }
}

