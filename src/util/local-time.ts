import { systemZone, type ZoneRules } from './zoneinfo';

/** Whether `zone` is an IANA time zone this machine knows (Europe/Berlin, UTC). */
export function isTimeZone(zone: string): boolean {
  return zoneRules(zone) !== undefined;
}

/** The system's time-zone database first (a few kilobytes); Intl where it lacks the zone (its first use costs ~10 MB). */
function zoneRules(zone: string): ZoneRules | undefined {
  return systemZone(zone) ?? intlZone(zone);
}

/** The zone's rules as Intl (ICU's own database) has them; undefined when Intl does not know the name. */
function intlZone(zone: string): ZoneRules | undefined {
  let parts: Intl.DateTimeFormat;
  let names: Intl.DateTimeFormat;
  try {
    parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    names = new Intl.DateTimeFormat('en-GB', { timeZone: zone, timeZoneName: 'short' });
  } catch {
    return undefined;
  }
  return {
    offsetSeconds(at) {
      const p: Record<string, string> = {};
      for (const part of parts.formatToParts(at)) p[part.type] = part.value;
      const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
      return Math.round((asUtc - Math.floor(at / 1000) * 1000) / 1000);
    },
    abbreviation: (at) => names.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? zone,
  };
}

export interface WallClock {
  year: number;
  month: number;
  day: number;
  /** 0 = Sunday, as Date.getDay. */
  weekday: number;
  hour: number;
  minute: number;
  second: number;
}

const pad = (n: number) => String(n).padStart(2, '0');
const MINUTE = 60_000;

/**
 * Every time the bot shows or evaluates, on the estate's wall clock (its `timezone`), with daylight saving done by
 * the time-zone database (the system's, else Intl's), so a window written as 03:00 stays at 03:00 in summer and in
 * winter.
 */
export class LocalTime {
  private readonly rules: ZoneRules;

  constructor(readonly zone: string) {
    const rules = zoneRules(zone);
    if (!rules) throw new Error(`unknown time zone ${zone}: use an IANA time zone like Europe/Berlin or UTC`);
    this.rules = rules;
  }

  /** The last second read: a judgement asks the same second for every check. */
  private last: { second: number; wall: WallClock } | undefined;

  wall(at: number): WallClock {
    const second = Math.floor(at / 1000);
    if (this.last?.second === second) return { ...this.last.wall };
    const wall = this.read(second * 1000);
    this.last = { second, wall };
    return { ...wall };
  }

  private read(at: number): WallClock {
    const d = new Date(at + this.rules.offsetSeconds(at) * 1000);
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: d.getUTCDay(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
  }

  /** "CET", "CEST", "UTC", or "GMT+5:30" where the zone has no common abbreviation. */
  zoneName(at: number): string {
    return this.rules.abbreviation(at);
  }

  /** "17:05" */
  hm(at: number): string {
    const w = this.wall(at);
    return `${pad(w.hour)}:${pad(w.minute)}`;
  }

  /** "17:05:33" */
  hms(at: number): string {
    const w = this.wall(at);
    return `${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
  }

  /** "2026-12-01" */
  date(at: number): string {
    const w = this.wall(at);
    return `${w.year}-${pad(w.month)}-${pad(w.day)}`;
  }

  /** "17:05 CET": a time of today, with its zone. */
  hmZone(at: number): string {
    return `${this.hm(at)} ${this.zoneName(at)}`;
  }

  /** "2026-12-01 17:05 CET" */
  stamp(at: number): string {
    return `${this.date(at)} ${this.hmZone(at)}`;
  }

  /** Minutes the wall clock is ahead of UTC at `at` (60 for CET, 120 for CEST). */
  offsetMinutes(at: number): number {
    return Math.round(this.rules.offsetSeconds(at) / 60);
  }

  /**
   * The instant a wall-clock time names. A time the clock skips (02:30 on the spring night) moves on by the gap
   * (03:30 summer time); a time it shows twice (02:30 on the autumn night) is the first of the two.
   */
  instant(year: number, month: number, day: number, hour: number, minute: number, second = 0): number {
    const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
    // The offset is one of the two around asUtc; try the earlier (larger) offset first so repeated times resolve to the first.
    const offsets = [this.offsetMinutes(asUtc - 86_400_000), this.offsetMinutes(asUtc + 86_400_000)].sort((a, b) => b - a);
    for (const off of offsets) {
      const t = asUtc - off * MINUTE;
      if (this.offsetMinutes(t) === off) return t;
    }
    // In a gap: neither offset gives back the wall time; the later offset places it just after the jump.
    return asUtc - (offsets[1] ?? 0) * MINUTE;
  }
}
