import { z } from 'zod';
import type { Service } from '../config/schema';
import { describeUnit, suggest, windowsUnitOf, type WindowsUnit } from '../config/catalog';
import { formatBytes } from '../util/bytes';
import { diskLevel, usedPercent } from '../util/disk';
import { formatDuration } from '../util/duration';
import { bold, code, html, italic, lines, type Html } from '../util/html';
import { OpsError } from '../ops/ports';
import { formatUptime, noHistoryReason, SOURCE_NAMES, uptimeOf } from '../estate/service-history';
import { buttonRows, commandButton } from './buttons';
import { combine, judgeContainer, probeService } from '../estate/health';
import { bucketOf, estateState, withRestartCounts, type Bucket, type ServiceState } from '../estate/service-state';
import { defineCommand, type CommandEnv, type RunContext } from './types';
import { withTimeout } from '../util/with-timeout';
import type { FileSystemUsage } from '../ops/ports';

type Target = { kind: 'overview'; all: boolean } | { kind: 'service'; service: Service } | { kind: 'category'; category: string };

function targetArg(env: CommandEnv) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): Target => {
      const word = raw?.trim().toLowerCase();
      if (!word || word === 'problems') return { kind: 'overview', all: false };
      if (word === 'all') return { kind: 'overview', all: true };
      if (env.catalog.categories().includes(word)) return { kind: 'category', category: word };
      const service = env.catalog.findService(word);
      if (service) return { kind: 'service', service };
      const guess = env.catalog.suggestService(word) ?? suggest(word, env.catalog.categories());
      ctx.addIssue({ code: 'custom', message: `unknown service or category "${raw}"${guess ? `. Did you mean ${guess}?` : ''}` });
      return z.NEVER;
    });
}

const ICON: Record<Bucket, string> = { running: '✅', stopped: '⛔', unhealthy: '⚠️', restarting: '🔁' };

function stateLine(s: ServiceState): Html {
  const bucket = bucketOf(s);
  return html`${ICON[bucket]} ${bold(s.service.name)}: ${s.problem ?? s.container?.status.toLowerCase() ?? ''}`;
}

async function overview(ctx: RunContext<{ target: Target }>, all: boolean) {
  const { env } = ctx;
  const listed = await estateState(env.catalog, env.docker, env.prober);
  const states = await withRestartCounts(listed.states, env.docker);
  const unlisted = listed.unlisted;
  const problems = states.filter((s) => s.problem);
  const categories = [...new Set(states.map((s) => s.service.category))];
  const countLine = (category: string) => {
    const inCat = states.filter((s) => s.service.category === category);
    const n = (b: Bucket) => inCat.filter((s) => bucketOf(s) === b).length;
    const extra = (['stopped', 'unhealthy', 'restarting'] as const).filter((b) => n(b) > 0).map((b) => `${n(b)} ${b}`);
    return html`${inCat.length === n('running') ? '✅' : '❗'} ${category}: ${n('running')}/${inCat.length} running${extra.length ? ` · ${extra.join(' · ')}` : ''}`;
  };
  const running = states.filter((s) => bucketOf(s) === 'running').length;
  const disks = await Promise.all(
    env.catalog.estate.disks.map(async (d) => {
      let u: FileSystemUsage | undefined;
      let why = 'it reports a size of 0';
      try {
        u = await env.disk.usage(d.path);
      } catch (err) {
        why = (err as Error).message;
      }
      if (!u || u.totalBytes === 0) return `${d.label} ? (${why})`;
      const pct = usedPercent(u);
      const level = diskLevel(pct, env.catalog.estate.disk_thresholds);
      return `${level === 'critical' ? '🔴' : level === 'warning' ? '🟠' : ''}${d.label} ${pct}%`;
    }),
  );
  const gpuLine = await gpuBoxLine(env);
  const time = env.catalog.time.hmZone(env.now());
  const nothingAnswered = listed.unreachable.length > 0 && states.every((s) => !s.container);
  const body: Html[] = nothingAnswered
    ? [
        html`🔴 ${bold('Docker does not answer')} · ${time}`,
        ...listed.unreachable.map((e) => html`${e.message}${e.hint ? `. Next: ${e.hint}` : ''}`),
      ]
    : [html`${bold(`${running}/${states.length} Docker services healthy`)} · ${time}`, ...categories.map(countLine)];
  // With no Docker host answering, sixty identical "unreachable" lines would bury the one fact that matters.
  if (!nothingAnswered) {
    if (problems.length) {
      body.push(html``, bold('Problems'));
      // A host that does not answer is one problem, said once with the services it takes along.
      const downHosts = new Map<string, ServiceState[]>();
      for (const p of problems) if (p.hostDown) downHosts.set(p.hostDown.host, [...(downHosts.get(p.hostDown.host) ?? []), p]);
      for (const [host, down] of downHosts) {
        const error = down[0]?.hostDown?.error;
        body.push(html`🔴 ${bold(`Docker host ${host} does not answer`)}: ${error?.message ?? ''}${error?.hint ? `. Next: ${error.hint}` : ''} · ${down.length} service${down.length === 1 ? '' : 's'}: ${down.map((s) => s.service.name).join(', ')}`);
      }
      for (const p of problems) if (!p.hostDown) body.push(html`${stateLine(p)}${p.restarts ? ` · ${p.restarts} restarts` : ''}`);
    } else body.push(html``, html`No problems.`);
  }
  if (all) {
    body.push(html``, bold('All services'));
    for (const category of categories) {
      body.push(html`${italic(category)}: ${states.filter((s) => s.service.category === category).map((s) => `${ICON[bucketOf(s)]}${s.service.name}`).join('  ')}`);
    }
  }
  if (disks.length) body.push(html``, html`${bold('Disk')} ${disks.join(' · ')}`);
  if (unlisted.length) body.push(html`${italic(`${unlisted.length} container(s) not in the estate file: ${unlisted.slice(0, 5).map((c) => c.name).join(', ')}${unlisted.length > 5 ? ', …' : ''}`)}`);
  if (gpuLine) body.push(gpuLine);
  // A container that was never created is brought up on the Mac (its wrapper runs compose), where the bot can.
  const neverCreated = env.mac ? problems.filter((p) => !p.hostDown && p.verdict.state === 'missing' && p.service.container).slice(0, 3) : [];
  return {
    html: lines(body),
    buttons: buttonRows(neverCreated.map((p) => commandButton(`🆕 Create ${p.service.name}`, `/up ${p.service.name}`)), [
      commandButton('Problems only', '/status', 'edit'),
      commandButton('All', '/status all', 'edit'),
      commandButton('🔄 Refresh', all ? '/status all' : '/status', 'edit'),
    ]),
  };
}

