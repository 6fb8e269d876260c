import { z } from 'zod';
import { windowsUnitOf, type Tunnel, type WindowsUnit } from '../config/catalog';
import { OpsError, type DnsRecord, type TunnelInfo } from '../ops/ports';
import { bold, code, html, italic, lines, type Html } from '../util/html';
import { buttonRows, commandButton } from './buttons';
import { CFARGO, targetOf } from '../estate/tunnel-routes';
import { probeUrl, tunnelApi, tunnelsState } from './tunnel-state';
import { defineCommand, type Button, type CommandEnv, type Reply } from './types';

const ROLLBACK_MS = 15 * 60_000;
const rollbackKey = (hostname: string) => `tunnel:rollback:${hostname}`;

interface RollbackEntry {
  previous: string | null;
  target: string;
  by: string;
  at: number;
}

type Args =
  | { action: 'status'; all: boolean }
  | { action: 'check'; hostname: string }
  | { action: 'repoint'; hostname: string; tunnel: Tunnel }
  | { action: 'rollback'; hostname: string };

const statusIcon = (info: TunnelInfo | OpsError | undefined) =>
  info instanceof OpsError || !info ? '❓' : info.status === 'healthy' ? '✅' : info.status === 'degraded' ? '⚠️' : '⛔';

function hostnameArg(env: CommandEnv, word: string | undefined, ctx: z.RefinementCtx): string | undefined {
  if (!word) {
    ctx.addIssue({ code: 'custom', message: 'say which hostname, e.g. gpu-stt.mana.how', path: ['hostname'] });
    return undefined;
  }
  const h = word.toLowerCase();
  const known = env.catalog.publicHostnames();
  if (known.includes(h)) return h;
  const full = known.find((k) => k.split('.')[0] === h);
  ctx.addIssue({
    code: 'custom',
    path: ['hostname'],
    message: full
      ? `use the full hostname (${full}): a short name is the known --overwrite-dns pitfall, it lands in the wrong zone`
      : `"${word}" is not a public hostname in the estate file`,
  });
  return undefined;
}

function schema(env: CommandEnv) {
  return z
    .object({ action: z.string().optional(), hostname: z.string().optional(), tunnel: z.string().optional() })
    .transform((raw, ctx): Args => {
      const action = raw.action?.toLowerCase();
      if (!action || action === 'all' || action === 'problems') {
        if (raw.hostname) ctx.addIssue({ code: 'custom', message: `unexpected "${raw.hostname}"` });
        return { action: 'status', all: action === 'all' };
      }
      if (action !== 'check' && action !== 'repoint' && action !== 'rollback') {
        ctx.addIssue({ code: 'custom', path: ['action'], message: `"${raw.action}" is not one of: all, check, repoint, rollback` });
        return z.NEVER;
      }
      const hostname = hostnameArg(env, raw.hostname, ctx);
      if (!hostname) return z.NEVER;
      if (action !== 'repoint') {
        if (raw.tunnel) ctx.addIssue({ code: 'custom', message: `unexpected "${raw.tunnel}"` });
        return { action, hostname };
      }
      const tunnel = raw.tunnel ? env.catalog.findTunnel(raw.tunnel) : env.catalog.tunnelFor(hostname);
      if (!tunnel) {
        ctx.addIssue({ code: 'custom', path: ['tunnel'], message: `unknown tunnel "${raw.tunnel}" (${env.catalog.estate.tunnels.map((t) => t.name).join(', ')})` });
        return z.NEVER;
      }
      return { action, hostname, tunnel };
    });
}

