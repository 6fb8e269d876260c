import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nvidiaSmiFailure, parseComputeApps, parseGpus } from '../../src/ops/gpu/nvidia-smi';
import { decodeEncodedCommand, encodedCommand, psIdentifier, readableError } from '../../src/ops/gpu/powershell';
import { describeTaskResult, parsePsDate, parseUnits, restartScript, unitsScript } from '../../src/ops/gpu/windows-gpu-host';

const fx = (path: string) => readFileSync(`test/fixtures/${path}`, 'utf8');

describe('nvidia-smi (real output)', () => {
  it('reads the GPU query, with [N/A] as null', () => {
    const [g] = parseGpus(fx('nvidia-smi/query-gpu-load-nounits.csv').replace(/, GPU-[0-9a-f-]+/, ''));
    expect(g).toMatchObject({ index: 0, name: 'NVIDIA H200', pstate: 'P0', temperatureC: 58, fanPercent: null, utilizationPercent: 100 });
  });

  it('reads several GPUs and every odd value', () => {
    const csv = '0, NVIDIA GeForce RTX 3090, 581.42, P2, 45, 30, 12, 11264, 24576, 110.5, 350.00\r\n1, NVIDIA GeForce RTX 3090, 581.42, P8, [Unknown Error], [Not Supported], [N/A], 0, 24576, [N/A], [N/A]\r\n';
    const gpus = parseGpus(csv);
    expect(gpus).toHaveLength(2);
    expect(gpus[0]).toMatchObject({ memoryUsedMiB: 11264, memoryTotalMiB: 24576, powerDrawW: 110.5, fanPercent: 30 });
    expect(gpus[1]).toMatchObject({ index: 1, temperatureC: null, fanPercent: null, utilizationPercent: null, powerDrawW: null });
  });

  it('reads compute apps, with WDDM [N/A] memory as unknown', () => {
    expect(parseComputeApps(fx('nvidia-smi/apps-load.csv'))).toEqual([{ pid: 422, name: 'python3', usedMemoryMiB: 20204 }]);
    expect(parseComputeApps(fx('nvidia-smi/apps-idle.csv'))).toEqual([]);
    expect(parseComputeApps('8812, C:\\Program Files\\Ollama\\ollama.exe, [N/A]\r\n')).toEqual([{ pid: 8812, name: 'C:\\Program Files\\Ollama\\ollama.exe', usedMemoryMiB: null }]);
  });

  it('turns failures into sentences', () => {
    expect(nvidiaSmiFailure(18, 'Failed to initialize NVML: Driver/library version mismatch').message).toContain('driver/library version mismatch');
    expect(nvidiaSmiFailure(18, 'Failed to initialize NVML: Driver/library version mismatch').hint).toContain('reboot the GPU box');
    expect(nvidiaSmiFailure(9, '').message).toBe('nvidia-smi: the NVIDIA driver is not loaded (exit 9)');
    expect(nvidiaSmiFailure(15, '').message).toContain('fallen off the bus');
    expect(nvidiaSmiFailure(2, fx('nvidia-smi/bad-field.txt')).message).toContain('invalid argument');
    expect(nvidiaSmiFailure(9009, fx('windows/stderr-cmd-not-recognized.txt').replace('ManaXYZ', 'nvidia-smi')).message).toBe('nvidia-smi is not on the PATH of the GPU box');
  });
});

