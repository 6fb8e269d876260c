import type { Tunnel } from '../config/catalog';
import type { MacHost, StateStore, TunnelApi } from '../ops/ports';
import { RestartLocks } from './restart-locks';

export interface ConnectorRestart {
  ok: boolean;
  /** What was seen on each end, one line each. */
  lines: string[];
  ms: number;
}

const LOCK = 'mac:cloudflared';

/**
 * Restarts the mana-server tunnel's connector (the cloudflared LaunchAgent on the Mac) and verifies it from both
 * ends: a cloudflared process is back on the Mac, and Cloudflare sees the tunnel connected again. One at a time.
 */
export async function restartConnector(o: {
  mac: MacHost;
  tunnels: TunnelApi | undefined;
  tunnel: Tunnel | undefined;
  store: StateStore;
  by: string;
  now: () => number;
  signal: AbortSignal;
  /** How long each end may take to come back. */
  withinMs?: number;
  pollMs?: number;
}): Promise<ConnectorRestart> {
  const started = o.now();
  const within = o.withinMs ?? 30_000;
  const poll = o.pollMs ?? 1_000;
  const locks = new RestartLocks(o.store);
  const lock = await locks.acquire(LOCK, { by: o.by, at: started }, within * 2 + 30_000);
  if (!lock.ok) return { ok: false, lines: [`a restart of cloudflared by ${lock.held.by ?? 'someone'} is under way`], ms: 0 };
  try {
    const before = (await o.mac.status().catch(() => undefined))?.cloudflared?.pid;
    await o.mac.restartCloudflared();
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const lines: string[] = [];
    // The Mac's end: a cloudflared process that is not the one before.
    let pid: number | undefined;
    for (const until = o.now() + within; o.now() < until && !o.signal.aborted; await wait(poll)) {
      pid = (await o.mac.status().catch(() => undefined))?.cloudflared?.pid;
      if (pid !== undefined && pid !== before) break;
    }
    const macOk = pid !== undefined && pid !== before;
    lines.push(macOk ? `cloudflared runs again on the Mac (pid ${pid}${before ? `, was ${before}` : ''})` : pid === before && pid !== undefined ? `cloudflared still has the old pid ${pid}: launchctl did not restart it` : 'no cloudflared process on the Mac after the restart');
    // Cloudflare's end: the tunnel connected.
    let cfOk = false;
    if (!o.tunnels || !o.tunnel) lines.push('Cloudflare not asked (no API token or no mana-server tunnel in the estate file)');
    else if (macOk) {
      let last = '';
      for (const until = o.now() + within; o.now() < until && !o.signal.aborted; await wait(poll)) {
        const info = await o.tunnels.tunnel(o.tunnel.uuid).catch((e: Error) => e);
        if (info instanceof Error) last = info.message;
        else {
          last = `${info.status}, ${info.connections} connections`;
          if (info.status === 'healthy' && info.connections > 0) {
            cfOk = true;
            break;
          }
        }
      }
      lines.push(cfOk ? `Cloudflare sees ${o.tunnel.name} connected (${last})` : `Cloudflare does not see ${o.tunnel.name} connected yet (${last || 'no answer'})`);
    }
    return { ok: macOk && (cfOk || !o.tunnels || !o.tunnel), lines, ms: o.now() - started };
  } finally {
    await locks.release(LOCK).catch(() => undefined);
  }
}
