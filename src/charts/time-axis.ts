import type { LocalTime } from '../util/local-time';

export interface Tick {
  at: number;
  label: string;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad = (n: number) => String(n).padStart(2, '0');

/** Every local day from the one `from` falls on to the one `to` falls on, as [year, month, day]. */
function days(from: number, to: number, time: LocalTime): [number, number, number][] {
  const a = time.wall(from);
  const b = time.wall(to);
  const out: [number, number, number][] = [];
  for (let d = Date.UTC(a.year, a.month - 1, a.day); d <= Date.UTC(b.year, b.month - 1, b.day); d += 24 * HOUR) {
    const x = new Date(d);
    out.push([x.getUTCFullYear(), x.getUTCMonth() + 1, x.getUTCDate()]);
  }
  return out;
}

/**
 * Ticks for a time axis on the estate's wall clock: round local times (every 10 minutes, 3 hours, or each local
 * midnight), placed by the zone's offset at each one, so a daylight-saving night has its 23 or 25 hours.
 */
export function timeTicks(from: number, to: number, time: LocalTime): Tick[] {
  const span = to - from;
  const inRange = (t: number) => t >= from && t <= to;
  if (span <= 3 * HOUR) {
    const every = span <= HOUR ? 10 * MIN : 30 * MIN;
    const ticks: Tick[] = [];
    for (let t = Math.ceil(from / every) * every; t <= to; t += every) {
      // On the wall clock's round minutes also in zones half an hour off UTC.
      const w = time.wall(t);
      if (w.minute % (every / MIN) === 0) ticks.push({ at: t, label: time.hm(t) });
    }
    return ticks;
  }
  if (span <= 36 * HOUR) {
    const ticks: Tick[] = [];
    for (const [y, m, d] of days(from, to, time)) {
      for (let h = 0; h < 24; h += 3) {
        const t = time.instant(y, m, d, h, 0);
        const w = time.wall(t);
        if (!inRange(t) || w.hour !== h) continue;
        ticks.push({ at: t, label: h === 0 ? `${WEEKDAY[w.weekday]} ${pad(d)}.${pad(m)}.` : `${pad(h)}:00` });
      }
    }
    return ticks;
  }
  const ticks: Tick[] = [];
  for (const [y, m, d] of days(from, to, time)) {
    const t = time.instant(y, m, d, 0, 0);
    if (inRange(t)) ticks.push({ at: t, label: `${WEEKDAY[time.wall(t).weekday]} ${pad(d)}.${pad(m)}.` });
  }
  return ticks;
}
