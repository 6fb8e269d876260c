import type { Estate } from '../config/schema';
import type { LocalTime } from '../util/local-time';

type Window = Estate['maintenance'][number];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const LOCAL_ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?$/;

/** A one-off window's bound: with an offset it is that instant, without one a time on the estate's clock. */
function instantOf(iso: string, time: LocalTime): number {
  const m = LOCAL_ISO.exec(iso);
  if (!m) return Date.parse(iso);
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  return time.instant(y, mo, d, h, mi, s);
}

/**
 * Whether `at` falls in the window. A recurring window is read off the estate's wall clock, so 03:00-03:15 is 03:00
 * local in summer and winter alike; on the autumn night its hour runs twice and the window with it. It may run
 * past midnight (22:00-02:00).
 */
export function inWindow(w: Window, at: number, time: LocalTime): boolean {
  if (w.start && w.end) return at >= instantOf(w.start, time) && at < instantOf(w.end, time);
  if (!w.from || !w.to) return false;
  const clock = time.wall(at);
  const minute = clock.hour * 60 + clock.minute;
  const from = minutesOf(w.from);
  const to = minutesOf(w.to);
  const onDay = (day: number) => w.days.includes('daily') || w.days.includes(DAYS[day] as Window['days'][number]);
  if (from <= to) return onDay(clock.weekday) && minute >= from && minute < to;
  // Past midnight: the evening part belongs to today, the morning part to the window that began yesterday.
  return (onDay(clock.weekday) && minute >= from) || (onDay((clock.weekday + 6) % 7) && minute < to);
}

/** The maintenance window covering a service at `at`, if any. */
export function maintenanceFor(windows: readonly Window[], service: string | undefined, at: number, time: LocalTime): Window | undefined {
  if (windows.length === 0) return undefined; // most estates, asked for each of a thousand checks in a storm
  return windows.find((w) => (w.services.includes('all') || (service !== undefined && w.services.includes(service))) && inWindow(w, at, time));
}
