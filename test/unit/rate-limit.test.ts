import { describe, expect, it } from 'vitest';
import { RateLimiter, type RateVerdict } from '../../src/auth/rate-limit';
import type { StateStore } from '../../src/ops/ports';
import { MemoryStore } from '../../src/ops/state/memory-store';
import { countingStore, DownStore } from '../support/fakes';

/** A store whose reserve() calls are counted. */
function counted(inner: StateStore): { store: StateStore; reserves: () => number } {
  const { store, calls } = countingStore(inner);
  return { store, reserves: () => calls.filter((c) => c === 'reserve').length };
}

const admitted = (verdicts: RateVerdict[]) => verdicts.filter((v) => v.ok).length;

describe('the rate limit', () => {
  it('two instances on one store never admit more than the limit between them, and each tells its user once', async () => {
    let now = 1_000_000;
    const store = new MemoryStore(() => now);
    const a = new RateLimiter(store, 20, 60_000, () => now);
    const b = new RateLimiter(store, 20, 60_000, () => now);
    const verdicts: RateVerdict[] = [];
    for (let i = 0; i < 30; i++) verdicts.push(await (i % 3 === 0 ? b : a).check(7));
    expect(admitted(verdicts)).toBeLessThanOrEqual(20);
    // What one instance holds unused is at most its share (2 of 20).
    expect(admitted(verdicts)).toBeGreaterThanOrEqual(18);
    const refusals = verdicts.filter((v): v is Extract<RateVerdict, { ok: false }> => !v.ok);
    expect(refusals.filter((v) => v.first)).toHaveLength(2);
    expect(refusals[0]?.retryInMs).toBeGreaterThan(59_000);
    // Another user has a window of his own.
    expect((await a.check(8)).ok).toBe(true);
    // The window ends: whole again.
    now += 60_001;
    const next: RateVerdict[] = [];
    for (let i = 0; i < 20; i++) next.push(await a.check(7));
    expect(admitted(next)).toBe(20);
    expect(await a.check(7)).toMatchObject({ ok: false, first: true });
  });

  it('asks the store once per share, and not at all for what follows a refusal in the same window', async () => {
    let now = 1_000_000;
    const { store, reserves } = counted(new MemoryStore(() => now));
    const limiter = new RateLimiter(store, 1_000, 60_000, () => now);
    for (let i = 0; i < 250; i++) expect((await limiter.check(7)).ok).toBe(true);
    expect(reserves()).toBe(3); // shares of 100
    const small = counted(new MemoryStore(() => now));
    const strict = new RateLimiter(small.store, 5, 60_000, () => now);
    for (let i = 0; i < 5; i++) expect((await strict.check(7)).ok).toBe(true);
    expect(await strict.check(7)).toMatchObject({ ok: false, first: true });
    const asked = small.reserves();
    for (let i = 0; i < 50; i++) expect(await strict.check(7)).toMatchObject({ ok: false, first: false });
    expect(small.reserves()).toBe(asked);
    now += 60_001;
    expect((await strict.check(7)).ok).toBe(true);
  });

  it('with the store down, admits and says the limit is not enforced', async () => {
    const limiter = new RateLimiter(new DownStore(), 5, 60_000);
    for (let i = 0; i < 10; i++) expect(await limiter.check(7)).toEqual({ ok: true, degraded: true });
  });
});
