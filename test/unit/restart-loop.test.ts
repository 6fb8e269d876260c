import { describe, expect, it } from 'vitest';
import { RestartLoopDetector } from '../../src/alerts/restart-loop';
import type { ContainerEvent } from '../../src/ops/ports';

const die = (container: string, atMs: number, exitCode = 3): ContainerEvent => ({ container, action: 'die', at: new Date(atMs), exitCode });

describe('restart loop detection from container events', () => {
  it('reports the third death within five minutes once, per container', () => {
    const d = new RestartLoopDetector(3, 300_000);
    expect(d.observe(die('mana-sync', 0))).toBeUndefined();
    expect(d.observe({ container: 'mana-sync', action: 'start', at: new Date(1) })).toBeUndefined();
    expect(d.observe(die('mana-sync', 10_000))).toBeUndefined();
    expect(d.observe(die('mana-chat-web', 15_000))).toBeUndefined();
    expect(d.observe(die('mana-sync', 20_000))).toEqual({ container: 'mana-sync', dies: 3, windowMs: 300_000, lastExitCode: 3 });
    expect(d.observe(die('mana-sync', 30_000))).toBeUndefined();
  });

  it('forgets deaths outside the window and reports again after a quiet window', () => {
    const d = new RestartLoopDetector(3, 60_000);
    d.observe(die('mana-sync', 0));
    d.observe(die('mana-sync', 50_000));
    expect(d.observe(die('mana-sync', 100_000))).toBeUndefined(); // the first one is out of the window
    expect(d.observe(die('mana-sync', 105_000))).toMatchObject({ dies: 3 });
    for (const t of [300_000, 310_000]) expect(d.observe(die('mana-sync', t))).toBeUndefined();
    expect(d.observe(die('mana-sync', 320_000))).toMatchObject({ dies: 3 });
  });
});
