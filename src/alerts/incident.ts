/**
 * One check's incident as a state machine: ok -> pending (N failures) -> firing -> ok again after M
 * successes. Flapping (many flips in a window) is reported once and then held until stable; reminders
 * while firing come at a growing interval. Pure: time comes in as an argument.
 */

export type IncidentStatus = 'ok' | 'pending' | 'firing';

export interface IncidentState {
  status: IncidentStatus;
  failures: number;
  successes: number;
  /** When the current status began (ms). */
  since: number;
  /** When it started failing this time (ms), while pending or firing. */
  failingSince?: number;
  detail?: string;
  /** Times of the ok <-> firing flips inside the flap window. */
  flips: number[];
  flapping: boolean;
  reminders: number;
  nextReminderAt?: number;
}

/** Every field of a state: the compiler refuses this list when a field is added and not named here. */
const STATE_FIELDS: Record<keyof IncidentState, true> = { status: true, failures: true, successes: true, since: true, failingSince: true, detail: true, flips: true, flapping: true, reminders: true, nextReminderAt: true };
const SCALAR_FIELDS = (Object.keys(STATE_FIELDS) as (keyof IncidentState)[]).filter((k) => k !== 'flips');

/** Whether two states are the same record: what decides that an incident must be written again. */
export function sameState(a: IncidentState, b: IncidentState): boolean {
  return SCALAR_FIELDS.every((k) => a[k] === b[k]) && a.flips.length === b.flips.length && a.flips.every((t, i) => t === b.flips[i]);
}

export interface IncidentPolicy {
  failuresToFire: number;
  successesToResolve: number;
  firstReminderMs: number;
  reminderFactor: number;
  maxReminderMs: number;
  flapWindowMs: number;
  flapFlips: number;
}

export const DEFAULT_POLICY: IncidentPolicy = {
  failuresToFire: 2,
  successesToResolve: 2,
  firstReminderMs: 30 * 60_000,
  reminderFactor: 2,
  maxReminderMs: 12 * 3_600_000,
  flapWindowMs: 60 * 60_000,
  flapFlips: 4,
};

export type Transition = 'fired' | 'resolved' | 'remind' | 'flapping' | 'stable' | undefined;

export function initialState(now: number): IncidentState {
  return copyOf({ status: 'ok', failures: 0, successes: 0, since: now, flips: [], flapping: false, reminders: 0 });
}

/**
 * A copy with every field, in one order. States of one shape keep a sweep of a thousand checks fast; a copy given
 * its missing fields one by one took ten times as long in code not yet optimised (the first storm a process sees).
 */
function copyOf(s: IncidentState): IncidentState {
  const copy: { [K in keyof Required<IncidentState>]: IncidentState[K] } = {
    status: s.status,
    failures: s.failures,
    successes: s.successes,
    since: s.since,
    failingSince: s.failingSince,
    detail: s.detail,
    flips: s.flips,
    flapping: s.flapping,
    reminders: s.reminders,
    nextReminderAt: s.nextReminderAt,
  };
  return copy;
}

function flip(state: IncidentState, now: number, policy: IncidentPolicy): { flapping: boolean; started: boolean } {
  const flips = state.flips.filter((t) => now - t < policy.flapWindowMs);
  flips.push(now);
  state.flips = flips;
  const flapping = state.flips.length >= policy.flapFlips;
  const started = flapping && !state.flapping;
  state.flapping = state.flapping || flapping;
  return { flapping: state.flapping, started };
}

export function step(previous: IncidentState, result: { ok: boolean; detail?: string }, now: number, policy: IncidentPolicy = DEFAULT_POLICY): { state: IncidentState; transition: Transition } {
  // A copy that the steps below change in place; `flips` is only ever replaced, never changed, so it is shared.
  const state = copyOf(previous);
  // A flapping check is held until it has not flipped for a whole window, then reported as it is.
  if (state.flapping && state.flips.every((t) => now - t >= policy.flapWindowMs)) {
    state.flapping = false;
    state.flips = [];
    const settled = stepCore(state, result, now, policy);
    return { state: settled.state, transition: 'stable' };
  }
  return stepCore(state, result, now, policy);
}

function stepCore(state: IncidentState, result: { ok: boolean; detail?: string }, now: number, policy: IncidentPolicy): { state: IncidentState; transition: Transition } {
  if (result.ok) {
    if (state.status === 'pending') {
      state.status = 'ok';
      state.failures = 0;
      state.successes = 0;
      state.since = now;
      state.failingSince = undefined;
      return { state, transition: undefined };
    }
    if (state.status === 'ok') {
      state.failures = 0;
      return { state, transition: undefined };
    }
    state.successes += 1;
    if (state.successes < policy.successesToResolve) return { state, transition: undefined };
    const f = flip(state, now, policy);
    state.status = 'ok';
    state.failures = 0;
    state.successes = 0;
    state.since = now;
    state.failingSince = undefined;
    state.reminders = 0;
    state.nextReminderAt = undefined;
    return { state, transition: f.started ? 'flapping' : f.flapping ? undefined : 'resolved' };
  }
  if (result.detail !== undefined) state.detail = result.detail;
  state.successes = 0;
  if (state.status === 'firing') {
    if (state.nextReminderAt !== undefined && now >= state.nextReminderAt && !state.flapping) {
      state.reminders += 1;
      const gap = Math.min(policy.firstReminderMs * policy.reminderFactor ** state.reminders, policy.maxReminderMs);
      state.nextReminderAt = now + gap;
      return { state, transition: 'remind' };
    }
    return { state, transition: undefined };
  }
  state.failures += 1;
  state.failingSince ??= now;
  if (state.failures < policy.failuresToFire) {
    state.status = 'pending';
    return { state, transition: undefined };
  }
  const f = flip(state, now, policy);
  state.status = 'firing';
  state.since = now;
  state.reminders = 0;
  state.nextReminderAt = now + policy.firstReminderMs;
  return { state, transition: f.started ? 'flapping' : f.flapping ? undefined : 'fired' };
}
