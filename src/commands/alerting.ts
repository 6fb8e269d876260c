import { z } from 'zod';
import { Acks } from '../estate/acks';
import { AlertmanagerBook, byStart } from '../estate/alertmanager-book';
import { OpenIncidents } from '../estate/open-incidents';
import { Silences, type SilenceTarget } from '../estate/silences';
import { suggest } from '../config/catalog';
import { formatDuration, parseDuration } from '../util/duration';
import { bold, code, html, lines } from '../util/html';
import { buttonRows, commandButton } from './buttons';
import { defineCommand, type CommandEnv, type Reply } from './types';

const MAX_SILENCE = 7 * 86_400_000;

/** all, a service (name or alias), or a check id (chat-web:http, disk:ManaData, gpu-box, tunnels). */
function targetArg(env: CommandEnv) {
  return z.string().transform((word, ctx): SilenceTarget => {
    if (word.toLowerCase() === 'all') return { kind: 'all' };
    const svc = env.catalog.findService(word);
    if (svc) return { kind: 'service', name: svc.name };
    const ids = env.checkIds();
    if (ids.includes(word)) return { kind: 'check', name: word };
    const guess = env.catalog.suggestService(word) ?? suggest(word, ids);
    ctx.addIssue({ code: 'custom', message: `"${word}" is neither a service nor a check${guess ? `. Did you mean ${guess}?` : ''}` });
    return z.NEVER;
  });
}

