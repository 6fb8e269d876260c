import { z } from 'zod';
import { silenceKey } from '../alerts/silences';
import { roleAllows } from '../auth/roles';
import { describeUnit, windowsUnitOf } from '../config/catalog';
import type { Service } from '../config/schema';
import { OpsError } from '../ops/ports';
import { formatDuration } from '../util/duration';
import { bold, code, html, lines, type Html } from '../util/html';
import { serviceArg } from './args';
import { buttonRows, commandButton } from './buttons';
import { defineCommand, type CommandEnv, type RunContext } from './types';
import { verifyRecovery } from './verify-recovery';

function dockerOnly(svc: Service): string | undefined {
  if (!svc.container) {
    const w = windowsUnitOf(svc);
    const unit = w && describeUnit(w);
    return `${svc.name} runs on the GPU box (${unit ?? 'not a container'}), not in Docker`;
  }
  if (!svc.restart.allowed) return `${svc.name} is marked as not restartable in the estate file`;
  return undefined;
}

/** The time one restart may take: Docker's stop timeout, the verification, and some slack for the API. */
const windowOf = (svc: Service) => svc.restart.stop_timeout + svc.restart.verify_timeout + 15_000;

export const restartLockKey = (svc: Service) => `lock:restart:${svc.name}`;
/** Read by the alerting: a service restarted on purpose is not an incident while it comes back. */
const restartSilenceKey = (svc: Service) => silenceKey({ kind: 'service', name: svc.name });

type Args = { services: Service[] };

async function restartOne(ctx: RunContext<Args>, service: Service): Promise<{ line: Html; failed: boolean }> {
  const { env, user, signal } = ctx;
  const runtime = env.docker(service.host);
  if (!runtime) throw new OpsError('unreachable', `no Docker host "${service.host}" is configured`, 'add it under docker_hosts');
  const window = windowOf(service);
  const lock = JSON.stringify({ by: user.name, at: env.now() });
  if (!(await env.store.setIfAbsent(restartLockKey(service), lock, window))) {
    const held = JSON.parse((await env.store.get(restartLockKey(service))) ?? '{}') as { by?: string; at?: number };
    const since = held.at ? ` ${formatDuration(env.now() - held.at)} ago` : '';
    return { line: html`⏳ ${bold(service.name)}: already restarting (started by ${held.by ?? 'someone'}${since}).`, failed: false };
  }
  try {
    await env.store.set(restartSilenceKey(service), JSON.stringify({ by: user.name, reason: 'restart', until: env.now() + window }), window).catch(() => undefined);
    const started = env.now();
    try {
      await runtime.restart(service.container as string, Math.ceil(service.restart.stop_timeout / 1000));
    } catch (err) {
      if (err instanceof OpsError && err.code === 'unreachable') throw err;
      const msg = err instanceof OpsError ? `${err.message}${err.hint ? `. ${err.hint}` : ''}` : String(err);
      return { line: html`❌ ${bold(service.name)}: restart failed: ${msg}`, failed: true };
    }
    const recovery = await verifyRecovery({
      service,
      runtime,
      prober: env.prober,
      deadlineAt: env.now() + service.restart.verify_timeout,
      now: env.now,
      signal,
    });
    const took = formatDuration(env.now() - started);
    return recovery.ok
      ? { line: html`✅ ${bold(service.name)} healthy after ${took} (${recovery.how}).`, failed: false }
      : { line: html`❌ ${bold(service.name)} still failing after ${took}: ${recovery.reason}`, failed: true };
  } finally {
    await env.store.del(restartLockKey(service)).catch(() => undefined);
  }
}

export const restart = defineCommand({
  name: 'restart',
  summary: 'Restart Docker services (in dependency order) and check they come back healthy',
  usage: '/restart <service> [more services]',
  role: 'operator',
  confirm: 'always',
  params: [
    {
      name: 'services',
      variadic: true,
      required: true,
      prompt: 'Which service should I restart?',
      guide: { kind: 'service', offer: (svc, user) => !dockerOnly(svc) && roleAllows(user.role, svc.restart.role) },
    },
  ],
  args: (env: CommandEnv) =>
    z.object({
      services: z
        .array(serviceArg(env.catalog, dockerOnly))
        .min(1)
        .max(10, 'at most 10 services at once')
        .transform((list) => env.catalog.inDependencyOrder([...new Map(list.map((s) => [s.name, s])).values()])),
    }),
  permit: ({ services }, user) => {
    const refused = services.filter((s) => !roleAllows(user.role, s.restart.role));
    return refused.length
      ? refused.map((s) => `${s.name} (${s.category}) may only be restarted by ${s.restart.role}s.`).join(' ')
      : undefined;
  },
  deadline: ({ services }) => services.reduce((sum, s) => sum + windowOf(s), 5_000),
  preview: ({ services }, env) => {
    const names = services.map((s) => s.name);
    const dependants = [...new Set(services.flatMap((s) => env.catalog.dependantsOf(s.name).map((d) => d.name)))].filter((n) => !names.includes(n));
    return lines([
      services.length === 1
        ? html`Restart ${bold(services[0]?.name ?? '')} (${code(services[0]?.container ?? '')}, ${services[0]?.category ?? ''})?`
        : html`Restart ${services.length} services, in this order: ${bold(names.join(' → '))}?`,
      dependants.length ? html`Depends on it: ${dependants.join(', ')}. They may see errors while it restarts.` : html`Nothing in the estate file depends on it.`,
    ]);
  },
  progress: ({ services }) => html`⏳ Restarting ${bold(services.map((s) => s.name).join(', '))}…`,
  async run(ctx) {
    const results: { service: Service; line: Html; failed: boolean }[] = [];
    for (const service of ctx.args.services) {
      if (ctx.signal.aborted) break;
      results.push({ service, ...(await restartOne(ctx, service)) });
    }
    const failed = results.filter((r) => r.failed).slice(0, 3);
    return {
      html: lines(results.map((r) => r.line)),
      buttons: buttonRows(failed.map((r) => commandButton(`📜 Logs ${r.service.name}`, `/logs ${r.service.name}`))),
    };
  },
});
