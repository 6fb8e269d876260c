import { z } from 'zod';
import { judgeBackups } from '../estate/backup-freshness';
import { restartConnector } from '../estate/mac-connector';
import { macUnavailable, reachMac } from '../estate/mac-reach';
import { OpsError, type MacStatus } from '../ops/ports';
import { formatBytes } from '../util/bytes';
import { formatDuration } from '../util/duration';
import { stripVTControlCharacters } from 'node:util';
import { bold, html, lines, pre, type Html } from '../util/html';
import { LineRedactor } from '../util/redact';
import { fitTail } from '../util/telegram-text';
import { buttonRows, commandButton } from './buttons';
import { defineCommand, type CommandEnv, type Reply } from './types';

const SHORT: Record<string, string> = {
  'com.cloudflare.cloudflared': 'cloudflared',
  'com.mana.colima': 'colima',
  'com.mana.docker-startup': 'docker-startup',
  'com.mana.health-check': 'health-check',
};

/** The Mac's own tunnel: the one the estate does not run on the GPU box. */
const macTunnel = (env: CommandEnv) => env.catalog.estate.tunnels.find((t) => t.runs_on !== 'gpu');

const unavailable = (env: CommandEnv) => macUnavailable(env.catalog, env.mac);

function agentLine(s: MacStatus): Html {
  const parts = s.agents.map((a) => {
    const name = SHORT[a.label] ?? a.label;
    if (!a.loaded) return `⛔ ${name} not loaded`;
    if (a.lastExit !== undefined && a.lastExit !== 0 && a.pid === undefined) return `⚠️ ${name} exited ${a.lastExit}`;
    return `✅ ${name}`;
  });
  return html`LaunchAgents: ${parts.join(' · ')}`;
}

async function overview(env: CommandEnv): Promise<Reply> {
  const reach = reachMac(env.catalog, env.mac);
  if (reach instanceof OpsError) throw reach;
  const { mac, box } = reach;
  const s = await mac.status();
  const time = env.catalog.time;
  const body: Html[] = [html`🖥 ${bold(`Mac Mini ${box.name}`)} · ${time.hmZone(env.now())}`];
  body.push(
    s.cloudflared
      ? html`✅ cloudflared running (pid ${s.cloudflared.pid}${s.cloudflared.since !== undefined ? `, since ${env.now() - s.cloudflared.since < 86_400_000 ? time.hmZone(s.cloudflared.since) : time.stamp(s.cloudflared.since)}` : ''})`
      : html`🔴 ${bold('cloudflared is not running')}: every *.mana.how except gpu-* is down`,
  );
  body.push(s.colima ? html`${s.colima.status === 'Running' ? '✅' : '🔴'} Colima ${s.colima.status}${s.colima.cpus !== undefined ? ` · ${s.colima.cpus} CPUs` : ''}${s.colima.memory ? ` · ${s.colima.memory}` : ''}` : html`❓ Colima: no answer from colima list`);
  body.push(agentLine(s));
  const ssd = s.ssd;
  body.push(!ssd ? html`❓ SSD: not readable` : ssd.mounted ? html`✅ SSD /Volumes/ManaData mounted · ${formatBytes(ssd.freeBytes)} free (${ssd.usedPercent} % used)` : html`🔴 ${bold('SSD /Volumes/ManaData is not mounted')}`);
  const backups = judgeBackups(s.backups, s.ssd, s.backupsMissing, env.now(), box.backups);
  body.push(backups.ok ? html`✅ Backup: ${backups.summary}` : html`⛔ Backup: ${backups.problems.join('; ')}`);
  if (s.uptime) body.push(html`Up ${s.uptime.text} · load ${s.uptime.load.map((l) => l.toFixed(2)).join(' ')}`);
  return {
    html: lines(body),
    buttons: buttonRows([!s.cloudflared ? commandButton('🔁 Restart cloudflared', '/host restart cloudflared') : undefined, !s.cloudflared ? commandButton('📜 Its log', '/host log') : undefined, commandButton('🔄 Refresh', '/host', 'edit')]),
  };
}

type Args = { action: 'status' } | { action: 'restart' } | { action: 'log'; lines: number };