const GPU_STATUS_TIMEOUT_MS = 3_000;

/** One line on the GPU box: reachable, and how many of its AI services run (details in /gpu). */
async function gpuBoxLine(env: CommandEnv): Promise<Html | undefined> {
  const box = env.catalog.estate.gpu_box;
  const onBox = env.catalog.services.filter((s) => s.host === 'gpu' && s.windows);
  if (!box || onBox.length === 0) return undefined;
  if (!env.gpu) return html`🖥 GPU box: ${italic('not checked (no SSH key: GPU_SSH_KEY_PATH)')}`;
  const units = onBox.map(windowsUnitOf).filter((u): u is WindowsUnit => u !== undefined);
  try {
    const states = await withTimeout(env.gpu.units(units), GPU_STATUS_TIMEOUT_MS, () => new Error(`no answer within ${GPU_STATUS_TIMEOUT_MS / 1000} s`));
    const down = states.filter((u) => !u.running).map((u) => u.name);
    return html`🖥 GPU box: ${states.length - down.length}/${states.length} AI services running${down.length ? ` · not running: ${down.join(', ')} (see /gpu)` : ''}`;
  } catch (err) {
    return html`🔴 GPU box: ${(err as Error).message}`;
  }
}

async function serviceDetail(ctx: RunContext<{ target: Target }>, service: Service) {
  const { env } = ctx;
  const deps = service.depends_on.length ? service.depends_on.join(', ') : 'nothing';
  const dependants = env.catalog.dependantsOf(service.name).map((s) => s.name);
  const head = html`${bold(service.name)} (${service.category})${service.description ? ` · ${service.description}` : ''}`;
  if (!service.container) {
    const w = windowsUnitOf(service);
    const unit = w && describeUnit(w);
    return { html: lines([head, html`Runs on the GPU box as ${unit ?? '?'}${service.port ? ` (port ${service.port})` : ''}: /gpu shows its state and health.`]), buttons: buttonRows([commandButton('🖥 /gpu', '/gpu')]) };
  }
  const runtime = env.docker(service.host);
  const info = await runtime?.inspect(service.container).catch((e: unknown) => (e instanceof OpsError && e.code === 'not_found' ? null : Promise.reject(e)));
  if (!runtime || info === undefined) return { html: html`No Docker host "${service.host}" is configured.` };
  if (info === null) {
    return {
      html: lines([head, html`⛔ no container ${code(service.container)}: it was never created (or was removed).`, env.mac ? html`/up ${service.name} creates it on the Mac with the estate's compose file.` : html`On the Mac: ${code(`docker compose -f docker-compose.macmini.yml up -d ${service.compose_service ?? service.name}`)}`]),
      buttons: buttonRows([env.mac ? commandButton(`🆕 Create ${service.name}`, `/up ${service.name}`) : undefined, commandButton('🔄 Refresh', `/status ${service.name}`, 'edit')]),
    };
  }
  const [stats, http, recorded] = await Promise.all([
    info.state === 'running' ? runtime.stats(service.container, { cpu: true }).catch(() => undefined) : undefined,
    info.state === 'running' ? probeService(service, env.prober) : undefined,
    uptimeOf({ catalog: env.catalog, metrics: env.history, checks: env.checkHistory }, service, env.now()),
  ]);
  const verdict = combine(judgeContainer({ ...info, ...(info.lastHealthProbe && { healthOutput: info.lastHealthProbe.output }) }, service.container), http);
  const limit = stats?.memoryLimit ?? info.memoryLimit ?? service.mem_limit;
  const uptime = info.state === 'running' && info.startedAt ? `up ${formatDuration(env.now() - info.startedAt.getTime())}` : info.finishedAt ? `down since ${formatDuration(env.now() - info.finishedAt.getTime())} ago` : '';
  const body: Html[] = [
    head,
    html`State: ${info.state}${info.health !== 'none' ? `, ${info.health}` : ''}${uptime ? ` · ${uptime}` : ''}${info.exitCode !== undefined ? ` · exit ${info.exitCode}${info.oomKilled ? ' (OOM killed)' : ''}` : ''}`,
    html`${verdict.ok ? '✅' : '⛔'} ${verdict.ok ? (verdict.state === 'starting' ? 'starting' : 'healthy') : verdict.reason}${verdict.ok && http ? ` (${http.reason})` : ''}`,
    html`Restarts: ${info.restartCount} · image ${code(info.image)}`,
  ];
  if (info.lastHealthProbe) {
    body.push(html`Last health check (exit ${info.lastHealthProbe.exitCode}): ${code(info.lastHealthProbe.output.slice(0, 300) || '(no output)')}`);
  }
  if (stats) {
    const mem = limit ? `${formatBytes(stats.memoryUsed)} of ${formatBytes(limit)} (${Math.round((stats.memoryUsed / limit) * 100)}%)` : formatBytes(stats.memoryUsed);
    body.push(html`Memory ${mem} · CPU ${stats.cpuPercent?.toFixed(1) ?? '?'}%`);
  }
  if (info.ports?.length) body.push(html`Ports: ${info.ports.join(', ')}`);
  if (recorded) {
    const share = (v: number | undefined) => (v === undefined ? 'no probes recorded' : formatUptime(v));
    if ('error' in recorded) body.push(html`Uptime: not readable (${recorded.error})`);
    else {
      const source = recorded.since !== undefined ? `${SOURCE_NAMES[recorded.source]} since ${env.catalog.time.stamp(recorded.since)}` : SOURCE_NAMES[recorded.source];
      body.push(html`Uptime (${source}): 24h ${share(recorded.d1)}${recorded.since === undefined || recorded.d7 !== undefined ? ` · 7d ${share(recorded.d7)}` : ''}`);
    }
  }
  body.push(html`Depends on: ${deps}${dependants.length ? ` · needed by: ${dependants.join(', ')}` : ''}`);
  return {
    html: lines(body),
    buttons: buttonRows([
      commandButton('📜 Logs', `/logs ${service.name}`),
      commandButton('🔁 Restart', `/restart ${service.name}`),
      commandButton('🔄 Refresh', `/status ${service.name}`, 'edit'),
      noHistoryReason(service) ? undefined : commandButton('📈 Graph', `/graph ${service.name}`),
    ]),
  };
}

