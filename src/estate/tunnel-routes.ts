import type { Tunnel } from '../config/catalog';
import type { DnsRecord } from '../ops/ports';

export const CFARGO = '.cfargotunnel.com';

/** What a CNAME points at: a tunnel of the estate, an unknown tunnel UUID, or something else entirely. */
export function targetOf(record: DnsRecord | undefined, tunnels: readonly Tunnel[]): { uuid?: string; tunnel?: Tunnel; text: string } {
  if (!record) return { text: 'no DNS record' };
  const content = record.content.toLowerCase();
  if (!content.endsWith(CFARGO)) return { text: record.content };
  const uuid = content.slice(0, -CFARGO.length);
  const tunnel = tunnels.find((t) => t.uuid.toLowerCase() === uuid);
  return { uuid, ...(tunnel && { tunnel }), text: tunnel ? tunnel.name : `unknown tunnel ${uuid.slice(0, 8)}…` };
}
