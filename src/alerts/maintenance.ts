import type { Estate } from '../config/schema';

type Window = Estate['maintenance'][number];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether `at` falls in the window; a recurring window may run past midnight (22:00-02:00). */
export function inWindow(w: Window, at: number): boolean {
  if (w.start && w.end) return at >= Date.parse(w.start) && at < Date.parse(w.end);
  if (!w.from || !w.to) return false;
  const d = new Date(at);
  const minute = d.getUTCHours() * 60 + d.getUTCMinutes();
  const from = minutesOf(w.from);
  const to = minutesOf(w.to);
  const onDay = (day: number) => w.days.includes('daily') || w.days.includes(DAYS[day] as Window['days'][number]);
  if (from <= to) return onDay(d.getUTCDay()) && minute >= from && minute < to;
  // Past midnight: the evening part belongs to today, the morning part to the window that began yesterday.
  return (onDay(d.getUTCDay()) && minute >= from) || (onDay((d.getUTCDay() + 6) % 7) && minute < to);
}

/** The maintenance window covering a service at `at`, if any. */
export function maintenanceFor(windows: readonly Window[], service: string | undefined, at: number): Window | undefined {
  return windows.find((w) => (w.services.includes('all') || (service !== undefined && w.services.includes(service))) && inWindow(w, at));
}
