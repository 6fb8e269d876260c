import { OpsError, type GpuProcess, type GpuReading } from '../ports';

export const GPU_QUERY_FIELDS = [
  'index',
  'name',
  'driver_version',
  'pstate',
  'temperature.gpu',
  'fan.speed',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'power.draw',
  'power.limit',
] as const;

export const GPU_QUERY = `nvidia-smi --query-gpu=${GPU_QUERY_FIELDS.join(',')} --format=csv,noheader,nounits`;
export const APPS_QUERY = 'nvidia-smi --query-compute-apps=pid,process_name,used_memory --format=csv,noheader,nounits';

/** A number, or null for what the card does not report ([N/A], [Not Supported], [Unknown Error]). */
function num(field: string | undefined): number | null {
  const v = field?.trim();
  if (!v || v.startsWith('[')) return null;
  const n = Number(v.replace(/\s*(MiB|W|%|C)$/, ''));
  return Number.isFinite(n) ? n : null;
}

function rows(csv: string): string[][] {
  return csv
    .replace(/\r/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => l.split(',').map((f) => f.trim()));
}

export function parseGpus(csv: string): GpuReading[] {
  return rows(csv).map((f) => {
    if (f.length < GPU_QUERY_FIELDS.length) throw new OpsError('failed', `nvidia-smi answered in an unexpected shape: ${f.join(', ').slice(0, 120)}`);
    return {
      index: num(f[0]) ?? 0,
      name: f[1] ?? '?',
      ...(f[2] && !f[2].startsWith('[') && { driver: f[2] }),
      ...(f[3] && !f[3].startsWith('[') && { pstate: f[3] }),
      temperatureC: num(f[4]),
      fanPercent: num(f[5]),
      utilizationPercent: num(f[6]),
      memoryUsedMiB: num(f[7]),
      memoryTotalMiB: num(f[8]),
      powerDrawW: num(f[9]),
      powerLimitW: num(f[10]),
    };
  });
}

export function parseComputeApps(csv: string): GpuProcess[] {
  return rows(csv).map((f) => ({
    pid: num(f[0]) ?? 0,
    // Windows paths may contain commas only in theory; the process name is everything between pid and memory.
    name: f.slice(1, -1).join(',') || '?',
    usedMemoryMiB: num(f.at(-1)),
  }));
}

const EXIT_CODES: Record<number, string> = {
  2: 'nvidia-smi was called with an invalid argument or field',
  3: 'the requested operation is not available on this GPU',
  4: 'nvidia-smi lacks the permission it needs',
  6: 'the query was unsuccessful',
  8: 'the GPU is missing its external power cables',
  9: 'the NVIDIA driver is not loaded',
  10: 'the NVIDIA kernel detected an interrupt problem with the GPU',
  12: 'the NVML library could not be found',
  14: "the GPU's infoROM is corrupted",
  15: 'the GPU has fallen off the bus (it needs a reboot, or a reseat)',
};

/** nvidia-smi's failures as sentences the admin can act on. */
export function nvidiaSmiFailure(code: number | null, output: string): OpsError {
  const text = output.trim();
  if (/Driver\/library version mismatch/i.test(text)) {
    return new OpsError('failed', 'nvidia-smi cannot talk to the driver: driver/library version mismatch', 'a driver update is half applied: reboot the GPU box');
  }
  if (/Failed to initialize NVML/i.test(text)) return new OpsError('failed', `nvidia-smi: ${text.split('\n')[0]}`, 'reboot the GPU box, or reinstall the NVIDIA driver');
  if (/not recognized as an internal or external command|is not recognized as the name of a cmdlet/i.test(text)) {
    return new OpsError('failed', 'nvidia-smi is not on the PATH of the GPU box', 'install the NVIDIA driver, or add C:\\Windows\\System32 to the PATH');
  }
  const known = code !== null ? EXIT_CODES[code] : undefined;
  return new OpsError('failed', known ? `nvidia-smi: ${known} (exit ${code})` : `nvidia-smi failed (exit ${code ?? '?'}): ${text.slice(0, 200)}`);
}
