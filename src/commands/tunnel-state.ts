import type { Tunnel } from '../config/catalog';
import { OpsError, type DnsRecord, type ProbeResult, type TunnelApi, type TunnelInfo } from '../ops/ports';
import { targetOf } from '../estate/tunnel-routes';
import type { CommandEnv } from './types';

export interface HostnameState {
  hostname: string;
  expected: Tunnel;
  record?: DnsRecord;
  pointsAt: ReturnType<typeof targetOf>;
  probe: ProbeResult;
  problems: string[];
}

export function tunnelApi(env: CommandEnv): TunnelApi {
  if (!env.catalog.estate.cloudflare) throw new OpsError('invalid', 'no Cloudflare zone is configured', 'add cloudflare: { account_id, zone_id } to the estate file');
  if (!env.tunnels) throw new OpsError('invalid', 'the bot has no Cloudflare API token', 'set CLOUDFLARE_API_TOKEN (Zone:DNS:Edit, Account:Cloudflare Tunnel:Read)');
  return env.tunnels;
}

export function probeUrl(env: CommandEnv, hostname: string): string {
  return (env.catalog.estate.cloudflare?.probe_url ?? 'https://{hostname}/health').replace('{hostname}', hostname);
}

/** Every public hostname of the estate with its record, the tunnel health and its HTTP answer. */
export async function tunnelsState(env: CommandEnv): Promise<{ hosts: HostnameState[]; tunnels: Map<string, TunnelInfo | OpsError> }> {
  const api = tunnelApi(env);
  const estateTunnels = env.catalog.estate.tunnels;
  const [records, tunnelInfos] = await Promise.all([
    api.cnames(),
    Promise.all(estateTunnels.map(async (t) => [t.uuid, await api.tunnel(t.uuid).catch((e: unknown) => (e instanceof OpsError ? e : new OpsError('failed', String(e))))] as const)),
  ]);
  const tunnels = new Map<string, TunnelInfo | OpsError>(tunnelInfos);
  const hosts = await Promise.all(
    estateTunnels.flatMap((expected) =>
      expected.hostnames.map(async (name): Promise<HostnameState> => {
        const hostname = name.toLowerCase();
        const record = records.get(hostname);
        const pointsAt = targetOf(record, estateTunnels);
        const probe = await env.prober.http(probeUrl(env, hostname), { timeoutMs: 5_000 });
        const problems: string[] = [];
        if (!record) problems.push('no DNS record');
        else if (pointsAt.uuid !== expected.uuid.toLowerCase()) problems.push(`points at ${pointsAt.text}, expected ${expected.name}`);
        if (record && !record.proxied) problems.push('not proxied (orange cloud off)');
        const info = tunnels.get(expected.uuid);
        if (info instanceof OpsError) problems.push(`tunnel ${expected.name}: ${info.message}`);
        else if (info && info.status !== 'healthy') problems.push(`tunnel ${expected.name} is ${info.status}`);
        if (!probe.ok) problems.push(`HTTP: ${probe.error ?? 'failed'}`);
        return { hostname, expected, ...(record && { record }), pointsAt, probe, problems };
      }),
    ),
  );
  return { hosts, tunnels };
}
