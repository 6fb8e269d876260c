import { describe, expect, it } from 'vitest';
import { CheckHistory } from '../../src/estate/check-history';

const MIN = 60_000;
const DAY = 1440 * MIN;
const NOW = Date.parse('2026-11-27T10:00:00Z');

/** Ten days of a check every 30 s, down while `down` says so of the minutes before NOW (a result at NOW - 30 s is at 0.5). */
function filled(down: (minutesAgo: number) => boolean): CheckHistory {
  const h = new CheckHistory();
  for (let t = NOW - 10 * DAY; t < NOW; t += 30_000) h.record('chat-web:http', t, !down((NOW - t) / MIN), 100 + ((t / 30_000) % 3) * 10);
  return h;
}

describe("the bot's own check history", () => {
  it('gives the uptime of 24 h and 7 d to 0.01 percentage points, and charts within a bounded number of steps', () => {
    // Down for 30 minutes 2 h ago, and 2 h three days ago.
    const h = filled((m) => (m > 120 && m <= 150) || (m > 3 * 1440 && m <= 3 * 1440 + 120));
    expect(Math.abs((h.meanUp('chat-web:http', NOW - DAY, NOW) as number) * 100 - (1 - 30 / 1440) * 100)).toBeLessThan(0.01);
    expect(Math.abs((h.meanUp('chat-web:http', NOW - 7 * DAY, NOW) as number) * 100 - (1 - 150 / 10_080) * 100)).toBeLessThan(0.01);
    const day = h.series('chat-web:http', NOW - DAY, NOW, 2 * MIN);
    expect(day).toHaveLength(720);
    expect(day.filter((p) => p.up < 1)).toHaveLength(15); // 30 minutes in 2-minute steps
    expect(day.every((p) => p.ms >= 100 && p.ms <= 120)).toBe(true);
    const week = h.series('chat-web:http', NOW - 7 * DAY, NOW, 15 * MIN);
    expect(week).toHaveLength(672);
    expect(week.filter((p) => p.up === 0)).toHaveLength(8 + 2); // 2 h, and the 30 minutes: whole quarters
    // Older than it keeps: nothing, and memory does not grow with results.
    expect(h.series('chat-web:http', NOW - 10 * DAY, NOW - 8 * DAY, 15 * MIN)).toHaveLength(0);
    expect(h.since('chat-web:http', NOW)).toBe(NOW - 7 * DAY - 60 * MIN);
  });

  it('an hour comes at minute resolution; a check the estate dropped is forgotten', () => {
    const h = filled((m) => m > 5 && m <= 6);
    const hour = h.series('chat-web:http', NOW - 60 * MIN, NOW, 15_000);
    expect(hour).toHaveLength(60);
    expect(hour.filter((p) => p.up === 0).map((p) => (NOW - p.at) / MIN)).toEqual([6]);
    h.keepOnly(['todo-web:http']);
    expect(h.since('chat-web:http', NOW)).toBeUndefined();
    expect(h.meanUp('chat-web:http', NOW - DAY, NOW)).toBeUndefined();
  });
});