describe('PowerShell', () => {
  it('encodes as UTF-16LE base64 and never lets a chat word through', () => {
    const line = encodedCommand("Get-Service -Name 'Cloudflared'");
    expect(line).toMatch(/^powershell -NoProfile -NonInteractive -EncodedCommand [A-Za-z0-9+/=]+$/);
    expect(decodeEncodedCommand(line)).toBe("$ProgressPreference='SilentlyContinue'\n$ErrorActionPreference='Stop'\nGet-Service -Name 'Cloudflared'");
    for (const evil of ["x'; Remove-Item C:\\ -Recurse; '", 'a b', '$(calc)', '', 'a'.repeat(65)]) {
      expect(() => psIdentifier(evil)).toThrow(/not a safe Windows identifier/);
    }
    expect(() => encodedCommand('x'.repeat(5_000))).toThrow(/exceeds cmd.exe/);
  });

  it('reads CLIXML errors as a sentence', () => {
    expect(readableError(fx('windows/stderr-get-scheduledtask-not-found.encodedcommand.clixml'))).toBe(
      "Get-ScheduledTask : No MSFT_ScheduledTask objects found with property 'TaskName' equal to 'ManaXYZ'. Verify the value of the property and retry.",
    );
    expect(readableError(fx('windows/stderr-get-service-not-found.command.txt'))).toMatch(/^Get-Service : Cannot find any service with service name 'ManaXYZ'\./);
  });

  it('builds the unit and restart scripts from validated names only', () => {
    const script = unitsScript([{ kind: 'task', name: 'ManaSTT' }, { kind: 'service', name: 'Cloudflared' }]);
    expect(script).toContain("@{k='task';n='ManaSTT'},@{k='service';n='Cloudflared'}");
    expect(restartScript({ kind: 'task', name: 'ManaTTS' })).toBe("Stop-ScheduledTask -TaskName 'ManaTTS'\nStart-ScheduledTask -TaskName 'ManaTTS'\n'ok'");
    expect(restartScript({ kind: 'service', name: 'Cloudflared' })).toBe("Restart-Service -Name 'Cloudflared' -Force\n'ok'");
    expect(() => unitsScript([{ kind: 'task', name: "ManaSTT'; shutdown /s; '" }])).toThrow();
  });
});

describe('Windows answers (PowerShell 5.1 shapes)', () => {
  it('reads task and service states, result codes and the never-run sentinel', () => {
    const info = JSON.parse(fx('windows/get-scheduledtaskinfo-ManaSTT-running.json')) as { LastRunTime: string; LastTaskResult: number };
    const never = JSON.parse(fx('windows/get-scheduledtaskinfo-ManaImageGen-never-run.json')) as { LastRunTime: string; LastTaskResult: number };
    const svc = JSON.parse(fx('windows/get-service-Cloudflared-stopped.json')) as { Status: number };
    const json = JSON.stringify([
      { Kind: 'task', Name: 'ManaSTT', State: 4, ...info },
      { Kind: 'task', Name: 'ManaImageGen', State: 1, ...never },
      { Kind: 'service', Name: 'Cloudflared', Status: svc.Status },
      { Kind: 'task', Name: 'ManaXYZ', Error: "No MSFT_ScheduledTask objects found with property 'TaskName' equal to 'ManaXYZ'." },
    ]);
    const [stt, img, cf, missing] = parseUnits(json);
    expect(stt).toMatchObject({ state: 'Running', running: true, lastResult: 'running', lastRunTime: new Date(1795763671000) });
    expect(img).toMatchObject({ state: 'Disabled', running: false, lastResult: 'has not run yet' });
    expect(img?.lastRunTime).toBeUndefined();
    expect(cf).toMatchObject({ kind: 'service', state: 'Stopped', running: false });
    expect(missing?.error).toContain('No MSFT_ScheduledTask objects found');
    expect(parseUnits(JSON.stringify({ Kind: 'service', Name: 'Cloudflared', Status: 4 }))).toHaveLength(1);
  });

  it('describes task results', () => {
    expect(describeTaskResult(JSON.parse(fx('windows/get-scheduledtaskinfo-ManaTTS-last-exit-1.json')).LastTaskResult)).toBe('last run exited with code 1');
    expect(describeTaskResult(JSON.parse(fx('windows/get-scheduledtaskinfo-ManaLLM-file-not-found.json')).LastTaskResult)).toBe('its program was not found (0x80070002)');
    expect(describeTaskResult(0x80004005)).toBe('failed with 0x80004005');
    expect(parsePsDate('/Date(943916400000)/')).toBeUndefined();
  });
});