async function overview(env: CommandEnv, all: boolean): Promise<Reply> {
  const { hosts, tunnels } = await tunnelsState(env);
  const body: Html[] = [html`🌐 ${bold('Tunnels')} · ${env.catalog.time.hmZone(env.now())}`];
  // One reason every tunnel read failed for (a token without Tunnel:Read) is said once, with the permission to add.
  const errors = env.catalog.estate.tunnels.map((t) => tunnels.get(t.uuid)).map((i) => (i instanceof OpsError ? i : undefined));
  const shared = errors.length > 1 && errors.every((e) => e && e.message === errors[0]?.message) ? errors[0] : undefined;
  for (const t of env.catalog.estate.tunnels) {
    const info = tunnels.get(t.uuid);
    const state = info instanceof OpsError ? (shared ? 'not readable' : info.message) : info ? `${info.status}${info.connections ? ` · ${info.connections} connections` : ''}` : '?';
    body.push(html`${statusIcon(info)} ${bold(t.name)}: ${state} · ${t.hostnames.length} hostnames`);
  }
  if (shared) body.push(html`⚠️ ${shared.message}${shared.hint ? `: ${shared.hint}` : ''}.`);
  else for (const e of errors) if (e?.code === 'denied' && e.hint) body.push(html`⚠️ ${e.hint}.`);
  const problems = hosts.filter((h) => h.problems.length);
  body.push(html``);
  if (problems.length) {
    body.push(bold('Problems'));
    for (const h of problems) body.push(html`⛔ ${bold(h.hostname)}: ${h.problems.join(' · ')}`);
  } else body.push(html`All ${hosts.length} hostnames point at their tunnel and answer.`);
  if (all) {
    body.push(html``, bold('All hostnames'));
    for (const h of hosts) {
      const http = h.probe.ok ? `HTTP ${h.probe.status} in ${h.probe.ms} ms` : `HTTP: ${h.probe.error}`;
      body.push(html`${h.problems.length ? '⛔' : '✅'} ${h.hostname} → ${h.pointsAt.text}${h.record?.proxied ? ' (proxied)' : ''} · ${http}`);
    }
  }
  const checkButtons = problems.slice(0, 3).map((h) => commandButton(`🔎 Check ${h.hostname}`, `/tunnel check ${h.hostname}`));
  return {
    html: lines(body),
    buttons: buttonRows(checkButtons, [commandButton(all ? 'Problems only' : 'Full list', all ? '/tunnel' : '/tunnel all', 'edit'), commandButton('🔄 Refresh', all ? '/tunnel all' : '/tunnel', 'edit')]),
  };
}

