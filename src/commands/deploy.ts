import { stripVTControlCharacters } from 'node:util';
import { z } from 'zod';
import type { Service } from '../config/schema';
import { Deploys } from '../estate/deploys';
import { macUnavailable } from '../estate/mac-reach';
import { OpsError } from '../ops/ports';
import { formatDuration } from '../util/duration';
import { bold, code, html, lines, pre, type Html } from '../util/html';
import { LineRedactor } from '../util/redact';
import { serviceArg } from './args';
import { buttonRows, commandButton } from './buttons';
import { defineCommand, type CommandEnv } from './types';

const DEPLOY_MS = 45 * 60_000;
const SHOWN_LINES = 6;
/** The lines docker build prints at each step (BuildKit's "#7 [builder 4/6] RUN …", the classic "Step 3/9 : …"). */
const BUILD_STEP = /^(#\d+ \[|Step \d+\/\d+)/;
/** build-app.sh's own announcements ("==> Building todo-web"). */
const BANNER = /^==> /;

type Args = { action: 'deploy'; services: Service[] } | { action: 'cancel' };

const appOf = (svc: Service) => svc.compose_service ?? svc.name;

function inDocker(svc: Service): string | undefined {
  return svc.container ? undefined : `${svc.name} is not built on the Mac (it runs on the GPU box)`;
}

const unavailable = (env: CommandEnv) => macUnavailable(env.catalog, env.mac);

/** The build's output as it comes: the last step it announced and its last lines, secrets blanked. */
class BuildLog {
  private readonly redactor = new LineRedactor();
  private partial = '';
  readonly all: string[] = [];
  /** The last docker build step, and the script's last announcement. */
  private buildStep: string | undefined;
  private banner: string | undefined;

  /** Where the build is: its docker step, else what the script last said. */
  get step(): string | undefined {
    return this.buildStep ?? this.banner;
  }

  add(text: string): void {
    const parts = (this.partial + text).split(/\r?\n|\r/);
    this.partial = parts.pop() ?? '';
    for (const raw of parts) {
      const line = this.redactor.line(stripVTControlCharacters(raw));
      if (line.trim() === '') continue;
      this.all.push(line);
      if (BUILD_STEP.test(line)) this.buildStep = line;
      else if (BANNER.test(line)) {
        this.banner = line;
        // A new app: its docker steps start over.
        if (/^==> Building /.test(line)) this.buildStep = undefined;
      }
    }
  }

  finish(): void {
    if (this.partial.trim() !== '') this.add('\n');
  }

  tail(n = SHOWN_LINES): string {
    return this.all.slice(-n).map((l) => (l.length > 160 ? `${l.slice(0, 159)}…` : l)).join('\n');
  }
}

export const deploy = defineCommand({
  name: 'deploy',
  summary: 'Build and deploy apps on the Mac Mini (build-app.sh), with progress; cancel a running deploy',
  usage: '/deploy <service…> | /deploy cancel',
  role: 'admin',
  examples: ['/deploy todo-web', '/deploy todo-web todo-backend', '/deploy cancel'],
  subcommands: [{ name: 'cancel', summary: 'Stop the deploy that is running (build-app.sh restarts monitoring on its way out)', usage: '/deploy cancel', role: 'admin' }],
  confirm: (args: Args) => args.action === 'deploy',
  params: [{ name: 'services', variadic: true, required: true, prompt: 'Deploy which service?', guide: { kind: 'service', offer: (s) => !inDocker(s) } }],
  args: (env: CommandEnv) =>
    z.object({ services: z.array(z.string()).min(1) }).transform((raw, ctx): Args => {
      if (raw.services.length === 1 && raw.services[0] === 'cancel') return { action: 'cancel' };
      const one = serviceArg(env.catalog, inDocker);
      const services: Service[] = [];
      for (const [i, word] of raw.services.entries()) {
        const got = one.safeParse(word);
        if (got.success) services.push(got.data);
        else for (const issue of got.error.issues) ctx.addIssue({ code: 'custom', path: ['services', i], message: issue.message });
      }
      if (services.length > 10) ctx.addIssue({ code: 'custom', path: ['services'], message: 'at most 10 apps at once' });
      return services.length === raw.services.length ? { action: 'deploy', services: [...new Map(services.map((s) => [s.name, s])).values()] } : z.NEVER;
    }),
  ready: (_args, env) => unavailable(env),
  deadline: (args) => (args.action === 'deploy' ? DEPLOY_MS + 5 * 60_000 : 30_000),
  // A second deploy is refused before anyone confirms it, with who started the first.
  preview: async (args, env) => {
    const running = await new Deploys(env.store, env.now).running();
    if (running) {
      throw new OpsError('conflict', `a deploy of ${running.apps.join(', ')} by ${running.by} is running (started ${formatDuration(env.now() - running.at)} ago)`, 'wait for it to finish, or /deploy cancel');
    }
    const apps = args.action === 'deploy' ? args.services.map(appOf) : [];
    return lines([
      html`Deploy ${bold(apps.join(', '))} on the Mac Mini?`,
      html`${code(`./scripts/mac-mini/build-app.sh ${apps.join(' ')}`)} in the monorepo: it builds the images (minutes; monitoring containers are stopped while memory is short, and started again at the end) and restarts the apps.`,
    ]);
  },
  progress: (args) => html`⏳ Deploying ${args.action === 'deploy' ? args.services.map((s) => s.name).join(', ') : ''}…`,
  async run({ args, env, user, signal, progress }) {
    const mac = env.mac as NonNullable<CommandEnv['mac']>;
    const deploys = new Deploys(env.store, env.now);
    if (args.action === 'cancel') {
      const running = await deploys.running();
      if (!running) return { html: html`No deploy is running.` };
      await deploys.markCancelled(user.name);
      const said = await mac.cancelDeploy();
      return { html: html`✖️ Cancelling the deploy of ${running.apps.join(', ')} (started by ${running.by}): ${said}. Its message says when it has stopped.` };
    }
    const names = args.services.map((s) => s.name).join(', ');
    const slot = await deploys.begin(args.services.map((s) => s.name), user.name, DEPLOY_MS + 5 * 60_000);
    if (!slot.ok) return { html: html`Not started: a deploy of ${slot.held?.apps.join(', ') ?? '?'} by ${slot.held?.by ?? 'someone'} is running.`, failed: 'busy' };
    const started = env.now();
    const log = new BuildLog();
    const show = (): Html =>
      lines([
        html`⏳ Deploying ${bold(names)} · ${formatDuration(Math.max(1_000, env.now() - started))}`,
        ...(log.step ? [html`Step: ${code(log.step)}`] : []),
        ...(log.all.length ? [pre(log.tail())] : []),
        html`<i>/deploy cancel stops it.</i>`,
      ]);
    try {
      const result = await mac.deploy(args.services.map(appOf), (text) => {
        log.add(text);
        progress(show());
      }, DEPLOY_MS);
      log.finish();
      const took = formatDuration(env.now() - started);
      const document = { filename: `deploy-${args.services.map((s) => s.name).join('-')}-${env.catalog.time.date(env.now())}.log.txt`, content: `${log.all.join('\n')}\n`, caption: `build-app.sh ${args.services.map(appOf).join(' ')}: ${log.all.length} lines` };
      const cancelledBy = await deploys.cancelledBy();
      if (!result.ok && cancelledBy) {
        return { html: lines([html`✖️ Deploy of ${bold(names)} cancelled by ${cancelledBy} after ${took}${log.step ? ` at ${log.step}` : ''}.`, html`build-app.sh's trap starts monitoring again on its way out.`]), document, failed: 'cancelled' };
      }
      if (!result.ok) {
        return {
          html: lines([html`❌ Deploy of ${bold(names)} failed after ${took} (exit ${result.code ?? '?'})${log.step ? html` at ${code(log.step)}` : ''}.`, pre(log.tail(10)), html`The whole log is in the file.`]),
          document,
          failed: `build-app.sh exited ${result.code ?? '?'}`,
        };
      }
      // Built and restarted: each app must be healthy and stay so, as after a restart.
      const checks = await Promise.all(args.services.map(async (s) => ({ s, v: await env.restarts.settled(s, signal) })));
      const bad = checks.filter((c) => !c.v.ok);
      return {
        html: lines([
          html`${bad.length ? '❌' : '✅'} Deploy of ${bold(names)} ${bad.length ? 'built, but not healthy' : 'done'} after ${took}.`,
          ...checks.map(({ s, v }) => (v.ok ? html`✅ ${s.name} healthy (${v.how})` : html`❌ ${s.name}: ${v.reason}`)),
        ]),
        buttons: buttonRows(bad.slice(0, 3).map(({ s }) => commandButton(`📜 Logs ${s.name}`, `/logs ${s.name}`))),
        document,
        ...(bad.length && { failed: `not healthy: ${bad.map((b) => b.s.name).join(', ')}` }),
      };
    } finally {
      await deploys.end().catch(() => undefined);
    }
  },
});
