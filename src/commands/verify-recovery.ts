import type { Service } from '../config/schema';
import type { ContainerRuntime, Prober } from '../ops/ports';

export type Recovery = { ok: true; how: string } | { ok: false; reason: string };

/** Runs a service's own HTTP checks from the estate file once; undefined when it has none. */
export async function ownChecks(service: Service, prober: Prober): Promise<Recovery | undefined> {
  const checks = service.checks.filter((c) => c.type === 'http');
  if (checks.length === 0) return undefined;
  const results = await Promise.all(
    checks.map((c) => prober.http(c.url, { timeoutMs: Math.min(c.timeout, 5_000), expectStatus: c.expect_status, ...(c.body_contains !== undefined && { bodyContains: c.body_contains }) })),
  );
  const failed = results.findIndex((r) => !r.ok);
  return failed < 0 ? { ok: true, how: `its check ${checks[0]?.url}` } : { ok: false, reason: `${checks[failed]?.url}: ${results[failed]?.error}` };
}

const POLL_MS = 500;
const STABLE_MS = 2_000; // without a healthcheck of any kind, running this long counts as recovered

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

/**
 * After a restart: is the service running, and healthy by its Docker healthcheck, or else by its own
 * HTTP checks from the estate file, or else by staying up for a moment? Gives up at the deadline with
 * the last reason seen.
 */
export async function verifyRecovery(options: {
  service: Service;
  runtime: ContainerRuntime;
  prober: Prober;
  deadlineAt: number;
  now: () => number;
  signal: AbortSignal;
}): Promise<Recovery> {
  const { service, runtime, prober, now, signal } = options;
  const container = service.container as string;
  let reason = 'not checked yet';
  let runningSince: number | undefined;
  let downSince: number | undefined;
  while (!signal.aborted) {
    const info = await runtime.inspect(container).catch((err: Error) => {
      reason = err.message;
      return undefined;
    });
    if (info?.state === 'running') {
      runningSince ??= now();
      downSince = undefined;
      if (info.health === 'healthy') return { ok: true, how: 'Docker healthcheck' };
      if (info.health === 'unhealthy') {
        return { ok: false, reason: `Docker healthcheck says unhealthy${info.lastHealthProbe?.output ? `: ${info.lastHealthProbe.output.slice(0, 200)}` : ''}` };
      }
      if (info.health === 'starting') reason = 'Docker healthcheck still starting';
      else {
        const own = await ownChecks(service, prober);
        if (own?.ok) return own;
        if (own) reason = own.reason;
        else if (now() - runningSince >= STABLE_MS) return { ok: true, how: 'running' };
        else reason = 'just started';
      }
    } else if (info) {
      runningSince = undefined;
      reason = `${info.state}${info.exitCode !== undefined ? ` (exit ${info.exitCode}${info.oomKilled ? ', OOM killed' : ''})` : ''}`;
      // Exited and staying so: no restart policy will bring it back in time, say so now.
      if (info.state === 'exited' || info.state === 'dead') {
        downSince ??= now();
        if (now() - downSince >= STABLE_MS) break;
      } else downSince = undefined;
    }
    if (now() >= options.deadlineAt) break;
    await sleep(Math.min(POLL_MS, Math.max(0, options.deadlineAt - now())), signal);
  }
  return { ok: false, reason };
}
