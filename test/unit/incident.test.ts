import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, initialState, sameState, step, type IncidentState, type Transition } from '../../src/alerts/incident';

const policy = { ...DEFAULT_POLICY, failuresToFire: 2, successesToResolve: 2, firstReminderMs: 60_000, reminderFactor: 2, maxReminderMs: 300_000, flapWindowMs: 600_000, flapFlips: 4 };

/** Feeds results one minute apart and collects the transitions. */
function run(results: boolean[], start = 0): { state: IncidentState; transitions: Transition[] } {
  let state = initialState(start);
  const transitions: Transition[] = [];
  results.forEach((ok, i) => {
    const next = step(state, { ok, detail: ok ? undefined : `failure ${i}` }, start + (i + 1) * 60_000, policy);
    state = next.state;
    transitions.push(next.transition);
  });
  return { state, transitions };
}

describe('incident state machine', () => {
  it('one failure is only pending; the second fires; two successes resolve', () => {
    const { transitions, state } = run([false, false, true, true]);
    expect(transitions).toEqual([undefined, 'fired', undefined, 'resolved']);
    expect(state.status).toBe('ok');
  });

  it('a single blip never fires and resets', () => {
    expect(run([false, true, false, true]).transitions).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('reminds while firing at a growing interval, capped', () => {
    const { transitions } = run(Array(16).fill(false));
    const at = transitions.map((t, i) => (t === 'remind' ? i + 1 : 0)).filter(Boolean);
    // fired at minute 2; reminders after 1, then 2, then 4, then (capped) 5 minutes
    expect(transitions[1]).toBe('fired');
    expect(at).toEqual([3, 5, 9, 14]);
  });

  it('keeps the last failure detail and when it started failing', () => {
    const { state } = run([true, false, false, false]);
    expect(state).toMatchObject({ status: 'firing', detail: 'failure 3', failingSince: 120_000 });
  });

  it('flapping is reported once, held, then reported as stable', () => {
    const flappy = [false, false, true, true, false, false, true, true, false, false, true, true];
    const { transitions } = run(flappy);
    expect(transitions.filter((t) => t === 'fired' || t === 'resolved')).toEqual(['fired', 'resolved', 'fired']);
    expect(transitions.filter((t) => t === 'flapping')).toHaveLength(1);
    const calm = run([...flappy, ...Array(12).fill(true)]);
    expect(calm.transitions.filter((t) => t === 'stable')).toHaveLength(1);
    expect(calm.state.flapping).toBe(false);
  });
});

describe('sameState', () => {
  it('sees a change in any field, and none between equal records', () => {
    const base: IncidentState = { status: 'firing', failures: 3, successes: 0, since: 10, failingSince: 5, detail: 'HTTP 502', flips: [1, 2], flapping: false, reminders: 1, nextReminderAt: 99 };
    expect(sameState(base, { ...base, flips: [1, 2] })).toBe(true);
    const changes: Partial<IncidentState>[] = [{ status: 'ok' }, { failures: 4 }, { successes: 1 }, { since: 11 }, { failingSince: undefined }, { detail: 'HTTP 503' }, { flips: [1] }, { flips: [1, 3] }, { flapping: true }, { reminders: 2 }, { nextReminderAt: undefined }];
    for (const change of changes) expect(sameState(base, { ...base, ...change })).toBe(false);
  });
});
