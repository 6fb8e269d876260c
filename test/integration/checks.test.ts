import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChecks, SweepContext } from '../../src/alerts/checks';
import { Catalog } from '../../src/config/catalog';
import { estateSchema } from '../../src/config/schema';
import { NetProber } from '../../src/ops/probes/net-prober';
import { StatfsDiskProbe } from '../../src/ops/probes/disk-probe';
import { freePort, RedisServer } from '../support/redis';

const redis = new RedisServer();
let pgPort = 0;
let deafPort = 0;
const servers: ReturnType<typeof createServer>[] = [];

beforeAll(async () => {
  await redis.start();
  // A stand-in that answers an SSLRequest the way PostgreSQL does without TLS: one byte, N.
  const pg = createServer((s) => s.once('data', (b: Buffer) => s.end(b.readUInt32BE(4) === 80877103 ? 'N' : 'E')));
  // A port that accepts and never says a word.
  const deaf = createServer(() => undefined);
  pgPort = await freePort();
  deafPort = await freePort();
  pg.listen(pgPort, '127.0.0.1');
  deaf.listen(deafPort, '127.0.0.1');
  await Promise.all([once(pg, 'listening'), once(deaf, 'listening')]);
  servers.push(pg, deaf);
});
afterAll(async () => {
  servers.forEach((s) => s.close());
  await redis.dispose();
});

function checksFor(services: unknown[], disks: unknown[] = []) {
  const catalog = new Catalog(estateSchema.parse({ version: 1, docker_hosts: [{ name: 'mac-mini', endpoint: 'unix:///x.sock' }], services, disks, users: [{ id: 1, name: 'a', role: 'admin' }] }));
  const deps = { catalog, prober: new NetProber(), disk: new StatfsDiskProbe(), docker: () => undefined, gpu: undefined, tunnels: undefined };
  return { checks: buildChecks(deps), sweep: new SweepContext(deps) };
}

describe('checks against real endpoints', () => {
  it('redis: a real PING round trip; a deaf port is not Redis', async () => {
    const { checks, sweep } = checksFor([
      { name: 'redis', container: 'r', category: 'infra', checks: [{ type: 'redis', host: '127.0.0.1', port: redis.port }] },
      { name: 'fake-redis', container: 'f', category: 'infra', checks: [{ type: 'redis', host: '127.0.0.1', port: deafPort }] },
    ]);
    expect(await checks[0]?.run(sweep)).toEqual({ ok: true });
    expect(await checks[1]?.run(sweep)).toEqual({ ok: false, detail: 'no answer within 3000 ms' });
  });

  it('postgres: the SSLRequest round trip pg_isready makes; nothing listening is refused', async () => {
    const closed = await freePort();
    const { checks, sweep } = checksFor([
      { name: 'postgres', container: 'p', category: 'infra', checks: [{ type: 'postgres', host: '127.0.0.1', port: pgPort }] },
      { name: 'pg-down', container: 'q', category: 'infra', checks: [{ type: 'postgres', host: '127.0.0.1', port: closed }] },
    ]);
    expect(await checks[0]?.run(sweep)).toEqual({ ok: true });
    expect(await checks[1]?.run(sweep)).toEqual({ ok: false, detail: 'ECONNREFUSED' });
  });

  it('disk: thresholds of the estate file', async () => {
    const { checks, sweep } = checksFor([{ name: 'x', container: 'x', category: 'web' }], [{ path: '/', label: 'root' }]);
    const result = await checks.find((c) => c.id === 'disk:root')?.run(sweep);
    expect(result?.ok === true || /^\d+% full \((warning at 80|critical at 90)%\)$/.test(result?.detail ?? '')).toBe(true);
  });
});
