import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CheckSchedule } from '../../src/alerts/check-schedule';
import type { CheckDef } from '../../src/alerts/checks';

/** Checks whose run takes `ms` of (fake) time; each run is counted with the time it started. */
function checks(spec: Record<string, { intervalMs: number; takesMs: number }>) {
  const runs: Record<string, number[]> = {};
  const defs: CheckDef[] = Object.entries(spec).map(([id, s]) => {
    runs[id] = [];
    return {
      id, label: id, intervalMs: s.intervalMs, timeoutMs: s.takesMs + 1_000,
      run: async () => {
        runs[id]?.push(Date.now());
        await new Promise((r) => setTimeout(r, s.takesMs));
        return { ok: true };
      },
    };
  });
  return { defs, runs };
}

/** Runs the schedule for `ms` of fake time. */
async function runFor(defs: CheckDef[], ms: number, jitterRatio = 0): Promise<void> {
  const schedule = new CheckSchedule({ checks: defs, run: (def) => def.run({} as never).then(() => undefined), now: Date.now, jitterRatio });
  schedule.reset();
  schedule.start();
  await vi.advanceTimersByTimeAsync(ms);
  schedule.stop();
}

describe('each check on its own clock', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a 5 s check runs 6 times in 30 s, also when each run takes 300 ms (no rounding to a tick, no drift)', async () => {
    const { defs, runs } = checks({ quick: { intervalMs: 5_000, takesMs: 0 }, slow: { intervalMs: 5_000, takesMs: 300 } });
    await runFor(defs, 29_999);
    expect(runs.quick).toEqual([0, 5_000, 10_000, 15_000, 20_000, 25_000]);
    expect(runs.slow).toEqual([0, 5_000, 10_000, 15_000, 20_000, 25_000]);
  });

  it('a hanging check holds only itself: a 1 s check next to it keeps its pace, and it never runs twice at once', async () => {
    const { defs, runs } = checks({ hangs: { intervalMs: 1_000, takesMs: 20_000 }, fast: { intervalMs: 1_000, takesMs: 10 } });
    await runFor(defs, 29_999);
    expect(runs.fast).toHaveLength(30);
    expect(runs.hangs).toEqual([0, 20_000]);
  });

  it('a check done while the timer waits for a later one brings the timer forward: a 2 s check next to a 10 s one keeps its pace', async () => {
    const { defs, runs } = checks({ often: { intervalMs: 2_000, takesMs: 5 }, rarely: { intervalMs: 10_000, takesMs: 0 } });
    await runFor(defs, 19_999);
    expect(runs.often).toEqual([0, 2_000, 4_000, 6_000, 8_000, 10_000, 12_000, 14_000, 16_000, 18_000]);
    expect(runs.rarely).toEqual([0, 10_000]);
  });

  it('with jitter each run stays within its share of the interval', async () => {
    const { defs, runs } = checks({ jittered: { intervalMs: 10_000, takesMs: 0 } });
    await runFor(defs, 100_000, 0.2);
    const starts = runs.jittered ?? [];
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
    expect(starts[0]).toBeLessThanOrEqual(2_000);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(9_000);
      expect(gap).toBeLessThanOrEqual(11_000);
    }
    expect(gaps.length).toBeGreaterThanOrEqual(8);
  });
});
