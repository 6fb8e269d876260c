import { targetOf } from '../estate/tunnel-routes';
import type { Tunnel } from '../config/catalog';
import type { TunnelApi } from '../ops/ports';

export interface TunnelFinding {
  /** Stable for deduplication: tunnel:<name>, dns:<hostname> */
  key: string;
  severity: 'warning' | 'critical';
  message: string;
}

/** For the alerting: a hostname routed to the wrong tunnel (or to none), a tunnel degraded or down. */
export async function checkTunnels(api: TunnelApi, tunnels: readonly Tunnel[]): Promise<TunnelFinding[]> {
  const findings: TunnelFinding[] = [];
  const [records, infos] = await Promise.all([api.cnames(), Promise.all(tunnels.map((t) => api.tunnel(t.uuid).then((i) => [t, i] as const)))]);
  for (const [t, info] of infos) {
    if (info.status === 'down' || info.status === 'inactive') findings.push({ key: `tunnel:${t.name}`, severity: 'critical', message: `tunnel ${t.name} is ${info.status}: none of its ${t.hostnames.length} hostnames can be served` });
    else if (info.status === 'degraded') findings.push({ key: `tunnel:${t.name}`, severity: 'warning', message: `tunnel ${t.name} is degraded` });
  }
  for (const t of tunnels) {
    for (const name of t.hostnames) {
      const at = targetOf(records.get(name.toLowerCase()), tunnels);
      if (at.uuid !== t.uuid.toLowerCase()) {
        findings.push({ key: `dns:${name}`, severity: 'critical', message: `${name} ${at.uuid || at.text !== 'no DNS record' ? `points at ${at.text}` : 'has no DNS record'}, expected ${t.name}: /tunnel check ${name}` });
      }
    }
  }
  return findings;
}
