import { px, textAt, type ChartTheme } from './theme';

export interface BarRow {
  label: string;
  used: number;
  /** What it may use (a budget or a limit); undefined draws the bar against the largest row. */
  of?: number;
  /** Shown at the bar's end: "1.2 GiB of 2 GiB (60%)". */
  caption: string;
}

export interface BarChartModel {
  title: string;
  subtitle: string;
  rows: BarRow[];
  footnote: string;
}

const WIDTH = 960;
const ROW = 46;
export const BAR_CHART = { width: WIDTH, top: 100, left: 250, right: 930, barHeight: 26, row: ROW } as const;

/** Usage against a budget per row: a track for the budget, a bar for the use, coloured by how close it is. */
export function barChartSvg(m: BarChartModel, theme: ChartTheme): string {
  const { top, left, right, barHeight } = BAR_CHART;
  const height = top + m.rows.length * ROW + 60;
  const scaleMax = Math.max(1, ...m.rows.map((r) => Math.max(r.used, r.of ?? 0)));
  const out: string[] = [];
  const text = (tx: number, ty: number, value: string, attrs: string) => out.push(textAt(tx, ty, value, attrs));
  out.push(`<rect width="${WIDTH}" height="${height}" fill="${theme.background}"/>`);
  text(30, 42, m.title, `font-size="28" font-weight="bold" fill="${theme.text}"`);
  text(30, 74, m.subtitle, `font-size="19" fill="${theme.muted}"`);
  out.push('<g id="bars">');
  m.rows.forEach((r, i) => {
    const y = top + i * ROW;
    const full = right - left;
    const of = r.of ?? scaleMax;
    const trackW = (of / scaleMax) * full;
    const usedW = Math.max(2, (r.used / scaleMax) * full);
    const ratio = r.used / of;
    const colour = ratio > 1 ? theme.bad : ratio >= 0.9 ? theme.warn : theme.ok;
    text(left - 12, y + barHeight - 7, r.label, `font-size="18" text-anchor="end" fill="${theme.text}"`);
    out.push(`<rect x="${left}" y="${y}" width="${px(trackW)}" height="${barHeight}" rx="4" fill="${theme.track}"/>`);
    out.push(`<rect x="${left}" y="${y}" width="${px(usedW)}" height="${barHeight}" rx="4" fill="${colour}"/>`);
    if (r.of !== undefined) out.push(`<line x1="${px(left + trackW)}" y1="${y - 4}" x2="${px(left + trackW)}" y2="${y + barHeight + 4}" stroke="${theme.text}" stroke-width="2"/>`);
    text(left + 6, y + barHeight + 16, r.caption, `font-size="13" fill="${theme.muted}"`);
  });
  out.push('</g>');
  text(30, height - 18, m.footnote, `font-size="14" fill="${theme.muted}"`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">${out.join('')}</svg>`;
}
