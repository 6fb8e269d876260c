import {
  OpsError,
  type GpuHost,
  type GpuProcess,
  type GpuReading,
  type LoadedModel,
  type RemoteShell,
  type ShellResult,
  type WindowsUnitKind,
  type WindowsUnitState,
} from '../ports';
import { APPS_QUERY, GPU_QUERY, nvidiaSmiFailure, parseComputeApps, parseGpus } from './nvidia-smi';
import { encodedCommand, psIdentifier, readableError } from './powershell';

const TASK_STATES = ['Unknown', 'Disabled', 'Queued', 'Ready', 'Running'];
const SERVICE_STATES = ['?', 'Stopped', 'StartPending', 'StopPending', 'Running', 'ContinuePending', 'PausePending', 'Paused'];

/** Task Scheduler's result codes (decimal as PowerShell prints them), or the program's own exit code. */
export function describeTaskResult(code: number): string {
  switch (code) {
    case 0:
      return 'last run succeeded';
    case 267008:
      return 'ready';
    case 267009:
      return 'running';
    case 267010:
      return 'disabled';
    case 267011:
      return 'has not run yet';
    case 267014:
      return 'terminated by a user';
    case 2147942402:
      return 'its program was not found (0x80070002)';
    case 2147946720:
      return 'refused by an operator or administrator (0x800710E0)';
    default:
      return code > 0x7fffffff ? `failed with 0x${code.toString(16).toUpperCase()}` : `last run exited with code ${code}`;
  }
}

/** PowerShell 5.1 writes DateTime as "/Date(ms)/"; the 1999-11-30 sentinel means "never". */
export function parsePsDate(value: unknown): Date | undefined {
  const m = typeof value === 'string' ? /^\/Date\((-?\d+)\)\/$/.exec(value) : null;
  if (!m) return undefined;
  const d = new Date(Number(m[1]));
  return d.getUTCFullYear() < 2000 ? undefined : d;
}

interface RawUnit {
  Kind?: string;
  Name?: string;
  State?: number;
  Status?: number;
  LastRunTime?: string | null;
  LastTaskResult?: number;
  Error?: string;
}

export function unitsScript(units: { kind: WindowsUnitKind; name: string }[]): string {
  const list = units.map((u) => `@{k='${u.kind}';n=${psIdentifier(u.name)}}`).join(',');
  return [
    '$out = @()',
    `foreach ($u in @(${list})) {`,
    '  try {',
    "    if ($u.k -eq 'task') {",
    '      $t = Get-ScheduledTask -TaskName $u.n',
    '      $i = Get-ScheduledTaskInfo -TaskName $u.n',
    "      $out += [pscustomobject]@{ Kind='task'; Name=$u.n; State=[int]$t.State; LastRunTime=$i.LastRunTime; LastTaskResult=$i.LastTaskResult }",
    '    } else {',
    '      $s = Get-Service -Name $u.n',
    "      $out += [pscustomobject]@{ Kind='service'; Name=$u.n; Status=[int]$s.Status }",
    '    }',
    '  } catch { $out += [pscustomobject]@{ Kind=$u.k; Name=$u.n; Error=$_.Exception.Message } }',
    '}',
    'ConvertTo-Json -InputObject @($out) -Depth 3',
  ].join('\n');
}

export function restartScript(unit: { kind: WindowsUnitKind; name: string }): string {
  const id = psIdentifier(unit.name);
  return unit.kind === 'task'
    ? `Stop-ScheduledTask -TaskName ${id}\nStart-ScheduledTask -TaskName ${id}\n'ok'`
    : `Restart-Service -Name ${id} -Force\n'ok'`;
}

export function parseUnits(json: string): WindowsUnitState[] {
  const raw = JSON.parse(json) as RawUnit | RawUnit[];
  return (Array.isArray(raw) ? raw : [raw]).map((u): WindowsUnitState => {
    const kind: WindowsUnitKind = u.Kind === 'service' ? 'service' : 'task';
    const name = u.Name ?? '?';
    if (u.Error) return { kind, name, state: 'unknown', running: false, error: u.Error.trim() };
    if (kind === 'service') {
      const state = SERVICE_STATES[u.Status ?? 0] ?? String(u.Status);
      return { kind, name, state, running: u.Status === 4 };
    }
    const state = TASK_STATES[u.State ?? 0] ?? String(u.State);
    const lastRunTime = parsePsDate(u.LastRunTime);
    return {
      kind,
      name,
      state,
      running: u.State === 4,
      ...(lastRunTime && { lastRunTime }),
      ...(u.LastTaskResult !== undefined && { lastResult: describeTaskResult(u.LastTaskResult) }),
    };
  });
}

export interface WindowsGpuHostOptions {
  shell: RemoteShell;
  /** Ollama's base URL on the box, e.g. http://192.168.178.11:11434 */
  ollamaUrl?: string;
  timeoutMs?: number;
}

/** The GPU box as a Windows machine: nvidia-smi and PowerShell over SSH, Ollama over HTTP. */
export class WindowsGpuHost implements GpuHost {
  private readonly timeoutMs: number;

  constructor(private readonly options: WindowsGpuHostOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  private run(line: string, timeoutMs = this.timeoutMs): Promise<ShellResult> {
    return this.options.shell.exec(line, { timeoutMs });
  }

  private async powershell(script: string, timeoutMs?: number): Promise<string> {
    const res = await this.run(encodedCommand(script), timeoutMs);
    if (res.code !== 0) {
      throw new OpsError('failed', `the GPU box said: ${readableError(res.stderr || res.stdout)}`, undefined);
    }
    return res.stdout;
  }

  async gpus(): Promise<GpuReading[]> {
    const res = await this.run(GPU_QUERY);
    if (res.code !== 0) throw nvidiaSmiFailure(res.code, `${res.stdout}\n${res.stderr}`);
    return parseGpus(res.stdout);
  }

  async computeApps(): Promise<GpuProcess[]> {
    const res = await this.run(APPS_QUERY);
    if (res.code !== 0) throw nvidiaSmiFailure(res.code, `${res.stdout}\n${res.stderr}`);
    return parseComputeApps(res.stdout);
  }

  async units(units: { kind: WindowsUnitKind; name: string }[]): Promise<WindowsUnitState[]> {
    if (units.length === 0) return [];
    const out = await this.powershell(unitsScript(units));
    try {
      return parseUnits(out);
    } catch {
      throw new OpsError('failed', `the GPU box answered something that is not JSON: ${out.slice(0, 120)}`);
    }
  }

  async restartUnit(unit: { kind: WindowsUnitKind; name: string }): Promise<void> {
    await this.powershell(restartScript(unit), 60_000);
  }

  async loadedModels(): Promise<LoadedModel[]> {
    if (!this.options.ollamaUrl) return [];
    let body: { models?: { name: string; size: number; size_vram: number; expires_at?: string }[] };
    try {
      const res = await fetch(`${this.options.ollamaUrl}/api/ps`, { signal: AbortSignal.timeout(this.timeoutMs) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      body = (await res.json()) as typeof body;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      throw new OpsError('unreachable', `Ollama did not answer at ${this.options.ollamaUrl} (${e.name === 'TimeoutError' ? 'timeout' : (e.cause?.code ?? e.message)})`, 'is the Ollama service running on the GPU box?');
    }
    return (body.models ?? []).map((m) => ({
      name: m.name,
      sizeBytes: m.size,
      vramBytes: m.size_vram,
      ...(m.expires_at && { expiresAt: new Date(m.expires_at) }),
    }));
  }
}
