import { z } from 'zod';
import { roleAllows } from '../auth/roles';
import { windowsUnitOf, type KnownUser } from '../config/catalog';
import type { Service } from '../config/schema';
import { OpsError } from '../ops/ports';
import { formatBytes } from '../util/bytes';
import { formatDuration } from '../util/duration';
import { bold, code, html, lines, type Html } from '../util/html';
import { serviceArg } from './args';
import { buttonRows, commandButton } from './buttons';
import { defineCommand, type CommandEnv } from './types';
import { withTimeout } from '../util/with-timeout';
import { reachGpuBox } from '../estate/gpu-box';
import { judgeUnit } from '../estate/health';
import { restartWindowMs } from '../estate/restart';
import { restartFailure, restartLine } from './restart-report';

type Part<T> = { ok: true; value: T } | { ok: false; error: string };

async function part<T>(work: () => Promise<T>, timeoutMs: number): Promise<Part<T>> {
  try {
    return { ok: true, value: await withTimeout(work(), timeoutMs, () => new OpsError('timeout', `timed out after ${timeoutMs / 1000} s`)) };
  } catch (err) {
    return { ok: false, error: err instanceof OpsError ? `${err.message}${err.hint ? ` (${err.hint})` : ''}` : String(err) };
  }
}


function onGpuBox(svc: Service): string | undefined {
  if (svc.host !== 'gpu' || !svc.windows) return `${svc.name} does not run on the GPU box: use /restart for Docker services`;
  if (!svc.restart.allowed) return `${svc.name} is marked as not restartable in the estate file`;
  return undefined;
}

const mib = (n: number | null) => (n === null ? 'n/a' : `${(n / 1024).toFixed(1)} GiB`);
const val = (n: number | null, unit: string) => (n === null ? 'n/a' : `${Math.round(n)}${unit}`);

async function overview(env: CommandEnv): Promise<{ html: Html; buttons?: ReturnType<typeof buttonRows> }> {
  const reach = reachGpuBox(env.catalog, env.gpu);
  if (reach instanceof OpsError) throw reach;
  const { box, gpu } = reach;
  const services = env.catalog.services.filter((s) => s.host === 'gpu' && s.windows);
  const units = services.map(windowsUnitOf).filter((u): u is NonNullable<typeof u> => u !== undefined);
  const checks = services.flatMap((s) => s.checks.filter((c) => c.type === 'http').map((c) => ({ service: s, url: c.url, timeout: c.timeout })));
  // Every part at once, each with its own time limit: one slow part shows as "timed out", the rest arrive.
  const limit = box.query_timeout;
  const [gpus, apps, unitStates, models, health] = await Promise.all([
    part(() => gpu.gpus(), limit),
    part(() => gpu.computeApps(), limit),
    part(() => gpu.units(units), limit),
    part(() => gpu.loadedModels(), limit),
    Promise.all(checks.map((c) => env.prober.http(c.url, { timeoutMs: Math.min(c.timeout, limit) }).then((r) => ({ ...c, r })))),
  ]);
  const body: Html[] = [html`🖥 ${bold(`GPU box ${box.name}`)} · ${env.catalog.time.hmZone(env.now())}`];
  // Everything over SSH failing the same way (an unreadable key, the box away) is one fact, said once.
  const overSsh = [gpus, apps, unitStates].map((p) => (p.ok ? undefined : p.error));
  const sshDown = overSsh.every((e) => e !== undefined && e === overSsh[0]) ? overSsh[0] : undefined;
  if (sshDown) body.push(html`⚠️ nothing over SSH: ${sshDown}`);
  else if (gpus.ok) {
    for (const g of gpus.value) {
      body.push(html`${bold(g.name)}${g.pstate ? ` · ${g.pstate}` : ''} · ${val(g.temperatureC, ' °C')} · fan ${val(g.fanPercent, '%')} · load ${val(g.utilizationPercent, '%')}`);
      body.push(html`VRAM ${mib(g.memoryUsedMiB)} of ${mib(g.memoryTotalMiB)} · power ${val(g.powerDrawW, '')} / ${val(g.powerLimitW, ' W')}`);
    }
  } else body.push(html`⚠️ nvidia-smi: ${gpus.error}`);
  if (apps.ok) {
    body.push(
      apps.value.length
        ? html`Holding VRAM: ${apps.value.map((p) => `${p.name.split(/[\\/]/).pop()} (${p.usedMemoryMiB === null ? 'size n/a' : `${p.usedMemoryMiB} MiB`})`).join(', ')}`
        : html`No process holds VRAM.`,
    );
  } else if (gpus.ok) body.push(html`⚠️ processes: ${apps.error}`);
  if (models.ok) {
    body.push(
      models.value.length
        ? html`Ollama: ${models.value
            .map((m) => {
              const where = m.vramBytes >= m.sizeBytes ? 'all on GPU' : `${Math.round((m.vramBytes / m.sizeBytes) * 100)}% on GPU`;
              // Ollama's keep-alive, where it says something: not a time already past, and "kept loaded" for keep_alive -1.
              const ms = m.expiresAt ? m.expiresAt.getTime() - env.now() : 0;
              const left = ms <= 0 ? '' : ms > 365 * 86_400_000 ? ', kept loaded' : `, unloads in ${formatDuration(ms)}`;
              return `${m.name} (${formatBytes(m.sizeBytes)}, ${where}${left})`;
            })
            .join(', ')}`
        : html`Ollama: no model loaded.`,
    );
  } else body.push(html`⚠️ Ollama: ${models.error}`);
  body.push(html``, bold('Services'));
  const broken: Service[] = [];
  for (const svc of services) {
    const unit = windowsUnitOf(svc);
    const state = unitStates.ok ? unitStates.value.find((u) => u.kind === unit?.kind && u.name === unit?.name) : undefined;
    const probes = health.filter((h) => h.service === svc);
    const fine = judgeUnit(state).ok && probes.every((p) => p.r.ok);
    // A restart is offered only where the unit's state is known: not for what could not be read.
    if (!fine && state && !state.error) broken.push(svc);
    const since = state?.lastRunTime ? ` · since ${formatDuration(env.now() - state.lastRunTime.getTime())}` : '';
    const what = state
      ? state.error
        ? `cannot read: ${state.error}`
        : `${state.state}${state.lastResult && state.kind === 'task' && state.lastResult.toLowerCase() !== state.state.toLowerCase() ? ` · ${state.lastResult}` : ''}${state.running ? since : ''}`
      : unitStates.ok
        ? 'not found'
        : sshDown
          ? 'state unknown'
          : `state unknown (${unitStates.error})`;
    const probeText = probes.map((p) => (p.r.ok ? `health ${p.r.status} in ${p.r.ms} ms` : `health: ${p.r.error}`)).join(' · ');
    body.push(html`${fine ? '✅' : '⛔'} ${bold(svc.name)} (${unit?.name ?? '?'}): ${what}${probeText ? ` · ${probeText}` : ''}`);
  }
  return {
    html: lines(body),
    buttons: buttonRows(
      broken.slice(0, 3).map((s) => commandButton(`🔁 Restart ${s.name}`, `/gpu restart ${s.name}`)),
      [commandButton('🔄 Refresh', '/gpu', 'edit')],
    ),
  };
}

