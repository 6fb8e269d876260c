import { readFileSync } from 'node:fs';

/** A process's resident set size in MiB, as the kernel reports it (VmRSS in /proc/<pid>/status). */
export function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}
