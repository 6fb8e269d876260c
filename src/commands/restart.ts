import { z } from 'zod';
import { roleAllows } from '../auth/roles';
import type { Service } from '../config/schema';
import { OpsError } from '../ops/ports';
import { formatDuration } from '../util/duration';
import { bold, code, html, lines } from '../util/html';
import { serviceArg } from './args';
import { defineCommand, type CommandEnv } from './types';

const STOP_TIMEOUT_S = 10;

function dockerOnly(svc: Service): string | undefined {
  if (!svc.container) {
    const unit = svc.windows && ('scheduled_task' in svc.windows ? `Scheduled Task ${svc.windows.scheduled_task}` : `Windows Service ${svc.windows.windows_service}`);
    return `${svc.name} runs on the GPU box (${unit ?? 'not a container'}), not in Docker`;
  }
  if (!svc.restart.allowed) return `${svc.name} is marked as not restartable in the estate file`;
  return undefined;
}

export const restart = defineCommand({
  name: 'restart',
  summary: 'Restart a Docker service and report how it came back',
  usage: '/restart <service>',
  role: 'operator',
  confirm: 'always',
  params: [
    {
      name: 'service',
      required: true,
      prompt: 'Which service should I restart?',
      guide: { kind: 'service', offer: (svc, user) => !dockerOnly(svc) && roleAllows(user.role, svc.restart.role) },
    },
  ],
  args: (env: CommandEnv) => z.object({ service: serviceArg(env.catalog, dockerOnly) }),
  permit: ({ service }, user) =>
    roleAllows(user.role, service.restart.role)
      ? undefined
      : `${service.name} (${service.category}) may only be restarted by ${service.restart.role}s.`,
  preview: ({ service }, env) => {
    const dependants = env.catalog.dependantsOf(service.name).map((s) => s.name);
    return lines([
      html`Restart ${bold(service.name)} (${code(service.container ?? '')}, ${service.category})?`,
      dependants.length
        ? html`Depends on it: ${dependants.join(', ')}. They may see errors while it restarts.`
        : html`Nothing in the estate file depends on it.`,
    ]);
  },
  progress: ({ service }) => html`⏳ Restarting ${bold(service.name)}…`,
  async run({ args: { service }, env }) {
    const runtime = env.docker(service.host);
    if (!runtime) throw new OpsError('unreachable', `no Docker host "${service.host}" is configured`, 'add it under docker_hosts');
    const container = service.container as string;
    const started = env.now();
    await runtime.restart(container, STOP_TIMEOUT_S);
    const after = await runtime.inspect(container);
    const took = formatDuration(env.now() - started);
    const health = after.health === 'none' ? '' : `, ${after.health}`;
    const ok = after.state === 'running' && after.health !== 'unhealthy';
    return {
      html: ok
        ? html`✅ ${bold(service.name)} restarted in ${took}: ${after.state}${health}.`
        : html`⚠️ ${bold(service.name)} restarted in ${took} but is ${after.state}${health}${after.exitCode !== undefined ? ` (exit ${after.exitCode})` : ''}. Its logs: ${code(`docker logs --tail 50 ${container}`)}.`,
    };
  },
});
