import type { GpuHost, WindowsUnitKind } from '../ops/ports';
import { OpsError } from '../ops/ports';

export interface GpuThresholds {
  /** Share of VRAM in use (0..1) above which it is a finding. */
  vramRatio: number;
  temperatureC: number;
}

export interface GpuFinding {
  /** A stable key for deduplication: gpu:unreachable, gpu:unit:ManaSTT, gpu:vram:0, gpu:temp:0 */
  key: string;
  severity: 'warning' | 'critical';
  message: string;
}

/**
 * The GPU box's health as findings for the alerting: the box unreachable, a task or service not running,
 * VRAM or temperature above its threshold. No finding means healthy.
 */
export async function checkGpuBox(
  gpu: GpuHost,
  units: { kind: WindowsUnitKind; name: string }[],
  thresholds: GpuThresholds,
): Promise<GpuFinding[]> {
  const findings: GpuFinding[] = [];
  const [readings, states] = await Promise.allSettled([gpu.gpus(), gpu.units(units)]);
  const unreachable = [readings, states].find(
    (r): r is PromiseRejectedResult => r.status === 'rejected' && r.reason instanceof OpsError && (r.reason.code === 'unreachable' || r.reason.code === 'timeout'),
  );
  if (unreachable) {
    return [{ key: 'gpu:unreachable', severity: 'critical', message: `GPU box unreachable: ${(unreachable.reason as OpsError).message}` }];
  }
  if (readings.status === 'rejected') {
    findings.push({ key: 'gpu:nvidia-smi', severity: 'critical', message: (readings.reason as Error).message });
  } else {
    for (const g of readings.value) {
      if (g.memoryUsedMiB !== null && g.memoryTotalMiB && g.memoryUsedMiB / g.memoryTotalMiB > thresholds.vramRatio) {
        findings.push({
          key: `gpu:vram:${g.index}`,
          severity: 'warning',
          message: `GPU ${g.index} VRAM at ${Math.round((g.memoryUsedMiB / g.memoryTotalMiB) * 100)}% (${g.memoryUsedMiB} of ${g.memoryTotalMiB} MiB)`,
        });
      }
      if (g.temperatureC !== null && g.temperatureC > thresholds.temperatureC) {
        findings.push({ key: `gpu:temp:${g.index}`, severity: 'critical', message: `GPU ${g.index} at ${g.temperatureC} °C (limit ${thresholds.temperatureC} °C)` });
      }
    }
  }
  if (states.status === 'rejected') {
    findings.push({ key: 'gpu:units', severity: 'warning', message: `cannot read the AI services' state: ${(states.reason as Error).message}` });
  } else {
    for (const u of states.value) {
      if (!u.running) {
        const what = u.kind === 'task' ? 'Scheduled Task' : 'Windows Service';
        findings.push({ key: `gpu:unit:${u.name}`, severity: 'critical', message: `${what} ${u.name} is ${u.error ? `unreadable: ${u.error}` : u.state}${u.lastResult ? ` (${u.lastResult})` : ''}` });
      }
    }
  }
  return findings;
}
