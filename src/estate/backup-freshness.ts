import type { BackupFile, MacStatus } from '../ops/ports';
import { formatBytes } from '../util/bytes';
import { formatDuration } from '../util/duration';

export interface BackupPolicy {
  /** The newest dump may be this old (ms): the handbook's 03:00 run, plus slack. */
  max_age: number;
  /** The newest may not be smaller than this share of the one before (a dump cut short). */
  min_ratio: number;
}

export interface BackupVerdict {
  ok: boolean;
  /** What is wrong, one sentence each (empty when ok). */
  problems: string[];
  /** "newest postgres_20261201.sql.gz, 6h old, 1.2 GiB" for /host. */
  summary: string;
}

/**
 * The one judgement of the nightly PostgreSQL backup: the SSD mounted, a newest dump younger than max_age, and not
 * much smaller than the one before. The monitor's check and /host both ask it.
 */
export function judgeBackups(files: readonly BackupFile[], ssd: MacStatus['ssd'], missing: string | undefined, now: number, policy: BackupPolicy): BackupVerdict {
  if (ssd && !ssd.mounted) return { ok: false, problems: ['the external SSD (/Volumes/ManaData) is not mounted: no backups can be written'], summary: 'SSD not mounted' };
  if (missing) return { ok: false, problems: [`the backups folder ${missing} does not exist`], summary: `no folder ${missing}` };
  const [newest, before] = files;
  if (!newest) return { ok: false, problems: ['the backups folder holds no dump'], summary: 'no dump' };
  const age = now - newest.at;
  // Said to the minute: seconds of a dump's age are noise.
  const shown = formatDuration(Math.max(60_000, Math.floor(age / 60_000) * 60_000));
  const problems: string[] = [];
  if (age > policy.max_age) problems.push(`the newest dump (${newest.name}) is ${shown} old, more than ${formatDuration(policy.max_age)}`);
  if (before && newest.bytes < before.bytes * policy.min_ratio) {
    problems.push(`the newest dump (${newest.name}, ${formatBytes(newest.bytes)}) is less than ${Math.round(policy.min_ratio * 100)} % of the one before (${formatBytes(before.bytes)})`);
  }
  return { ok: problems.length === 0, problems, summary: `newest ${newest.name}, ${shown} old, ${formatBytes(newest.bytes)}` };
}
