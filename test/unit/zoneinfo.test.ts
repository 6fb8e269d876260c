import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalTime } from '../../src/util/local-time';
import { parsePosixTz, parseTzif, systemZone } from '../../src/util/zoneinfo';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

/** Intl's offset at an instant, in seconds: the oracle the system database is held against. */
function intlOffset(f: Intl.DateTimeFormat, t: number): number {
  const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, x.value]));
  return (Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - Math.floor(t / 1000) * 1000) / 1000;
}

describe("the system's time-zone database", () => {
  // Northern and southern summer time, half and quarter hours, a negative summer time (Dublin), none at all.
  const zones = ['Europe/Berlin', 'Europe/London', 'Europe/Dublin', 'America/New_York', 'America/St_Johns', 'Australia/Sydney', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Asia/Kolkata', 'Asia/Kathmandu', 'Asia/Tokyo', 'Africa/Johannesburg', 'UTC'];

  it.each(zones)('%s: the same offset as Intl every 13 h 7 min from 1980 to 2060 (after 2037, from the file footer rule)', (zone) => {
    const rules = systemZone(zone);
    expect(rules).toBeDefined();
    const f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    const differing: string[] = [];
    for (let t = at('1980-01-01T00:00:00Z'); t < at('2060-01-01T00:00:00Z'); t += 13 * HOUR + 7 * 60_000) {
      const expected = intlOffset(f, t);
      if (rules?.offsetSeconds(t) !== expected) differing.push(`${new Date(t).toISOString()}: ${rules?.offsetSeconds(t)} ≠ ${expected}`);
    }
    expect(differing.slice(0, 5)).toEqual([]);
  });

  it('to the second around the switches, in the table (2026) and from the footer (2046)', () => {
    const berlin = systemZone('Europe/Berlin');
    for (const [switchAt, before, after] of [
      ['2026-03-29T01:00:00Z', 3600, 7200],
      ['2026-10-25T01:00:00Z', 7200, 3600],
      ['2046-03-25T01:00:00Z', 3600, 7200],
      ['2046-10-28T01:00:00Z', 7200, 3600],
    ] as const) {
      expect([berlin?.offsetSeconds(at(switchAt) - 1000), berlin?.offsetSeconds(at(switchAt))]).toEqual([before, after]);
    }
    const sydney = systemZone('Australia/Sydney');
    // Summer time ends on the first Sunday of April at 03:00 local summer time (16:00 UTC the day before).
    expect([sydney?.offsetSeconds(at('2050-04-02T15:59:59Z')), sydney?.offsetSeconds(at('2050-04-02T16:00:00Z'))]).toEqual([39600, 36000]);
  });

  it('names the zone as the chat shows it: CET and CEST, BST, IST, UTC; a number as GMT±h[:mm]', () => {
    const name = (zone: string, iso: string) => systemZone(zone)?.abbreviation(at(iso));
    expect([name('Europe/Berlin', '2026-01-15T12:00:00Z'), name('Europe/Berlin', '2026-07-15T12:00:00Z'), name('Europe/Berlin', '2050-07-15T12:00:00Z')]).toEqual(['CET', 'CEST', 'CEST']);
    expect([name('Europe/London', '2026-01-15T12:00:00Z'), name('Europe/London', '2026-07-15T12:00:00Z')]).toEqual(['GMT', 'BST']);
    expect([name('Asia/Kolkata', '2026-01-15T12:00:00Z'), name('UTC', '2026-01-15T12:00:00Z')]).toEqual(['IST', 'UTC']);
    expect([name('Asia/Kathmandu', '2026-01-15T12:00:00Z'), name('America/Sao_Paulo', '2026-01-15T12:00:00Z')]).toEqual(['GMT+5:45', 'GMT-3']);
  });

  it('never reads outside the database, nor a file that is not TZif', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mo-zones-'));
    writeFileSync(join(dir, 'Fake'), 'not a zone at all, but long enough to be read as a header of forty-four bytes');
    expect(systemZone('Fake', dir)).toBeUndefined();
    for (const name of ['../etc/passwd', '/etc/passwd', 'Europe/../../etc/passwd', 'Europe/Berlin\0', '']) expect(systemZone(name)).toBeUndefined();
    expect(parseTzif(Buffer.from('TZif2'))).toBeUndefined();
  });
});

