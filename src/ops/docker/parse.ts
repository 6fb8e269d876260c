import type { ContainerHealth, ContainerStats, DockerDiskUsage } from '../ports';

/** Health and exit code from the list's status text ("Up 2 hours (healthy)", "Exited (137) 5 minutes ago"). */
export function parseStatusText(status: string): { health: ContainerHealth; exitCode?: number } {
  const health: ContainerHealth = /\(healthy\)/.test(status)
    ? 'healthy'
    : /\(unhealthy\)/.test(status)
      ? 'unhealthy'
      : /\(health: starting\)/.test(status)
        ? 'starting'
        : 'none';
  const exit = /^(?:Exited|Restarting) \((-?\d+)\)/.exec(status);
  return exit ? { health, exitCode: Number(exit[1]) } : { health };
}

interface RawStats {
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
}

const NO_LIMIT = 2 ** 60; // cgroup v1 reports "no limit" as a huge number

/**
 * Memory and CPU the way `docker stats` computes them: used = usage − cache (cgroup v1) or
 * usage − inactive_file (v2); CPU % = cpu delta / system delta × online CPUs × 100.
 */
export function computeStats(raw: RawStats, hasLimit: boolean): ContainerStats {
  const mem = raw.memory_stats ?? {};
  const inner = mem.stats ?? {};
  const cache = inner.inactive_file ?? inner.total_inactive_file ?? inner.cache ?? 0;
  const memoryUsed = Math.max(0, (mem.usage ?? 0) - cache);
  const limit = mem.limit;
  const out: ContainerStats = { memoryUsed };
  if (hasLimit && limit !== undefined && limit > 0 && limit < NO_LIMIT) out.memoryLimit = limit;
  const cpu = raw.cpu_stats;
  const pre = raw.precpu_stats;
  if (cpu?.cpu_usage?.total_usage !== undefined && pre?.cpu_usage?.total_usage !== undefined && pre.system_cpu_usage) {
    const cpuDelta = cpu.cpu_usage.total_usage - pre.cpu_usage.total_usage;
    const sysDelta = (cpu.system_cpu_usage ?? 0) - pre.system_cpu_usage;
    const cpus = cpu.online_cpus ?? cpu.cpu_usage.percpu_usage?.length ?? 1;
    out.cpuPercent = sysDelta > 0 && cpuDelta >= 0 ? (cpuDelta / sysDelta) * cpus * 100 : 0;
  }
  return out;
}

interface RawDf {
  LayersSize?: number;
  Images?: { Size?: number; SharedSize?: number; Containers?: number }[] | null;
  Containers?: { SizeRw?: number; SizeRootFs?: number; State?: string }[] | null;
  Volumes?: { UsageData?: { Size?: number; RefCount?: number } }[] | null;
  BuildCache?: { Size?: number; InUse?: boolean; Shared?: boolean }[] | null;
}

/** `docker system df` from GET /system/df: sizes and what a prune would reclaim. */
export function summariseDiskUsage(raw: RawDf): DockerDiskUsage {
  const images = raw.Images ?? [];
  const containers = raw.Containers ?? [];
  const volumes = raw.Volumes ?? [];
  const cache = raw.BuildCache ?? [];
  const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((n, x) => n + Math.max(0, f(x)), 0);
  return {
    images: {
      count: images.length,
      bytes: raw.LayersSize ?? sum(images, (i) => i.Size ?? 0),
      reclaimable: sum(images.filter((i) => (i.Containers ?? 0) === 0), (i) => (i.Size ?? 0) - (i.SharedSize ?? 0)),
    },
    containers: {
      count: containers.length,
      bytes: sum(containers, (c) => c.SizeRw ?? 0),
      reclaimable: sum(containers.filter((c) => c.State !== 'running'), (c) => c.SizeRw ?? 0),
    },
    volumes: {
      count: volumes.length,
      bytes: sum(volumes, (v) => v.UsageData?.Size ?? 0),
      reclaimable: sum(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0), (v) => v.UsageData?.Size ?? 0),
    },
    buildCache: {
      count: cache.length,
      bytes: sum(cache, (c) => c.Size ?? 0),
      reclaimable: sum(cache.filter((c) => !c.InUse && !c.Shared), (c) => c.Size ?? 0),
    },
  };
}
