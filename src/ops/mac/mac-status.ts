import type { LocalTime } from '../../util/local-time';
import type { BackupFile, MacStatus } from '../ports';

/** The handbook's LaunchAgents, in the order /host lists them. */
export const MAC_AGENTS = ['com.cloudflare.cloudflared', 'com.mana.colima', 'com.mana.docker-startup', 'com.mana.health-check'] as const;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The wrapper's `## name` sections. */
export function sections(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const head = /^## (.+)$/.exec(line);
    if (head) out.set(head[1] as string, (current = []));
    else if (current && line.trim() !== '') current.push(line);
  }
  return out;
}

/** `ps -o lstart=` ("Tue Dec  1 10:00:00 2026"), on the Mac's clock, which is the estate's. */
function lstart(text: string | undefined, time: LocalTime): number | undefined {
  const m = /^\w{3}\s+(\w{3})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})$/.exec(text?.trim() ?? '');
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1] as string) + 1;
  if (month === 0) return undefined;
  return time.instant(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
}

/** `colima list`: the default profile's row. */
function colima(lines: string[]): MacStatus['colima'] {
  const header = lines.findIndex((l) => /^PROFILE\s+STATUS/.test(l));
  if (header < 0) return undefined;
  const cols = (lines[header] as string).trim().split(/\s+/);
  const row = lines.slice(header + 1).map((l) => l.trim().split(/\s+/)).find((r) => r[0] === 'default') ?? lines[header + 1]?.trim().split(/\s+/);
  if (!row) return undefined;
  const at = (name: string) => row[cols.indexOf(name)];
  const cpus = Number(at('CPUS'));
  return { status: at('STATUS') ?? '?', ...(Number.isFinite(cpus) && { cpus }), ...(at('MEMORY') && { memory: at('MEMORY') as string }) };
}

/** `launchctl list` rows: PID (or -), last exit status, label. */
function agents(lines: string[]): MacStatus['agents'] {
  const rows = new Map(lines.map((l) => l.split('\t')).filter((r) => r.length === 3).map((r) => [r[2] as string, r]));
  return MAC_AGENTS.map((label) => {
    const r = rows.get(label);
    if (!r) return { label, loaded: false };
    const pid = Number(r[0]);
    const lastExit = Number(r[1]);
    return { label, loaded: true, ...(Number.isInteger(pid) && pid > 0 && { pid }), ...(Number.isInteger(lastExit) && { lastExit }) };
  });
}

/** BSD `df -k` with the inode columns: 1024-blocks, used, available, capacity. */
function ssd(lines: string[]): MacStatus['ssd'] {
  const line = lines[0]?.trim();
  if (!line) return undefined;
  if (line === 'not mounted') return { mounted: false };
  const f = line.split(/\s+/);
  const [total, used, free] = [Number(f[1]), Number(f[2]), Number(f[3])];
  if (![total, used, free].every(Number.isFinite) || total <= 0) return undefined;
  return { mounted: true, totalBytes: total * 1024, freeBytes: free * 1024, usedPercent: Math.round((used / total) * 100) };
}

export function backupLines(lines: string[]): { files: BackupFile[]; missing?: string } {
  if (lines[0]?.startsWith('no folder ')) return { files: [], missing: lines[0].slice('no folder '.length) };
  const files: BackupFile[] = [];
  for (const l of lines) {
    const m = /^(\d+) (\d+) (.+)$/.exec(l);
    if (m) files.push({ at: Number(m[1]) * 1000, bytes: Number(m[2]), name: m[3] as string });
  }
  return { files: files.sort((a, b) => b.at - a.at) };
}

/** macOS `uptime`: "… up 12 days,  3:04, 2 users, load averages: 1.52 1.60 1.71" (GNU's commas accepted too). */
function uptime(line: string | undefined): MacStatus['uptime'] {
  if (!line) return undefined;
  const up = /up\s+(.+?),\s+\d+\s+users?/.exec(line)?.[1];
  const load = /load averages?:\s+([\d.]+),?\s+([\d.]+),?\s+([\d.]+)/.exec(line);
  if (!up || !load) return undefined;
  return { text: up.replace(/\s+/g, ' '), load: [Number(load[1]), Number(load[2]), Number(load[3])] };
}

/** The wrapper's `status` answer as the Mac's state. */
export function parseMacStatus(text: string, time: LocalTime): MacStatus {
  const s = sections(text);
  const pid = Number(s.get('pgrep')?.[0]);
  const since = lstart(s.get('since')?.[0], time);
  const backups = backupLines(s.get('backups') ?? []);
  return {
    cloudflared: Number.isInteger(pid) && pid > 0 ? { pid, ...(since !== undefined && { since }) } : undefined,
    colima: colima(s.get('colima') ?? []),
    agents: agents(s.get('launchctl') ?? []),
    ssd: ssd(s.get('ssd') ?? []),
    backups: backups.files,
    ...(backups.missing && { backupsMissing: backups.missing }),
    uptime: uptime(s.get('uptime')?.[0]),
  };
}
