import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bold, html, lines, pre } from '../../src/util/html';
import { fitHtml, fitLines, fitTail, paginate, visibleLength } from '../../src/util/telegram-text';
import { checkTelegramHtml } from '../support/telegram-emulator';

/** The one renderer: what it lets through is what Telegram accepts, measured the way Telegram measures. */

const hostileLine = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 120 }),
  fc.constantFrom('{"level":30,"msg":"GET /chat?q=<b>&x=\\"y\\""}', 'שלום עולם ✅ 🚀 مرحبا', '&amp;&lt;&gt;"\'', '<pre>', '</b>'),
  fc.nat({ max: 1200 }).map((n) => `{"msg":"${'"<&>'.repeat(n / 4)}"}`),
);

describe('visibleLength', () => {
  it('counts what Telegram counts: tags dropped, an entity is one character, UTF-16 units', () => {
    expect(visibleLength(html`<b>${'a<b'}</b>`)).toBe(3);
    expect(visibleLength(pre('"x" & y'))).toBe(7);
    expect(visibleLength('🚀')).toBe(2);
  });
});

describe('fitHtml', () => {
  it('leaves a message that fits as it is', () => {
    const msg = lines([bold('ok'), pre('a\nb')]);
    expect(fitHtml(msg)).toEqual({ html: msg, cut: false });
  });

  it('cuts between lines and closes a cut <pre>, measured after entity parsing', () => {
    const log = Array.from({ length: 400 }, (_, i) => `{"i":${i},"msg":"<&>\\"quoted\\""}`);
    const msg = lines([bold('logs'), pre(log.join('\n'))]);
    expect(msg.value.length).toBeGreaterThan(4096);
    const fitted = fitHtml(msg);
    expect(fitted.cut).toBe(true);
    const checked = checkTelegramHtml(fitted.html.value);
    expect(checked.ok).toBe(true);
    expect(checked.ok && checked.plain.length).toBeLessThanOrEqual(4096);
    expect(fitted.html.value).toMatch(/<\/pre>\n… \(cut\)$/);
    // Whole lines only: the last log line shown is complete.
    expect(fitted.html.value).toMatch(/\\&quot;quoted\\&quot;&quot;}<\/pre>/);
  });

  it('any hostile content, in any tags, comes out as HTML Telegram accepts within the limit', () => {
    fc.assert(
      fc.property(fc.array(hostileLine, { maxLength: 80 }), fc.boolean(), fc.integer({ min: 50, max: 4096 }), (raw, inPre, limit) => {
        const body = inPre ? pre(raw.join('\n')) : lines(raw.map((l) => html`• ${bold(l)} ${l}`));
        const fitted = fitHtml(lines([bold('header'), body]), limit);
        const checked = checkTelegramHtml(fitted.html.value);
        expect(checked.ok).toBe(true);
        if (checked.ok) expect(checked.plain.length).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 300 },
    );
  });
});

describe('fitLines', () => {
  it('gives what fitHtml gives for the lines joined, drawing no more lines than the message can show', () => {
    fc.assert(
      fc.property(fc.array(hostileLine, { maxLength: 400 }), fc.integer({ min: 50, max: 4096 }), (raw, limit) => {
        const rendered = raw.map((l) => html`⛔ ${bold(l)}: ${l}`);
        let drawn = 0;
        function* drawing() {
          for (const line of rendered) {
            drawn++;
            yield line;
          }
        }
        const fitted = fitLines(drawing(), limit, '… and more');
        expect(fitted).toEqual(fitHtml(lines(rendered), limit, '… and more'));
        // Every line drawn but the last is shown whole (or the first was cut inside): none is drawn in vain.
        const shownWhole = rendered.slice(0, drawn - 1).reduce((n, l) => n + visibleLength(l) + 1, -1);
        expect(shownWhole).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 300 },
    );
  });
});

describe('paginate and fitTail', () => {
  it('pages name every line, each page within the limit', () => {
    const rows = Array.from({ length: 500 }, (_, i) => html`🔴 alert-${i} · ${"<host&port>"} "${'x'.repeat(i % 50)}"`);
    const pages = paginate((p, of) => html`${bold('storm')} ${p}/${of}`, rows);
    expect(pages.length).toBeGreaterThan(1);
    for (const p of pages) {
      const checked = checkTelegramHtml(p.value);
      expect(checked.ok && checked.plain.length).toBeLessThanOrEqual(4096);
    }
    const all = pages.map((p) => p.value).join('\n');
    for (let i = 0; i < 500; i++) expect(all).toContain(`alert-${i} `);
  });

  it('fitTail keeps the newest lines', () => {
    expect(fitTail(['old', 'mid', 'new'], 8)).toEqual(['mid', 'new']);
  });
});

describe('a storm digest (Alertmanager)', () => {
  it('500 alerts over 25 names and 63 services: two pages at most, every alert named with its service, resolved ones moved to their own lines', async () => {
    const { digestLines } = await import('../../src/alerts/alertmanager');
    const alerts = Array.from({ length: 500 }, (_, i) => ({
      status: (i % 7 === 0 ? 'resolved' : 'firing') as 'firing' | 'resolved',
      name: `Alert${i % 25}`,
      where: `svc-${i % 63}:8080`,
      service: `svc-${i % 63}`,
      summary: `<b>"x" & y</b> `.repeat(20),
      startsAt: new Date(i).toISOString(),
    }));
    const lines = digestLines(alerts);
    const pages = paginate((p) => html`🌪 storm · page ${p}`, lines);
    expect(pages.length).toBeLessThanOrEqual(2);
    for (const page of pages) expect(checkTelegramHtml(page.value).ok && visibleLength(page) <= 4096).toBe(true);
    const seen = new Map<string, string>();
    for (const line of lines.map((l) => l.value)) {
      const m = /^(🔴|✅) (Alert\d+)(?: · \d+| \(more\)): (.*)$/.exec(line);
      expect(m, line).not.toBeNull();
      const places = m?.[3]?.split(', ') ?? [];
      expect(places.length).toBeLessThanOrEqual(40);
      for (const place of places) seen.set(`${m?.[2]}/${place}`, m?.[1] as string);
    }
    expect(seen.size).toBe(500);
    for (const [i, a] of alerts.entries()) expect(seen.get(`${a.name}/${a.service}`), `alert ${i}`).toBe(a.status === 'firing' ? '🔴' : '✅');
  });
});