/** The handbook's `tail ~/.cloudflared/cloudflared.log`: the last lines in the message, secrets blanked, the rest as a file. */
async function connectorLog(env: CommandEnv, count: number): Promise<Reply> {
  const mac = env.mac as NonNullable<CommandEnv['mac']>;
  const redactor = new LineRedactor();
  const got = (await mac.cloudflaredLog(count)).split('\n').filter((l) => l.trim() !== '').map((l) => redactor.line(stripVTControlCharacters(l)));
  if (got.length === 0) return { html: html`cloudflared's log on the Mac is empty.` };
  const shown = fitTail(got, 3_000);
  return {
    html: lines([html`📜 ${bold('cloudflared.log')} on the Mac · last ${shown.length} of ${got.length} lines`, pre(shown.join('\n'))]),
    // The file only when the message could not hold it all.
    ...(shown.length < got.length && { document: { filename: `cloudflared-${env.catalog.time.date(env.now())}.log.txt`, content: `${got.join('\n')}\n`, caption: `cloudflared.log: ${got.length} lines` } }),
  };
}

export const host = defineCommand({
  name: 'host',
  summary: 'The Mac Mini itself: cloudflared, Colima, LaunchAgents, the SSD, the backup; restart cloudflared',
  usage: '/host [restart cloudflared | log [lines]]',
  role: 'viewer',
  examples: ['/host', '/host restart cloudflared', '/host log 100'],
  subcommands: [
    { name: 'log', summary: "The last lines of cloudflared's log on the Mac (tail ~/.cloudflared/cloudflared.log)", usage: '/host log [lines]', role: 'operator' },
    {
      name: 'restart',
      summary: "Restart the mana-server tunnel's connector (the cloudflared LaunchAgent) and check it from both ends",
      usage: '/host restart cloudflared',
      role: 'admin',
      confirms: true,
    },
  ],
  confirm: (args: Args) => args.action === 'restart',
  params: [{ name: 'action' }, { name: 'what' }],
  args: z
    .object({ action: z.string().optional(), what: z.string().optional() })
    .transform((raw, ctx): Args => {
      if (raw.action === undefined) return { action: 'status' };
      if (raw.action === 'log') {
        const n = raw.what === undefined ? 50 : Number(raw.what);
        if (!Number.isInteger(n) || n < 1 || n > 1_000) {
          ctx.addIssue({ code: 'custom', path: ['what'], message: 'a number of lines from 1 to 1000' });
          return z.NEVER;
        }
        return { action: 'log', lines: n };
      }
      if (raw.action !== 'restart') {
        ctx.addIssue({ code: 'custom', path: ['action'], message: `"${raw.action}" is not an action: restart cloudflared, or log [lines]` });
        return z.NEVER;
      }
      if (raw.what !== 'cloudflared') {
        ctx.addIssue({ code: 'custom', path: ['what'], message: raw.what === undefined ? 'say what: /host restart cloudflared' : `only cloudflared can be restarted from here, not "${raw.what}"` });
        return z.NEVER;
      }
      return { action: 'restart' };
    }),
  ready: (_args, env) => unavailable(env),
  deadline: () => 90_000,
  preview: (_args, env) =>
    html`Restart ${bold('cloudflared')} on the Mac Mini (launchctl stop/start com.cloudflare.cloudflared)? Every *.mana.how except gpu-* is down for a few seconds; ${macTunnel(env)?.name ?? 'the tunnel'} is checked in Cloudflare afterwards.`,
  progress: () => html`⏳ Restarting cloudflared on the Mac Mini…`,
  async run({ args, env, user, signal }) {
    if (args.action === 'status') return overview(env);
    if (args.action === 'log') return connectorLog(env, args.lines);
    const result = await restartConnector({ mac: env.mac as NonNullable<CommandEnv['mac']>, tunnels: env.tunnels, tunnel: macTunnel(env), store: env.store, by: user.name, now: env.now, signal, withinMs: env.catalog.estate.mac_host?.verify_timeout ?? 30_000 });
    return {
      html: lines([html`${result.ok ? '✅' : '❌'} ${bold('cloudflared')} ${result.ok ? `restarted in ${formatDuration(result.ms)}` : 'restart not confirmed'}`, ...result.lines.map((l) => html`• ${l}`)]),
      buttons: buttonRows([commandButton('🖥 Host', '/host'), commandButton('🔎 Tunnels', '/tunnel')]),
      ...(!result.ok && { failed: result.lines.join('; ') }),
    };
  },
});
