import { describe, expect, it } from 'vitest';
import { barChartSvg, BAR_CHART } from '../../src/charts/bar-chart';
import { THEMES } from '../../src/charts/theme';
import { timeTicks } from '../../src/charts/time-axis';
import { TIME_CHART, timeChartSvg, type TimeChartModel } from '../../src/charts/time-chart';
import { CHART_POINTS, stepFor } from '../../src/estate/service-history';
import { ResvgRenderer } from '../../src/ops/render/resvg-renderer';
import { LocalTime } from '../../src/util/local-time';
import { countInColumn, decodePng, isBluish, isReddish } from '../support/png';

const HOUR = 3_600_000;
const berlin = new LocalTime('Europe/Berlin');
const renderer = new ResvgRenderer();

describe('the time axis, on the estate clock', () => {
  it('a 24 h chart over the autumn night has its 25 hours: local 00:00 and 03:00 are four hours apart', () => {
    const from = Date.parse('2026-10-24T22:00:00Z'); // 00:00 CEST
    const ticks = timeTicks(from, from + 25 * HOUR, berlin);
    expect(ticks.map((t) => t.label)).toEqual(['Sun 25.10.', '03:00', '06:00', '09:00', '12:00', '15:00', '18:00', '21:00', 'Mon 26.10.']);
    expect((ticks[1]!.at - ticks[0]!.at) / HOUR).toBe(4);
    expect((ticks[2]!.at - ticks[1]!.at) / HOUR).toBe(3);
  });

  it('the spring night has 23: 00:00 to 03:00 is two hours; a week has a tick at each local midnight', () => {
    const from = Date.parse('2026-03-28T23:00:00Z'); // 00:00 CET
    const ticks = timeTicks(from, from + 24 * HOUR, berlin);
    expect((ticks[1]!.at - ticks[0]!.at) / HOUR).toBe(2);
    const week = timeTicks(Date.parse('2026-11-20T10:00:00Z'), Date.parse('2026-11-27T10:00:00Z'), berlin);
    expect(week.map((t) => t.label)).toEqual(['Sat 21.11.', 'Sun 22.11.', 'Mon 23.11.', 'Tue 24.11.', 'Wed 25.11.', 'Thu 26.11.', 'Fri 27.11.']);
    expect(week.every((t) => berlin.hm(t.at) === '00:00')).toBe(true);
  });
});

describe('the step of a chart', () => {
  it("stays within CHART_POINTS, far inside VictoriaMetrics' points limit, where the scrape interval would not", () => {
    for (const range of [HOUR, 24 * HOUR, 7 * 24 * HOUR]) expect(range / stepFor(range)).toBeLessThanOrEqual(CHART_POINTS);
    expect(stepFor(HOUR)).toBe(15_000);
    expect(stepFor(7 * 24 * HOUR)).toBe(15 * 60_000);
    expect((7 * 24 * HOUR) / 15_000).toBeGreaterThan(30_000);
  });
});

/** A day of 120 ms answers, down from 06:00 to 07:00 UTC, one incident fired and resolved. */
function model(): TimeChartModel {
  const to = Date.parse('2026-11-27T10:00:00Z');
  const from = to - 24 * HOUR;
  const step = 5 * 60_000;
  const points = [];
  for (let t = from; t < to; t += step) {
    const down = t >= to - 4 * HOUR && t < to - 3 * HOUR;
    points.push({ from: t, to: t + step, up: down ? 0 : 1, seconds: down ? 2 : 0.12 });
  }
  return { title: 'chat-web · last 24h', subtitle: 'uptime 95.83 %', from, to, points, marks: [{ at: to - 4 * HOUR, kind: 'fired' }, { at: to - 3 * HOUR, kind: 'resolved' }], footnote: 'test' };
}

describe('the chart as a picture', () => {
  const { plot } = TIME_CHART;
  const xOf = (m: TimeChartModel, t: number) => plot.left + ((t - m.from) / (m.to - m.from)) * (plot.right - plot.left);

  it('has the size a phone shows whole, the down band where it was down, and the line elsewhere', async () => {
    const m = model();
    const pic = decodePng(await renderer.png(timeChartSvg(m, THEMES.light, berlin)));
    expect([pic.width, pic.height]).toEqual([TIME_CHART.width, TIME_CHART.height]);
    const inBand = xOf(m, m.to - 3.5 * HOUR);
    expect(countInColumn(pic, inBand, plot.top + 5, plot.bottom - 5, isReddish)).toBeGreaterThan((plot.bottom - plot.top) * 0.8);
    const outside = xOf(m, m.to - 12 * HOUR);
    expect(countInColumn(pic, outside, plot.top + 5, plot.bottom - 5, isReddish)).toBe(0);
    // The line: a few blue pixels in the column, none far from 120 ms.
    const blue: number[] = [];
    for (let y = plot.top; y <= plot.bottom; y++) if (isBluish(pic.at(outside, y))) blue.push(y);
    expect(blue.length).toBeGreaterThan(0);
    expect(blue.length).toBeLessThan(10);
    expect(pic.at(5, 5)).toEqual([255, 255, 255]);
  });

  it('in the dark theme: a dark background with the same band; the axis names the zone', async () => {
    const m = model();
    const svg = timeChartSvg(m, THEMES.dark, berlin);
    const pic = decodePng(await renderer.png(svg));
    expect(Math.max(...pic.at(5, 5))).toBeLessThan(40);
    expect(countInColumn(pic, xOf(m, m.to - 3.5 * HOUR), plot.top + 5, plot.bottom - 5, isReddish)).toBeGreaterThan((plot.bottom - plot.top) * 0.8);
    expect(svg).toContain('times in CET (Europe/Berlin)');
    expect(svg).toContain('>Fri 27.11.<');
    // The same chart on UTC: the axis labels are drawn differently (the ticks move, the zone's name changes).
    const utc = decodePng(await renderer.png(timeChartSvg(m, THEMES.dark, new LocalTime('UTC'))));
    let differing = 0;
    for (let x = plot.left; x < plot.right; x++) for (let y = plot.bottom + 8; y < plot.bottom + 56; y++) if (pic.at(x, y).join() !== utc.at(x, y).join()) differing++;
    expect(differing).toBeGreaterThan(200);
  });

  it('the memory bars: a red bar for a category over its budget, green under it', async () => {
    const rows = [
      { label: 'web (20)', used: 3.9e9, of: 3.5e9, caption: 'over' },
      { label: 'core (5)', used: 1e9, of: 2.5e9, caption: 'under' },
    ];
    const pic = decodePng(await renderer.png(barChartSvg({ title: 'Memory', subtitle: '', rows, footnote: '' }, THEMES.light)));
    const y = (i: number) => BAR_CHART.top + i * BAR_CHART.row + BAR_CHART.barHeight / 2;
    expect(isReddish(pic.at(BAR_CHART.left + 20, y(0)))).toBe(true);
    const [r, g] = pic.at(BAR_CHART.left + 20, y(1));
    expect(g).toBeGreaterThan(r + 60);
  });
});
