/** A chart's colours. Each picture has its own opaque background, so it reads the same in Telegram's light and dark themes. */
export interface ChartTheme {
  name: 'light' | 'dark';
  background: string;
  text: string;
  muted: string;
  grid: string;
  line: string;
  down: string;
  fired: string;
  resolved: string;
  track: string;
  ok: string;
  warn: string;
  bad: string;
}

export const THEMES: Record<ChartTheme['name'], ChartTheme> = {
  light: { name: 'light', background: '#ffffff', text: '#1b1f24', muted: '#57606a', grid: '#d8dee4', line: '#0969da', down: '#cf222e', fired: '#cf222e', resolved: '#1a7f37', track: '#eaeef2', ok: '#2da44e', warn: '#bf8700', bad: '#cf222e' },
  dark: { name: 'dark', background: '#0d1117', text: '#e6edf3', muted: '#9198a1', grid: '#30363d', line: '#58a6ff', down: '#f85149', fired: '#f85149', resolved: '#3fb950', track: '#21262d', ok: '#3fb950', warn: '#d29922', bad: '#f85149' },
};

/** Text for an SVG text node or attribute. */
export function svgText(value: string): string {
  return value.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

/** A coordinate with one decimal: smaller documents, the same pixels. */
export const px = (n: number) => (Math.round(n * 10) / 10).toString();

/** The charts' typeface: the one the renderer loads (DejaVu Sans, from the npm package). */
const FONT = 'DejaVu Sans';

/** A text element at (x, y) in the charts' typeface; `attrs` gives its size, anchor and colour. */
export function textAt(x: number, y: number, value: string, attrs: string): string {
  return `<text x="${px(x)}" y="${px(y)}" font-family="${FONT}" ${attrs}>${svgText(value)}</text>`;
}

/** The round number at or above `value` whose quarters are round too (1, 2, 4, 6, 8 × 10^n), for an axis's top. */
export function niceCeil(value: number): number {
  if (!(value > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  const f = value / exp;
  return ([1, 2, 4, 6, 8].find((n) => f <= n) ?? 10) * exp;
}