describe('POSIX TZ rules (the footer of a TZif file)', () => {
  const offsetAt = (rule: string, iso: string) => parsePosixTz(rule)?.(at(iso) / 1000).offset;

  it('US rules: second Sunday of March, first of November, at 02:00 local', () => {
    const r = 'EST5EDT,M3.2.0,M11.1.0';
    expect([offsetAt(r, '2026-03-08T06:59:59Z'), offsetAt(r, '2026-03-08T07:00:00Z')]).toEqual([-18000, -14400]);
    expect([offsetAt(r, '2026-11-01T05:59:59Z'), offsetAt(r, '2026-11-01T06:00:00Z')]).toEqual([-14400, -18000]);
  });

  it('a negative summer time (Dublin: IST in summer is standard, GMT in winter the "daylight" one)', () => {
    const r = 'IST-1GMT0,M10.5.0,M3.5.0/1';
    expect([offsetAt(r, '2026-01-15T12:00:00Z'), offsetAt(r, '2026-07-15T12:00:00Z')]).toEqual([0, 3600]);
    expect(parsePosixTz(r)?.(at('2026-01-15T12:00:00Z') / 1000).abbreviation).toBe('GMT');
  });

  it('Julian days, zero-based days, times past midnight and summer time all year', () => {
    expect(offsetAt('XXX3YYY,J60/0,J300/0', '2028-03-01T03:00:00Z')).toBe(-7200); // J60 is March 1, leap year or not
    expect(offsetAt('XXX3YYY,J60/0,J300/0', '2028-02-29T12:00:00Z')).toBe(-10800);
    expect(offsetAt('XXX3YYY,59/0,300/0', '2028-02-29T03:00:00Z')).toBe(-7200); // zero-based: 59 is Feb 29 in a leap year
    expect(offsetAt('EST5EDT,0/0,J365/25', '2026-06-01T00:00:00Z')).toBe(-14400);
    expect(offsetAt('EST5EDT,0/0,J365/25', '2026-01-01T12:00:00Z')).toBe(-14400);
  });

  it('names in angle brackets, offsets with minutes, and strings that are not rules', () => {
    expect(parsePosixTz('<+0545>-5:45')?.(0)).toEqual({ offset: 20700, abbreviation: 'GMT+5:45' });
    expect(parsePosixTz('<-03>3')?.(0)).toEqual({ offset: -10800, abbreviation: 'GMT-3' });
    for (const bad of ['', 'CE', 'CET', 'CET-1CEST,M3.5.0', 'CET-1CEST,M13.5.0,M10.5.0', 'CET-1CEST,M3.6.0,M10.5.0', '<+05', 'CET-1CEST,M3.5.0/x,M10.5.0']) expect(parsePosixTz(bad)).toBeUndefined();
  });
});

describe('LocalTime without the system database', () => {
  const saved = process.env.TZDIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.TZDIR;
    else process.env.TZDIR = saved;
  });

  it("reads the zone from TZDIR's files when they are there: a zone Intl has never heard of", () => {
    const dir = mkdtempSync(join(tmpdir(), 'mo-zones-'));
    mkdirSync(join(dir, 'Mana'));
    copyFileSync('/usr/share/zoneinfo/Asia/Kolkata', join(dir, 'Mana', 'Test'));
    process.env.TZDIR = dir;
    expect(new LocalTime('Mana/Test').stamp(at('2026-12-01T10:00:00Z'))).toBe('2026-12-01 15:30 IST');
  });

  it('falls back to Intl, and tells the same times', () => {
    const system = new LocalTime('Europe/Berlin');
    process.env.TZDIR = mkdtempSync(join(tmpdir(), 'mo-no-zones-'));
    expect(systemZone('Europe/Berlin')).toBeUndefined();
    const intl = new LocalTime('Europe/Berlin');
    for (const iso of ['2026-03-29T00:59:59Z', '2026-03-29T01:00:00Z', '2026-07-01T10:00:00Z', '2026-10-25T01:00:00Z', '2047-12-24T18:30:00Z']) {
      expect(intl.stamp(at(iso))).toBe(system.stamp(at(iso)));
    }
    expect(intl.instant(2026, 3, 29, 2, 30)).toBe(system.instant(2026, 3, 29, 2, 30));
    expect(() => new LocalTime('Mars/Olympus_Mons')).toThrow(/unknown time zone Mars\/Olympus_Mons/);
  });
});