const durationArg = z.string().transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === undefined || ms < 60_000 || ms > MAX_SILENCE) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a duration between 1m and 7d (15m, 1h, 4h, 2d)` });
    return z.NEVER;
  }
  return ms;
});

const describe = (t: SilenceTarget) => (t.kind === 'all' ? 'all alerts' : t.kind === 'service' ? t.name : `check ${t.name}`);

export const silence = defineCommand({
  name: 'silence',
  summary: 'Silence alerts of a service, a check or everything for a while (still tracked, resolved quietly)',
  usage: '/silence <service|check|all> <duration> [reason]',
  role: 'operator',
  // One service's silence is one tap from its alert and one tap to undo; silencing everything is asked first.
  confirm: (args) => args.target.kind === 'all',
  preview: (args) =>
    html`Silence ${bold('all alerts')} for ${formatDuration(args.duration)}? Nothing new reaches the alert chats until then (failures are still tracked).`,
  params: [
    { name: 'target', required: true, prompt: 'Silence which service?', guide: { kind: 'service' } },
    { name: 'duration', required: true, prompt: 'For how long?', guide: { kind: 'duration', presets: ['15m', '1h', '4h'] } },
    { name: 'reason', variadic: true },
  ],
  args: (env: CommandEnv) => z.object({ target: targetArg(env), duration: durationArg, reason: z.array(z.string()).optional() }),
  async run({ args, env, user }) {
    const reason = args.reason?.join(' ') ?? '';
    const s = await new Silences(env.store, env.now).add(args.target, args.duration, user.name, reason);
    const until = s.until - env.now() < 20 * 3_600_000 ? env.catalog.time.hmZone(s.until) : env.catalog.time.stamp(s.until);
    return {
      html: html`🔕 ${bold(describe(args.target))} silenced for ${formatDuration(args.duration)} (until ${until})${reason ? `: ${reason}` : ''}. Failures are still tracked; you are told if it is still failing when the silence ends.`,
      buttons: buttonRows([commandButton('🔔 Unsilence', `/unsilence ${args.target.kind === 'all' ? 'all' : args.target.name}`)]),
    };
  },
});

export const unsilence = defineCommand({
  name: 'unsilence',
  summary: 'End a silence',
  usage: '/unsilence <service|check|all>',
  role: 'operator',
  confirm: 'never',
  params: [{ name: 'target', required: true }],
  args: (env: CommandEnv) => z.object({ target: targetArg(env) }),
  async run({ args, env }) {
    const existed = await new Silences(env.store, env.now).remove(args.target);
    return { html: existed ? html`🔔 ${bold(describe(args.target))} is no longer silenced.` : html`${describe(args.target)} was not silenced.` };
  },
});

export const silences = defineCommand({
  name: 'silences',
  summary: 'The silences in force',
  usage: '/silences',
  role: 'viewer',
  confirm: 'never',
  args: z.object({}),
  async run({ env }) {
    const list = await new Silences(env.store, env.now).active();
    if (!list.length) return { html: html`No silences.` };
    return {
      html: lines([
        bold(`${list.length} silence${list.length === 1 ? '' : 's'}`),
        ...list.map((s) => html`🔕 ${describe(s.target)} · ${formatDuration(s.until - env.now())} left · by ${s.by}${s.reason ? ` · ${s.reason}` : ''}`),
      ]),
    };
  },
});

export const ack = defineCommand({
  name: 'ack',
  summary: "Acknowledge a failing service: no more reminders, and the alert says who is on it",
  usage: '/ack <service|check>',
  role: 'operator',
  confirm: 'never',
  params: [{ name: 'target', required: true }],
  args: (env: CommandEnv) => z.object({ target: targetArg(env) }),
  async run({ args, env, user }) {
    const open = (await new OpenIncidents(env.store).read()).filter((i) =>
      args.target.kind === 'all' ? true : args.target.kind === 'service' ? i.service === args.target.name : i.check === args.target.name,
    );
    if (!open.length) return { html: html`Nothing is failing for ${describe(args.target)}.` };
    await new Acks(env.store).set(open.map((i) => i.check), { by: user.name, at: env.now() });
    return { html: html`👀 Acknowledged by ${user.name}: ${open.map((i) => i.check).join(', ')}. No more reminders until it recovers.` };
  },
});

/** Alertmanager's alerts in full, as a file: what a storm digest names in a word, with summary and source. */
async function alertmanagerDetails(env: CommandEnv, now: number): Promise<Reply> {
  const { groups } = await new AlertmanagerBook(env.store).load();
  const rows = Object.values(groups).flatMap((g) => Object.values(g.alerts));
  if (rows.length === 0) return { html: html`No alerts from Alertmanager are open.` };
  rows.sort((a, b) => (a.status !== b.status ? (a.status === 'firing' ? -1 : 1) : byStart(a, b)));
  const firing = rows.filter((r) => r.status === 'firing').length;
  const time = env.catalog.time;
  const since = (iso: string) => (Number.isNaN(Date.parse(iso)) ? iso : time.stamp(Date.parse(iso)));
  const content = [
    `Alertmanager alerts as of ${time.stamp(now)}: ${firing} firing, ${rows.length - firing} resolved`,
    '',
    ...rows.map((r) =>
      [`${r.status === 'firing' ? 'FIRING  ' : 'RESOLVED'} ${r.name} · ${r.service ?? r.where}${r.service && r.where && r.where !== r.service ? ` (${r.where})` : ''} · since ${since(r.startsAt)}`, `  ${r.summary}`, ...(r.url ? [`  ${r.url}`] : [])].join('\n'),
    ),
  ].join('\n');
  return {
    html: html`${firing} firing, ${rows.length - firing} resolved from Alertmanager: each with its summary and source in the file.`,
    document: { filename: `alertmanager-${time.date(now)}-${time.hm(now).replace(':', '-')}.txt`, content: `${content}\n`, caption: 'Alertmanager alerts in full' },
  };
}

export const alerts = defineCommand({
  name: 'alerts',
  summary: "What is failing now (firing and pending), oldest first; with am, Alertmanager's alerts in full, as a file",
  usage: '/alerts [am]',
  role: 'viewer',
  confirm: 'never',
  params: [{ name: 'source' }],
  args: z.object({ source: z.enum(['am']).optional() }),
  async run({ env, args }) {
    if (args.source === 'am') return alertmanagerDetails(env, env.now());
    const open = await new OpenIncidents(env.store).readIfChecked();
    if (open === undefined) {
      // Not "nothing is failing": nothing has looked.
      return {
        html: lines([
          html`⚪ No checks run here, so nothing can be said about what is failing.`,
          html`The monitor runs with the Telegram front-end (the instance that leads). In the console start with ${code('MANA_OPS_CONSOLE_ALERTS=1')} to run the estate's checks (their addresses must be reachable from here).`,
        ]),
      };
    }
    if (!open.length) return { html: html`✅ Nothing is failing.` };
    return {
      html: lines([
        bold(`${open.filter((i) => i.status === 'firing').length} firing, ${open.filter((i) => i.status === 'pending').length} pending`),
        ...open.map(
          (i) =>
            html`${i.status === 'firing' ? '🔴' : '🟡'} ${bold(i.service ?? i.check)} ${code(i.check)} · ${formatDuration(env.now() - i.since)} · ${i.detail ?? ''}${i.silenced ? ' · 🔕 silenced' : ''}${i.acked ? ` · 👀 ${i.acked}` : ''}${i.flapping ? ' · 〰️ flapping' : ''}`,
        ),
      ]),
      buttons: buttonRows([commandButton('🔄 Refresh', '/alerts', 'edit')]),
    };
  },
});
