import { z } from 'zod';
import { roleAllows } from '../auth/roles';
import { describeUnit, windowsUnitOf, type KnownUser } from '../config/catalog';
import type { Service } from '../config/schema';
import { restartWindowMs } from '../estate/restart';
import { bold, code, html, lines } from '../util/html';
import { serviceArg } from './args';
import { buttonRows, commandButton } from './buttons';
import { restartFailure, restartLine } from './restart-report';
import { defineCommand, type CommandEnv } from './types';

function dockerOnly(svc: Service): string | undefined {
  if (!svc.container) {
    const w = windowsUnitOf(svc);
    const unit = w && describeUnit(w);
    return `${svc.name} runs on the GPU box (${unit ?? 'not a container'}), not in Docker`;
  }
  if (!svc.restart.allowed) return `${svc.name} is marked as not restartable in the estate file`;
  return undefined;
}

/** What this caller may restart here: the guided buttons and the did-you-mean offer only these. */
const mayRestart = (svc: Service, user: KnownUser) => !dockerOnly(svc) && roleAllows(user.role, svc.restart.role);

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
      guide: { kind: 'service', offer: mayRestart },
    },
  ],
  args: (env: CommandEnv, user?: KnownUser) =>
    z.object({
      services: z
        .array(serviceArg(env.catalog, dockerOnly, user && ((svc) => mayRestart(svc, user))))
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
  ready: ({ services }, env) => services.map((s) => env.restarts.unavailable(s)).find((e) => e !== undefined),
  deadline: ({ services }) => services.reduce((sum, s) => sum + restartWindowMs(s), 5_000),
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
  async run({ args, env, user, signal, progress }) {
    const results = [];
    for (const service of args.services) {
      if (signal.aborted) break;
      if (results.length) progress(lines([...results.map(restartLine), html`⏳ Restarting ${bold(service.name)}…`]));
      results.push(await env.restarts.restart(service, user.name, signal));
    }
    const failed = results.filter((r) => r.outcome === 'failed').slice(0, 3);
    const failure = restartFailure(results);
    return {
      html: lines(results.map(restartLine)),
      buttons: buttonRows(failed.map((r) => commandButton(`📜 Logs ${r.service.name}`, `/logs ${r.service.name}`))),
      ...(failure && { failed: failure }),
    };
  },
});
