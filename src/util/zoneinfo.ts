import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A time zone's rules: how far its wall clock is ahead of UTC at an instant, and what the zone is called then. */
export interface ZoneRules {
  /** Seconds ahead of UTC (3600 for CET, 7200 for CEST, -18000 for EST). */
  offsetSeconds(at: number): number;
  /** The zone's abbreviation in force: "CET", "CEST", "UTC"; "GMT+5:45" where the database has only a number. */
  abbreviation(at: number): string;
}

interface TimeType {
  offset: number;
  abbreviation: string;
}

/** What a name may look like: Europe/Berlin, America/Argentina/Buenos_Aires, Etc/GMT+5; never a path outside the database. */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/**
 * A zone from the system's time-zone database (the TZif files of Debian's tzdata, RFC 8536), as glibc reads it.
 * Undefined when the database or the zone is not there (or the file is not TZif): the caller falls back to Intl,
 * whose first use costs the process about 10 MB of ICU data; these files cost a few kilobytes.
 */
export function systemZone(name: string, dir = process.env.TZDIR || '/usr/share/zoneinfo'): ZoneRules | undefined {
  if (!ZONE_NAME.test(name)) return undefined;
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, name));
  } catch {
    return undefined;
  }
  return parseTzif(bytes);
}

/** A TZif file's transitions and, for instants after the last one, its footer's POSIX rule. */
export function parseTzif(bytes: Buffer): ZoneRules | undefined {
  const first = header(bytes, 0);
  if (!first) return undefined;
  // Version 2 and later repeat the data with 64-bit times after the 32-bit block; that block is the one read.
  const v1Size = dataSize(first, 4);
  const h = first.version >= 2 ? header(bytes, 44 + v1Size) : first;
  if (!h) return undefined;
  const timeSize = h.version >= 2 ? 8 : 4;
  let p = h.start;
  const times: number[] = [];
  for (let i = 0; i < h.timecnt; i++, p += timeSize) times.push(timeSize === 8 ? Number(bytes.readBigInt64BE(p)) : bytes.readInt32BE(p));
  const indices = [...bytes.subarray(p, p + h.timecnt)];
  p += h.timecnt;
  const raw: { offset: number; designation: number }[] = [];
  for (let i = 0; i < h.typecnt; i++, p += 6) raw.push({ offset: bytes.readInt32BE(p), designation: bytes[p + 5] ?? 0 });
  const chars = bytes.subarray(p, p + h.charcnt).toString('latin1');
  const types: TimeType[] = raw.map((t) => ({ offset: t.offset, abbreviation: shown(chars.slice(t.designation, chars.indexOf('\0', t.designation)), t.offset) }));
  if (types.length === 0 || indices.some((i) => i >= types.length)) return undefined;
  const end = h.start + dataSize(h, timeSize);
  const close = bytes.indexOf(0x0a, end + 1);
  const footer = h.version >= 2 && bytes[end] === 0x0a && close > end ? bytes.subarray(end + 1, close).toString('latin1') : '';
  const rule = footer ? parsePosixTz(footer) : undefined;
  if (footer && !rule) return undefined;

  const typeAt = (at: number): TimeType => {
    const s = Math.floor(at / 1000);
    const last = times.length - 1;
    if (times.length === 0 || s < (times[0] as number)) return rule && times.length === 0 ? rule(s) : (types[0] as TimeType);
    if (rule && s >= (times[last] as number)) return rule(s);
    let lo = 0;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((times[mid] as number) <= s) lo = mid;
      else hi = mid - 1;
    }
    return types[indices[lo] as number] as TimeType;
  };
  return { offsetSeconds: (at) => typeAt(at).offset, abbreviation: (at) => typeAt(at).abbreviation };
}

interface Header {
  version: number;
  isutcnt: number;
  isstdcnt: number;
  leapcnt: number;
  timecnt: number;
  typecnt: number;
  charcnt: number;
  /** Where its data block begins. */
  start: number;
}

function header(bytes: Buffer, at: number): Header | undefined {
  if (bytes.length < at + 44 || bytes.toString('latin1', at, at + 4) !== 'TZif') return undefined;
  const v = bytes[at + 4] ?? 0;
  const count = (i: number) => bytes.readUInt32BE(at + 20 + 4 * i);
  const h = { version: v === 0 ? 1 : v - 0x30, isutcnt: count(0), isstdcnt: count(1), leapcnt: count(2), timecnt: count(3), typecnt: count(4), charcnt: count(5), start: at + 44 };
  return bytes.length >= h.start + dataSize(h, h.version >= 2 && at > 0 ? 8 : 4) ? h : undefined;
}

function dataSize(h: Omit<Header, 'start' | 'version'>, timeSize: number): number {
  return h.timecnt * timeSize + h.timecnt + h.typecnt * 6 + h.charcnt + h.leapcnt * (timeSize + 4) + h.isstdcnt + h.isutcnt;
}