async function categoryDetail(ctx: RunContext<{ target: Target }>, category: string) {
  const { states } = await estateState(ctx.env.catalog, ctx.env.docker, ctx.env.prober);
  const inCat = states.filter((s) => s.service.category === category);
  const others = ctx.env.catalog.servicesIn(category).filter((s) => !s.container);
  return {
    html: lines([
      bold(`${category}: ${inCat.filter((s) => bucketOf(s) === 'running').length}/${inCat.length} running`),
      ...inCat.map(stateLine),
      ...others.map((s) => html`▫️ ${bold(s.name)}: on the GPU box (see /gpu)`),
    ]),
    buttons: buttonRows([commandButton('🔄 Refresh', `/status ${category}`, 'edit')]),
  };
}

export const status = defineCommand({
  name: 'status',
  summary: 'How the estate is doing: counts per category, then only what is wrong',
  usage: '/status [service|category|all]',
  role: 'viewer',
  confirm: 'never',
  params: [{ name: 'target' }],
  args: (env: CommandEnv) => z.object({ target: targetArg(env) }),
  async run(ctx) {
    const target = ctx.args.target;
    if (target.kind === 'service') return serviceDetail(ctx, target.service);
    if (target.kind === 'category') return categoryDetail(ctx, target.category);
    return overview(ctx, target.all);
  },
});
