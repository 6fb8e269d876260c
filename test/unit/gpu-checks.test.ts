import { describe, expect, it } from 'vitest';
import { checkGpuBox } from '../../src/alerts/gpu-checks';
import { OpsError, type GpuHost, type GpuReading, type WindowsUnitState } from '../../src/ops/ports';

const reading = (over: Partial<GpuReading> = {}): GpuReading => ({
  index: 0,
  name: 'RTX 3090',
  temperatureC: 60,
  fanPercent: 30,
  utilizationPercent: 10,
  memoryUsedMiB: 10_000,
  memoryTotalMiB: 24_576,
  powerDrawW: 100,
  powerLimitW: 350,
  ...over,
});

/** Unit tests only: a GPU host with fixed answers. */
function host(gpus: GpuReading[] | Error, units: WindowsUnitState[] | Error): GpuHost {
  const answer = <T>(v: T | Error) => (v instanceof Error ? Promise.reject(v) : Promise.resolve(v));
  return { gpus: () => answer(gpus), units: () => answer(units), computeApps: async () => [], restartUnit: async () => {}, loadedModels: async () => [] };
}

const thresholds = { vramRatio: 0.9, temperatureC: 85 };
const running: WindowsUnitState = { kind: 'task', name: 'ManaSTT', state: 'Running', running: true };

describe('GPU box checks for the alerting', () => {
  it('healthy: no finding', async () => {
    expect(await checkGpuBox(host([reading()], [running]), [], thresholds)).toEqual([]);
  });

  it('VRAM, temperature and a stopped task, each with a stable key', async () => {
    const findings = await checkGpuBox(
      host([reading({ memoryUsedMiB: 23_000, temperatureC: 91 })], [running, { kind: 'task', name: 'ManaTTS', state: 'Ready', running: false, lastResult: 'last run exited with code 1' }]),
      [],
      thresholds,
    );
    expect(findings.map((f) => f.key)).toEqual(['gpu:vram:0', 'gpu:temp:0', 'gpu:unit:ManaTTS']);
    expect(findings[2]?.message).toBe('Scheduled Task ManaTTS is Ready (last run exited with code 1)');
  });

  it('the box unreachable is one finding, not one per part', async () => {
    const down = new OpsError('unreachable', 'the GPU box is unreachable at mana@gpu:22 (ECONNREFUSED)');
    expect(await checkGpuBox(host(down, down), [], thresholds)).toEqual([{ key: 'gpu:unreachable', severity: 'critical', message: 'GPU box unreachable: the GPU box is unreachable at mana@gpu:22 (ECONNREFUSED)' }]);
  });
});