/** "CET" as it is; a number ("-03", "+0545") the way Telegram users read it, "GMT-3", "GMT+5:45". */
function shown(abbreviation: string, offset: number): string {
  if (/^[A-Za-z]+$/.test(abbreviation)) return abbreviation;
  if (offset === 0) return 'GMT';
  const minutes = Math.abs(offset) / 60;
  const mm = minutes % 60;
  return `GMT${offset < 0 ? '-' : '+'}${Math.floor(minutes / 60)}${mm ? `:${String(mm).padStart(2, '0')}` : ''}`;
}

/**
 * A POSIX TZ string (TZif's footer): "CET-1CEST,M3.5.0,M10.5.0/3", "<+0530>-5:30", "EST5EDT,M3.2.0,M11.1.0".
 * Returns the time type at a UTC second; undefined when the string does not read as one.
 */
export function parsePosixTz(text: string): ((s: number) => TimeType) | undefined {
  let i = 0;
  const name = (): string | undefined => {
    if (text[i] === '<') {
      const close = text.indexOf('>', i);
      if (close < 0) return undefined;
      const n = text.slice(i + 1, close);
      i = close + 1;
      return n;
    }
    const m = /^[A-Za-z]{3,}/.exec(text.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  // hh[:mm[:ss]] with an optional sign, in seconds.
  const clock = (): number | undefined => {
    const m = /^([+-]?)(\d{1,3})(?::(\d{1,2}))?(?::(\d{1,2}))?/.exec(text.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    const secs = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
    return m[1] === '-' ? -secs : secs;
  };
  const stdName = name();
  const stdClock = stdName === undefined ? undefined : clock();
  if (stdName === undefined || stdClock === undefined) return undefined;
  // POSIX counts west of Greenwich as positive: "CET-1" is an hour ahead of UTC.
  const std: TimeType = { offset: 0 - stdClock, abbreviation: shown(stdName, 0 - stdClock) };
  if (i === text.length) return () => std;
  const dstName = name();
  if (dstName === undefined) return undefined;
  let dstOffset = std.offset + 3600;
  if (i < text.length && text[i] !== ',') {
    const c = clock();
    if (c === undefined) return undefined;
    dstOffset = 0 - c;
  }
  const dst: TimeType = { offset: dstOffset, abbreviation: shown(dstName, dstOffset) };
  // Without a rule, POSIX's default is the US one; TZif footers always carry their rule.
  const dates = (i === text.length ? 'M3.2.0,M11.1.0' : text.slice(i + 1)).split(',');
  if (dates.length !== 2) return undefined;
  const start = transition(dates[0] as string);
  const end = transition(dates[1] as string);
  if (!start || !end) return undefined;
  return (s: number) => {
    const year = new Date(s * 1000).getUTCFullYear();
    // The start is written in standard time, the end in summer time.
    const on = start(year) - std.offset;
    const off = end(year) - dst.offset;
    const inDst = on < off ? s >= on && s < off : !(s >= off && s < on);
    return inDst ? dst : std;
  };
}

/** "M3.5.0/3", "J60", "59/-1": the second (as if UTC) a year's transition happens on the local clock. */
function transition(text: string): ((year: number) => number) | undefined {
  const [date, time] = text.split('/');
  const m = /^(?:M(\d{1,2})\.(\d)\.(\d)|J(\d{1,3})|(\d{1,3}))$/.exec(date ?? '');
  if (!m) return undefined;
  let at = 2 * 3600;
  if (time !== undefined) {
    const t = /^([+-]?)(\d{1,3})(?::(\d{1,2}))?(?::(\d{1,2}))?$/.exec(time);
    if (!t) return undefined;
    at = (Number(t[2]) * 3600 + Number(t[3] ?? 0) * 60 + Number(t[4] ?? 0)) * (t[1] === '-' ? -1 : 1);
  }
  const DAY = 86_400;
  if (m[1] !== undefined) {
    const month = Number(m[1]);
    const week = Number(m[2]);
    const weekday = Number(m[3]);
    if (month < 1 || month > 12 || week < 1 || week > 5 || weekday > 6) return undefined;
    return (year) => {
      const firstOfMonth = Date.UTC(year, month - 1, 1) / 1000;
      const firstWeekday = new Date(firstOfMonth * 1000).getUTCDay();
      let day = 1 + ((weekday - firstWeekday + 7) % 7) + (week - 1) * 7;
      const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
      while (day > days) day -= 7; // week 5 is the last such weekday of the month
      return firstOfMonth + (day - 1) * DAY + at;
    };
  }
  if (m[4] !== undefined) {
    // Jn: 1-365, February 29 never counted.
    const n = Number(m[4]);
    if (n < 1 || n > 365) return undefined;
    return (year) => {
      const leap = new Date(Date.UTC(year, 1, 29)).getUTCMonth() === 1;
      return Date.UTC(year, 0, 1) / 1000 + (n - 1 + (leap && n >= 60 ? 1 : 0)) * DAY + at;
    };
  }
  const n = Number(m[5]);
  if (n > 365) return undefined;
  return (year) => Date.UTC(year, 0, 1) / 1000 + n * DAY + at;
}