/** The handbook's "gpu-* hostname returns 502" checklist, in its order, each step with its fix. */
async function check(env: CommandEnv, hostname: string): Promise<Reply> {
  const api = tunnelApi(env);
  const expected = env.catalog.tunnelFor(hostname) as Tunnel;
  const origin = env.catalog.serviceForHostname(hostname);
  const steps: Html[] = [];
  const fixes: (Button | undefined)[] = [];
  const pass = (text: Html) => steps.push(html`✅ ${text}`);
  const fail = (text: Html, fix?: Button) => {
    steps.push(html`❌ ${text}`);
    fixes.push(fix);
  };
  const skip = (text: Html) => steps.push(html`▫️ ${text}`);

  const [record, info, ingress] = await Promise.all([
    api.findCname(hostname),
    api.tunnel(expected.uuid).catch((e: unknown) => e as Error),
    api.ingress(expected.uuid).catch((e: unknown) => e as Error),
  ]);
  // 1. DNS points at the right tunnel
  const at = targetOf(record, env.catalog.estate.tunnels);
  if (!record) fail(html`DNS: no CNAME for ${hostname}`, commandButton(`🔀 Create → ${expected.name}`, `/tunnel repoint ${hostname}`));
  else if (at.uuid !== expected.uuid.toLowerCase()) fail(html`DNS points at ${bold(at.text)}, expected ${bold(expected.name)}`, commandButton(`🔀 Repoint → ${expected.name}`, `/tunnel repoint ${hostname}`));
  else pass(html`DNS points at ${expected.name}${record.proxied ? ' (proxied)' : ' but is not proxied: turn the orange cloud on in the dashboard'}`);
  // The tunnel's own connection to Cloudflare
  // The Mac's connector is restarted from here when the Mac's wrapper is reachable.
  const macFix = expected.runs_on !== 'gpu' && env.mac ? commandButton('🔁 Restart cloudflared on the Mac', '/host restart cloudflared') : undefined;
  if (info instanceof Error) fail(html`tunnel ${expected.name}: ${info.message}`);
  else if (info.status === 'healthy') pass(html`tunnel ${expected.name} is connected (healthy)`);
  else fail(html`tunnel ${expected.name} is ${info.status}${info.status === 'inactive' ? ' (it never ran)' : ''}`, macFix);
  // 2. The connector: the Cloudflared Windows service on the GPU box
  const connector = expected.runs_on === 'gpu' ? env.catalog.services.find((s) => s.host === 'gpu' && s.windows && 'windows_service' in s.windows && /cloudflared/i.test(s.windows.windows_service)) : undefined;
  if (expected.runs_on !== 'gpu' && env.mac) {
    const mac = await env.mac.status().catch((e: Error) => e);
    if (mac instanceof Error) fail(html`connector: the Mac did not answer (${mac.message})`);
    else if (mac.cloudflared) pass(html`cloudflared runs on the Mac (pid ${mac.cloudflared.pid})`);
    else fail(html`cloudflared is not running on the Mac (LaunchAgent com.cloudflare.cloudflared)`, macFix);
  } else if (expected.runs_on !== 'gpu') skip(html`connector: runs on ${expected.runs_on} (LaunchAgent); set up mac_host to check it from here`);
  else if (!connector || !env.gpu) skip(html`connector: ${!connector ? 'no Cloudflared service in the estate file' : 'no SSH access to the GPU box (GPU_SSH_KEY_PATH)'}`);
  else {
    const unit = { kind: 'service' as const, name: (connector.windows as { windows_service: string }).windows_service };
    const [state] = await env.gpu.units([unit]).catch((e: unknown) => [{ ...unit, state: 'unknown', running: false, error: (e as Error).message }]);
    if (state?.running) pass(html`the ${unit.name} service runs on the GPU box`);
    else fail(html`the ${unit.name} service is ${state?.error ?? state?.state ?? 'unknown'}`, commandButton(`🔁 Restart ${unit.name}`, `/gpu restart ${connector.name}`));
  }
  // 3. The origin
  if (!origin) skip(html`origin: no service in the estate file serves ${hostname}`);
  else if (origin.windows && env.gpu) {
    const unit = windowsUnitOf(origin) as WindowsUnit;
    const [state] = await env.gpu.units([unit]).catch((e: unknown) => [{ ...unit, state: 'unknown', running: false, error: (e as Error).message }]);
    if (state?.running) pass(html`origin ${origin.name}: ${unit.name} is running`);
    else fail(html`origin ${origin.name}: ${unit.name} is ${state?.error ?? state?.state ?? 'unknown'}`, commandButton(`🔁 Restart ${origin.name}`, `/gpu restart ${origin.name}`));
  } else if (origin.container) {
    const c = await env.docker(origin.host)?.inspect(origin.container).catch(() => undefined);
    if (c?.state === 'running') pass(html`origin ${origin.name}: container running${c.health !== 'none' ? `, ${c.health}` : ''}`);
    else fail(html`origin ${origin.name}: container ${c?.state ?? 'missing'}`, commandButton(`🔁 Restart ${origin.name}`, `/restart ${origin.name}`));
  } else skip(html`origin ${origin.name}: not reachable from here`);
  // 4. The hostname in the tunnel's ingress rules
  if (ingress instanceof Error) fail(html`ingress rules: ${ingress.message}`);
  else if (ingress.source === 'local' || expected.managed === 'local-config') skip(html`ingress: ${expected.name} is configured in config.yml on its host; check that ${hostname} is listed there`);
  else if (ingress.hostnames.includes(hostname)) pass(html`${hostname} has an ingress rule in ${expected.name}`);
  else {
    const port = origin?.port ? `localhost:${origin.port}` : 'localhost:<port>';
    fail(html`${hostname} has no ingress rule in ${expected.name}. In the dashboard: Zero Trust → Networks → Tunnels → ${expected.name} → Public Hostname → Add a public hostname: ${hostname}, Service HTTP, URL ${port}`);
  }
  const probe = await env.prober.http(probeUrl(env, hostname), { timeoutMs: 5_000 });
  return {
    html: lines([
      html`🔎 ${bold(hostname)} → expected tunnel ${expected.name} (${code(expected.uuid)})`,
      ...steps,
      html`${probe.ok ? '✅' : '❌'} ${hostname}/health: ${probe.ok ? `HTTP ${probe.status} in ${probe.ms} ms` : probe.error}`,
    ]),
    buttons: buttonRows(fixes.filter((b, i) => b && fixes.findIndex((x) => x?.data === b.data) === i).slice(0, 3), [commandButton('🔄 Check again', `/tunnel check ${hostname}`, 'edit')]),
  };
}

