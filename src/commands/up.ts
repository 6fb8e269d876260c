import { z } from 'zod';
import type { Service } from '../config/schema';
import { OpsError } from '../ops/ports';
import { bold, code, html } from '../util/html';
import { serviceArg } from './args';
import { macUnavailable } from '../estate/mac-reach';
import { restartWindowMs } from '../estate/restart';
import { restartFailure, restartLine } from './restart-report';
import { buttonRows, commandButton } from './buttons';
import { defineCommand, type CommandEnv } from './types';

const composeName = (svc: Service) => svc.compose_service ?? svc.name;

function inDocker(svc: Service): string | undefined {
  return svc.container ? undefined : `${svc.name} is not a container (it runs on the GPU box)`;
}

export const up = defineCommand({
  name: 'up',
  summary: 'Create and start a service whose container was never created (compose up -d on the Mac), then check it',
  usage: '/up <service>',
  role: 'admin',
  confirm: 'always',
  params: [{ name: 'service', required: true, prompt: 'Create which service?', guide: { kind: 'service', offer: (s) => !inDocker(s) } }],
  args: (env: CommandEnv) => z.object({ service: serviceArg(env.catalog, inDocker) }),
  ready: ({ service }, env) => macUnavailable(env.catalog, env.mac) ?? env.restarts.unavailable(service),
  deadline: ({ service }) => restartWindowMs(service) + 180_000,
  // Only for a container that is not there: one that exists is restarted, not created again.
  preview: async ({ service }, env) => {
    const info = await env.docker(service.host)?.inspect(service.container as string).catch((e: unknown) => (e instanceof OpsError && e.code === 'not_found' ? undefined : Promise.reject(e)));
    if (info) throw new OpsError('conflict', `${service.container} exists already (${info.state}): nothing to create`, `use /restart ${service.name}`);
    return html`Create and start ${bold(service.name)} on the Mac Mini (${code(`docker compose -f docker-compose.macmini.yml up -d ${composeName(service)}`)} in the monorepo)?`;
  },
  progress: ({ service }) => html`⏳ Creating ${bold(service.name)} on the Mac Mini (compose up -d)…`,
  async run({ args, env, user, signal }) {
    const mac = env.mac as NonNullable<CommandEnv['mac']>;
    const result = await env.restarts.create(args.service, user.name, signal, () => mac.up(composeName(args.service)));
    const failure = restartFailure([result]);
    return {
      html: restartLine(result),
      buttons: buttonRows([commandButton('📜 Logs', `/logs ${args.service.name}`), commandButton('🔎 Status', `/status ${args.service.name}`)]),
      ...(failure && { failed: failure }),
    };
  },
});