export const gpu = defineCommand({
  name: 'gpu',
  summary: 'The GPU box: GPU, VRAM, loaded models, AI services and their health; restart one',
  usage: '/gpu [restart <stt|tts|img|llm|video|ollama|cloudflared>]',
  role: 'viewer',
  examples: ['/gpu', '/gpu restart stt'],
  subcommands: [
    {
      name: 'restart',
      summary: 'Restart an AI service on the GPU box (Scheduled Task or Windows Service) and check it stays healthy',
      usage: '/gpu restart <stt|tts|img|llm|video|ollama|cloudflared>',
      role: 'operator',
      examples: ['/gpu restart stt', '/gpu restart ollama'],
      confirms: true,
    },
  ],
  confirm: (args: { action?: 'restart'; service?: Service }) => args.action === 'restart',
  params: [{ name: 'action' }, { name: 'service' }],
  args: (env: CommandEnv, user?: KnownUser) =>
    z
      .object({ action: z.enum(['restart'], { message: 'the only action is restart' }).optional(), service: serviceArg(env.catalog, onGpuBox, user && ((svc) => roleAllows(user.role, svc.restart.role))).optional() })
      .refine((a) => a.action !== 'restart' || a.service, { message: 'say which service: /gpu restart stt', path: ['service'] })
      .refine((a) => a.action === 'restart' || !a.service, { message: 'did you mean /gpu restart …?', path: ['action'] }),
  permit: ({ action, service }, user) => {
    if (action !== 'restart' || !service) return undefined;
    // The sub-command needs an operator; a unit the estate marks (cloudflared: admin) needs more.
    return roleAllows(user.role, service.restart.role) ? undefined : `Restarting ${service.name} on the GPU box needs the ${service.restart.role} role; you are ${user.role}.`;
  },
  ready: ({ action, service }, env) => (action === 'restart' && service ? env.restarts.unavailable(service) : undefined),
  deadline: ({ service }) => (service ? restartWindowMs(service) + 60_000 : 30_000),
  preview: ({ service }) => {
    const unit = service && windowsUnitOf(service);
    return html`Restart ${bold(service?.name ?? '?')} on the GPU box (${unit?.kind === 'task' ? 'Scheduled Task' : 'Windows Service'} ${code(unit?.name ?? '?')})?`;
  },
  progress: ({ service }) => html`⏳ Restarting ${bold(service?.name ?? '')} on the GPU box…`,
  async run({ args, env, signal, user }) {
    if (args.action === 'restart' && args.service) {
      const result = await env.restarts.restart(args.service, user.name, signal);
      const failure = restartFailure([result]);
      return { html: restartLine(result), ...(failure && { failed: failure }) };
    }
    return overview(env);
  },
});