async function repoint(env: CommandEnv, hostname: string, tunnel: Tunnel, by: string): Promise<Reply> {
  const api = tunnelApi(env);
  const before = await api.findCname(hostname);
  const target = `${tunnel.uuid}${CFARGO}`;
  const entry: RollbackEntry = { previous: before?.content ?? null, target, by, at: env.now() };
  try {
    await api.upsertCname(hostname, target, before);
  } catch (err) {
    if (!(err instanceof OpsError && err.mayHaveHappened)) throw err;
    // Kept as if it had worked: if Cloudflare did apply it, the rollback is there.
    await env.store.set(rollbackKey(hostname), JSON.stringify(entry), ROLLBACK_MS).catch(() => undefined);
    return {
      html: lines([
        html`⚠️ ${bold(hostname)}: ${err.message}.`,
        html`Before: ${before ? code(before.content) : 'no record'}. Check where it points now before repointing again; if it moved, Rollback works for 15 minutes.`,
      ]),
      buttons: buttonRows([commandButton('🔎 Check', `/tunnel check ${hostname}`)], [before ? commandButton('↩️ Rollback', `/tunnel rollback ${hostname}`) : undefined]),
      failed: 'no answer to the change',
    };
  }
  const after = await api.findCname(hostname);
  if (after?.content.toLowerCase() !== target.toLowerCase()) {
    throw new OpsError('failed', `the record reads ${after?.content ?? 'nothing'} after the change, not ${target}`, 'check the zone in the Cloudflare dashboard');
  }
  await env.store.set(rollbackKey(hostname), JSON.stringify(entry), ROLLBACK_MS);
  const probe = await env.prober.http(probeUrl(env, hostname), { timeoutMs: 5_000 });
  return {
    html: lines([
      html`✅ ${bold(hostname)} now points at ${bold(tunnel.name)} (${code(target)}).`,
      html`Before: ${before ? code(before.content) : 'no record'}. ${probe.ok ? `It answers: HTTP ${probe.status} in ${probe.ms} ms.` : `It does not answer yet (${probe.error}); DNS changes can take a minute.`}`,
      italic('Rollback works for 15 minutes.'),
    ]),
    buttons: buttonRows([before ? commandButton('↩️ Rollback', `/tunnel rollback ${hostname}`) : undefined, commandButton('🔎 Check', `/tunnel check ${hostname}`)]),
  };
}

async function rollback(env: CommandEnv, hostname: string): Promise<Reply> {
  const api = tunnelApi(env);
  const raw = await env.store.take(rollbackKey(hostname));
  if (!raw) return { html: html`Nothing to roll back for ${hostname}: the 15 minutes have passed, or it was rolled back already.` };
  const entry = JSON.parse(raw) as RollbackEntry;
  if (entry.previous === null) return { html: html`${hostname} had no record before the repoint: delete it in the dashboard if it should go.` };
  const current = await api.findCname(hostname);
  await api.upsertCname(hostname, entry.previous, current);
  const after = await api.findCname(hostname);
  const back = targetOf(after, env.catalog.estate.tunnels);
  return { html: html`↩️ ${bold(hostname)} points at ${bold(back.text)} again (${code(after?.content ?? '?')}), as before ${entry.by}'s repoint.` };
}

