import { z } from 'zod';
import type { Service } from '../config/schema';
import { THEMES } from '../charts/theme';
import { formatMs, timeChartSvg } from '../charts/time-chart';
import { serviceCheckId } from '../estate/check-ids';
import { IncidentLog, type IncidentMark } from '../estate/incident-log';
import { formatUptime, noHistoryReason, seriesOf, SOURCE_NAMES, uptimeOf, type HistorySources, type ServiceSeries } from '../estate/service-history';
import { formatDuration } from '../util/duration';
import { bold, html, lines, type Html } from '../util/html';
import { serviceArg } from './args';
import { buttonRows, commandButton } from './buttons';
import { defineCommand, type CommandEnv, type Reply } from './types';

const HOUR = 3_600_000;
export const GRAPH_RANGES = { '1h': HOUR, '24h': 24 * HOUR, '7d': 7 * 24 * HOUR } as const;
type RangeName = keyof typeof GRAPH_RANGES;

const sourcesOf = (env: CommandEnv): HistorySources => ({ catalog: env.catalog, metrics: env.history, checks: env.checkHistory });

/** What the chart shows, in words: uptime of the range, the median and slowest step, the incidents. */
function figuresOf(series: ServiceSeries, marks: IncidentMark[], env: CommandEnv): { uptime?: string; times?: string; incidents: string } {
  const ups = series.points.map((p) => p.up).filter((v): v is number => v !== undefined);
  const ms = series.points.map((p) => (p.seconds ?? NaN) * 1000).filter(Number.isFinite).sort((a, b) => a - b);
  const fired = marks.filter((m) => m.kind === 'fired');
  const time = env.catalog.time;
  return {
    ...(ups.length && { uptime: `uptime ${formatUptime(ups.reduce((a, b) => a + b, 0) / ups.length)}` }),
    ...(ms.length && { times: `median ${formatMs(ms[Math.floor((ms.length - 1) / 2)] as number)} · slowest step ${formatMs(ms[ms.length - 1] as number)}` }),
    // Over more than a day a time alone is ambiguous: the date comes with it.
    incidents: fired.length === 0 ? 'no incidents' : `${fired.length} incident${fired.length > 1 ? 's' : ''} (${fired.slice(-3).map((m) => (series.to - series.from > 25 * HOUR ? time.stamp(m.at) : time.hmZone(m.at))).join(', ')})`,
  };
}

async function chart(service: Service, range: RangeName, theme: keyof typeof THEMES, env: CommandEnv): Promise<Reply> {
  const now = env.now();
  const rangeMs = GRAPH_RANGES[range];
  const switcher = buttonRows(Object.keys(GRAPH_RANGES).filter((r) => r !== range).map((r) => commandButton(`📈 ${r}`, `/graph ${service.name} ${r}${theme === 'dark' ? ' theme=dark' : ''}`)));
  const series = await seriesOf(sourcesOf(env), service, rangeMs, now);
  if ('error' in series) {
    // No chart: what can still be said in words, and where to look next. VictoriaMetrics just found away is not asked again.
    const uptime = series.metricsAway ? undefined : await uptimeOf(sourcesOf(env), service, now);
    const figures = uptime && !('error' in uptime) ? html`Uptime (${SOURCE_NAMES[uptime.source]}): 24h ${uptime.d1 === undefined ? 'no results' : formatUptime(uptime.d1)}` : undefined;
    return {
      html: lines([html`📈 No chart of ${bold(service.name)} over ${range}: ${series.error}.`, ...(figures ? [figures] : []), html`/status ${service.name} shows its state now.`]),
      buttons: buttonRows([commandButton(`🔎 /status ${service.name}`, `/status ${service.name}`)]),
      failed: 'no history',
    };
  }
  const checkIds = service.checks.map((_, i) => serviceCheckId(service, i));
  let marksNote: string | undefined;
  const marks = await new IncidentLog(env.store).between(checkIds, series.from, series.to).catch((err: unknown) => {
    marksNote = `incident markers not readable (${(err as Error).message})`;
    return [];
  });
  const f = figuresOf(series, marks, env);
  const stepText = formatDuration(series.stepMs);
  const title = `${service.name} · last ${range}`;
  const subtitle = [f.uptime, f.times, f.incidents].filter(Boolean).join(' · ');
  const footnote = `${SOURCE_NAMES[series.source]} · ${stepText} steps · ${env.catalog.time.stamp(now)}`;
  const svg = timeChartSvg({ title, subtitle, from: series.from, to: series.to, points: series.points, marks, footnote }, THEMES[theme], env.catalog.time);
  const caption: Html[] = [
    html`📈 ${bold(service.name)} over the last ${range}: ${subtitle}`,
    html`<i>${SOURCE_NAMES[series.source]}, ${stepText} steps</i>`,
    ...(series.fallbackFrom ? [html`⚠️ ${series.fallbackFrom.error}: this chart is from the bot's own checks instead.`] : []),
    ...(marksNote ? [html`⚠️ ${marksNote}`] : []),
  ];
  if (!env.pictures) return { html: lines([...caption, html`(no picture renderer in this build)`]), buttons: switcher };
  try {
    const png = await env.pictures.png(svg);
    return {
      html: lines(caption),
      photo: { filename: `graph-${service.name}-${range}-${env.catalog.time.date(now)}.png`, png, alt: `${title}: ${subtitle}` },
      buttons: switcher,
    };
  } catch (err) {
    return { html: lines([...caption, html`⚠️ The chart could not be drawn (${(err as Error).message}).`]), buttons: switcher, failed: 'render' };
  }
}

export const graph = defineCommand({
  name: 'graph',
  aliases: ['chart'],
  summary: "A chart of a service's response time and down periods over 1h, 24h or 7d, with its incidents",
  usage: '/graph <service> [1h|24h|7d] [theme=light|dark]',
  role: 'viewer',
  confirm: 'never',
  examples: ['/graph chat-web', '/graph chat-web 7d', '/graph todo-web 1h theme=dark'],
  params: [
    { name: 'service', required: true, prompt: 'A chart of which service?', guide: { kind: 'service', offer: (s) => !noHistoryReason(s) } },
    { name: 'range', guide: { kind: 'choice', options: Object.keys(GRAPH_RANGES) } },
    { name: 'theme', namedOnly: true },
  ],
  args: (env: CommandEnv) =>
    z.object({
      service: serviceArg(env.catalog, noHistoryReason),
      range: z.enum(Object.keys(GRAPH_RANGES) as [RangeName, ...RangeName[]], { message: 'a range of 1h, 24h or 7d' }).default('24h'),
      theme: z.enum(['light', 'dark'], { message: 'theme=light or theme=dark' }).default('light'),
    }),
  run: ({ args, env }) => chart(args.service, args.range, args.theme, env),
});
