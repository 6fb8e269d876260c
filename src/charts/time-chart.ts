import type { LocalTime } from '../util/local-time';
import { niceCeil, px, textAt, type ChartTheme } from './theme';
import { timeTicks } from './time-axis';

export interface TimeChartModel {
  title: string;
  subtitle: string;
  from: number;
  to: number;
  /** Steps in time order: the share of probes that succeeded, and their mean time. */
  points: { from: number; to: number; up?: number; seconds?: number }[];
  marks: { at: number; kind: 'fired' | 'resolved' }[];
  /** Where the figures come from, under the legend. */
  footnote: string;
}

/** The picture's size (a phone shows 16:9 whole) and where the plot lies in it. */
export const TIME_CHART = { width: 960, height: 540, plot: { left: 78, top: 96, right: 936, bottom: 448 } } as const;

/** "120 ms", "2.1 s", "12 s". */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s`;
  return `${Math.round(ms)} ms`;
}

/** The axis's top: the slowest step, unless a few timeouts would flatten the rest; those are cut at the top. */
function yTop(values: number[]): { top: number; cut: boolean } {
  if (values.length === 0) return { top: 100, cut: false };
  const sorted = [...values].sort((a, b) => a - b);
  const max = sorted[sorted.length - 1] as number;
  const p95 = sorted[Math.floor(0.95 * (sorted.length - 1))] as number;
  if (max > 3 * p95 && p95 > 0) return { top: niceCeil(p95 * 1.5), cut: true };
  return { top: niceCeil(max * 1.1), cut: false };
}

/** A service's response time as a line, down steps as a band, incidents as markers; the time axis on `time`. */
export function timeChartSvg(m: TimeChartModel, theme: ChartTheme, time: LocalTime): string {
  const { width, height, plot } = TIME_CHART;
  const span = Math.max(1, m.to - m.from);
  const x = (t: number) => plot.left + ((t - m.from) / span) * (plot.right - plot.left);
  const msValues = m.points.map((p) => (p.seconds ?? NaN) * 1000).filter(Number.isFinite);
  const { top, cut } = yTop(msValues);
  const y = (ms: number) => plot.bottom - (Math.min(ms, top) / top) * (plot.bottom - plot.top);
  const out: string[] = [];
  const text = (tx: number, ty: number, value: string, attrs: string) => out.push(textAt(tx, ty, value, attrs));

  out.push(`<rect width="${width}" height="${height}" fill="${theme.background}"/>`);
  text(plot.left, 40, m.title, `font-size="28" font-weight="bold" fill="${theme.text}"`);
  text(plot.left, 72, m.subtitle, `font-size="19" fill="${theme.muted}"`);

  // Down steps: the more of a step failed, the deeper the band.
  out.push('<g id="down">');
  for (const p of m.points) {
    if (p.up === undefined || p.up >= 1) continue;
    const x0 = x(Math.max(p.from, m.from));
    const w = Math.max(2, x(Math.min(p.to, m.to)) - x0);
    out.push(`<rect x="${px(x0)}" y="${plot.top}" width="${px(w)}" height="${plot.bottom - plot.top}" fill="${theme.down}" fill-opacity="${(0.3 + 0.5 * (1 - p.up)).toFixed(2)}"/>`);
  }
  out.push('</g>');

  // Grid and the response-time axis.
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    const gy = y(v);
    out.push(`<line x1="${plot.left}" y1="${px(gy)}" x2="${plot.right}" y2="${px(gy)}" stroke="${theme.grid}" stroke-width="1"/>`);
    text(plot.left - 8, gy + 6, formatMs(v), `font-size="16" text-anchor="end" fill="${theme.muted}"`);
  }
  for (const tick of timeTicks(m.from, m.to, time)) {
    const tx = x(tick.at);
    out.push(`<line x1="${px(tx)}" y1="${plot.top}" x2="${px(tx)}" y2="${plot.bottom}" stroke="${theme.grid}" stroke-width="1" stroke-dasharray="2 4"/>`);
    text(tx, plot.bottom + 24, tick.label, `font-size="16" text-anchor="middle" fill="${theme.muted}"`);
  }
  text(plot.right, plot.bottom + 46, `${m.footnote}${cut ? ` · peaks above ${formatMs(top)} cut` : ''} · times in ${time.zoneName(m.to)} (${time.zone})`, `font-size="15" text-anchor="end" fill="${theme.muted}"`);

  // The line, broken where steps have no value.
  out.push(`<g id="line" fill="none" stroke="${theme.line}" stroke-width="3" stroke-linejoin="round" stroke-linecap="round">`);
  let run: string[] = [];
  let lastTo: number | undefined;
  const flush = () => {
    if (run.length === 1) run.push(run[0] as string);
    if (run.length) out.push(`<polyline points="${run.join(' ')}"/>`);
    run = [];
  };
  for (const p of m.points) {
    if (p.seconds === undefined || !Number.isFinite(p.seconds)) {
      flush();
      lastTo = undefined;
      continue;
    }
    if (lastTo !== undefined && p.from > lastTo) flush();
    run.push(`${px(x((p.from + p.to) / 2))},${px(y(p.seconds * 1000))}`);
    lastTo = p.to;
  }
  flush();
  out.push('</g>');

  // Incidents: a dashed line where one fired, a solid one where it resolved.
  out.push('<g id="marks">');
  for (const mark of m.marks) {
    if (mark.at < m.from || mark.at > m.to) continue;
    const mx = x(mark.at);
    const colour = mark.kind === 'fired' ? theme.fired : theme.resolved;
    out.push(`<line x1="${px(mx)}" y1="${plot.top}" x2="${px(mx)}" y2="${plot.bottom}" stroke="${colour}" stroke-width="2"${mark.kind === 'fired' ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<path d="M${px(mx - 7)},${plot.top - 10} L${px(mx + 7)},${plot.top - 10} L${px(mx)},${plot.top} Z" fill="${colour}"/>`);
  }
  out.push('</g>');
  out.push(`<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="${theme.grid}" stroke-width="1.5"/>`);

  // Legend.
  const ly = height - 14;
  out.push(`<line x1="${plot.left}" y1="${ly - 6}" x2="${plot.left + 28}" y2="${ly - 6}" stroke="${theme.line}" stroke-width="3"/>`);
  text(plot.left + 36, ly, 'response time', `font-size="16" fill="${theme.text}"`);
  out.push(`<rect x="${plot.left + 170}" y="${ly - 15}" width="18" height="18" fill="${theme.down}" fill-opacity="0.6"/>`);
  text(plot.left + 196, ly, 'down', `font-size="16" fill="${theme.text}"`);
  out.push(`<line x1="${plot.left + 262}" y1="${ly - 6}" x2="${plot.left + 290}" y2="${ly - 6}" stroke="${theme.fired}" stroke-width="2" stroke-dasharray="6 4"/>`);
  text(plot.left + 298, ly, 'incident', `font-size="16" fill="${theme.text}"`);
  out.push(`<line x1="${plot.left + 384}" y1="${ly - 6}" x2="${plot.left + 412}" y2="${ly - 6}" stroke="${theme.resolved}" stroke-width="2"/>`);
  text(plot.left + 420, ly, 'resolved', `font-size="16" fill="${theme.text}"`);
  if (m.points.length === 0) text((plot.left + plot.right) / 2, (plot.top + plot.bottom) / 2, 'nothing recorded in this range', `font-size="22" text-anchor="middle" fill="${theme.muted}"`);

  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${out.join('')}</svg>`;
}