async function preview(env: CommandEnv, args: Args): Promise<Html> {
  if (args.action === 'rollback') {
    const raw = await env.store.get(rollbackKey(args.hostname));
    const entry = raw ? (JSON.parse(raw) as RollbackEntry) : undefined;
    return entry
      ? html`Roll ${bold(args.hostname)} back to ${code(entry.previous ?? 'no record')} (repointed by ${entry.by})?`
      : html`Roll back ${bold(args.hostname)}? (No repoint is on record: nothing would change.)`;
  }
  if (args.action !== 'repoint') return html``;
  const api = tunnelApi(env);
  const current = await api.findCname(args.hostname);
  // A token that may only read DNS is found out now, not after the admin confirmed.
  if (!(await api.mayEditDns(args.hostname, current))) {
    throw new OpsError('denied', 'the Cloudflare token may read DNS records but not change them, so nothing was asked or changed', 'add the permission Zone → DNS → Edit (zone mana.how) to the token (dashboard: My Profile → API Tokens → Edit), then send the command again');
  }
  const now = targetOf(current as DnsRecord | undefined, env.catalog.estate.tunnels);
  return lines([
    html`Repoint ${bold(args.hostname)}?`,
    html`Today: ${current ? html`CNAME → ${code(current.content)} (${now.text})` : 'no record'}`,
    html`After: CNAME → ${code(`${args.tunnel.uuid}${CFARGO}`)} (${args.tunnel.name}), proxied`,
    html`<i>The same as cloudflared tunnel route dns --overwrite-dns ${args.tunnel.uuid} ${args.hostname}</i>`,
  ]);
}

export const tunnel = defineCommand({
  name: 'tunnel',
  summary: 'Cloudflare tunnels: where each hostname points, the 502 checklist, repoint with rollback',
  usage: '/tunnel [all | check <hostname> | repoint <hostname> [tunnel] | rollback <hostname>]',
  role: 'viewer',
  examples: ['/tunnel', '/tunnel check gpu-stt.mana.how', '/tunnel repoint gpu-stt.mana.how mana-gpu-server'],
  subcommands: [
    { name: 'all', summary: 'Every public hostname and where it points', usage: '/tunnel all', role: 'viewer' },
    { name: 'check', summary: "The 502 checklist for one hostname: DNS record, tunnel, ingress, the probe", usage: '/tunnel check <hostname>', role: 'viewer', examples: ['/tunnel check chat.mana.how'] },
    {
      name: 'repoint',
      summary: 'Point a hostname at a tunnel (its CNAME), keeping the old target for a rollback',
      usage: '/tunnel repoint <hostname> [tunnel]',
      role: 'admin',
      examples: ['/tunnel repoint gpu-stt.mana.how mana-gpu-server'],
      confirms: true,
    },
    { name: 'rollback', summary: 'Undo the last repoint of a hostname (within 15 minutes)', usage: '/tunnel rollback <hostname>', role: 'admin', confirms: true },
  ],
  // A rollback with nothing on record runs at once and says so: there is nothing to confirm.
  confirm: async (args: Args, env: CommandEnv) => args.action === 'repoint' || (args.action === 'rollback' && (await env.store.get(rollbackKey(args.hostname))) !== null),
  params: [{ name: 'action' }, { name: 'hostname' }, { name: 'tunnel' }],
  args: schema,
  preview: (args, env) => preview(env, args),
  progress: (args) => html`⏳ ${args.action === 'rollback' ? 'Rolling back' : 'Repointing'} ${'hostname' in args ? args.hostname : ''}…`,
  async run({ args, env, user }) {
    switch (args.action) {
      case 'status':
        return overview(env, args.all);
      case 'check':
        return check(env, args.hostname);
      case 'repoint':
        return repoint(env, args.hostname, args.tunnel, user.name);
      case 'rollback':
        return rollback(env, args.hostname);
    }
  },
});
