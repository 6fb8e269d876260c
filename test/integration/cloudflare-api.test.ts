import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTunnels } from '../../src/alerts/tunnel-checks';
import { estateSchema } from '../../src/config/schema';
import { CloudflareApi } from '../../src/ops/cloudflare/cloudflare-api';
import { ACCOUNT, CloudflareEmulator, GPU_TUNNEL, MAC_TUNNEL, ZONE } from '../support/cloudflare-emulator';

const cf = new CloudflareEmulator();
beforeAll(() => cf.start());
afterAll(() => cf.stop());
const api = (extra: Partial<ConstructorParameters<typeof CloudflareApi>[0]> = {}) => new CloudflareApi({ token: cf.token, zoneId: ZONE, accountId: ACCOUNT, baseUrl: cf.baseUrl, ...extra });

describe('Cloudflare API client against the emulator', () => {
  it('reads every CNAME across pages', async () => {
    for (let i = 0; i < 130; i++) cf.addCname(`app-${i}.mana.how`, MAC_TUNNEL);
    const all = await api().cnames();
    expect(all.size).toBeGreaterThanOrEqual(130);
    expect(cf.calls.filter((c) => c.path.includes('dns_records?type=CNAME&per_page=100')).length).toBe(2);
    for (let i = 0; i < 130; i++) cf.records.delete(cf.cnameOf(`app-${i}.mana.how`)?.id ?? '');
  });

  it('asks whether the token may edit DNS with a change Cloudflare refuses: nothing changes either way', async () => {
    const r = cf.addCname('probe.mana.how', MAC_TUNNEL);
    const record = await api().findCname('probe.mana.how');
    const before = JSON.stringify(cf.records.get(r.id));
    expect(await api().mayEditDns('probe.mana.how', record)).toBe(true);
    expect(await api().mayEditDns('new.mana.how')).toBe(true);
    cf.permission = 'read';
    expect(await api().mayEditDns('probe.mana.how', record)).toBe(false);
    expect(await api().mayEditDns('new.mana.how')).toBe(false);
    cf.permission = 'edit';
    expect(JSON.stringify(cf.records.get(r.id))).toBe(before);
    expect(cf.cnameOf('new.mana.how')).toBeUndefined();
    cf.records.delete(r.id);
  });

  it('keeps within its request budget: waits for a slot when it is a matter of seconds, refuses otherwise', async () => {
    cf.tunnels.set(GPU_TUNNEL, { name: 'mana-gpu-server', status: 'healthy' });
    // Cloudflare refuses a third request within 450 ms; the bot's budget of 2 per 500 ms holds the third back.
    cf.limit({ requests: 2, windowMs: 450 });
    const calls = cf.calls.length;
    const quick = api({ budget: { requests: 2, windowMs: 500 } });
    for (let i = 0; i < 3; i++) expect((await quick.tunnel(GPU_TUNNEL)).status).toBe('healthy');
    expect(cf.calls.length - calls).toBe(3);
    // Without the budget the same three are refused by Cloudflare (the check that the limit above bites).
    cf.limit({ requests: 2, windowMs: 60_000 });
    await expect((async () => { for (let i = 0; i < 3; i++) await api().tunnel(GPU_TUNNEL); })()).rejects.toMatchObject({ message: 'Cloudflare is rate-limiting the bot' });
    cf.limit(undefined);
    const strict = api({ budget: { requests: 1, windowMs: 60_000 } });
    await strict.tunnel(GPU_TUNNEL);
    await expect(strict.tunnel(GPU_TUNNEL)).rejects.toMatchObject({ code: 'timeout', message: 'the bot has used its Cloudflare API budget (1 requests in 1 min)' });
  });

  it('honours a short retry-after once, and says so when Cloudflare keeps refusing', async () => {
    // Cloudflare refuses again anything sent before the retry-after is over: a retry that did not wait would fail.
    cf.throttle(1, 1);
    const calls = cf.calls.length;
    expect((await api().tunnel(GPU_TUNNEL)).status).toBe('healthy');
    expect(cf.calls.length - calls).toBe(2);
    cf.throttle(1, 300);
    await expect(api().tunnel(GPU_TUNNEL)).rejects.toMatchObject({ message: 'Cloudflare is rate-limiting the bot', hint: 'try again in 300 s' });
    cf.unthrottle();
  });

  it('a record that vanished between read and write is "not found"', async () => {
    const ghost = { id: 'ffffffffffffffffffffffffffffffff', name: 'gone.mana.how', type: 'CNAME', content: 'x', proxied: true };
    await expect(api().upsertCname('gone.mana.how', `${GPU_TUNNEL}.cfargotunnel.com`, ghost)).rejects.toMatchObject({ code: 'not_found', message: 'the DNS record does not exist (any more)' });
  });

  it('checks for the alerting: wrong tunnel, no record, a tunnel down', async () => {
    cf.tunnels.set(MAC_TUNNEL, { name: 'mana-server', status: 'down' });
    cf.addCname('gpu-llm.mana.how', MAC_TUNNEL);
    const estate = estateSchema.parse({
      version: 1,
      docker_hosts: [{ name: 'mac-mini', endpoint: 'unix:///x.sock' }],
      tunnels: [
        { name: 'mana-server', uuid: MAC_TUNNEL, runs_on: 'mac-mini', hostnames: ['todo.mana.how'] },
        { name: 'mana-gpu-server', uuid: GPU_TUNNEL, runs_on: 'mac-mini', hostnames: ['gpu-llm.mana.how'] },
      ],
      services: [{ name: 'x', container: 'x', category: 'web' }],
      users: [{ id: 1, name: 'a', role: 'admin' }],
    });
    const findings = await checkTunnels(api(), estate.tunnels);
    expect(findings.map((f) => f.key)).toEqual(['tunnel:mana-server', 'dns:todo.mana.how', 'dns:gpu-llm.mana.how']);
    expect(findings[2]?.message).toBe('gpu-llm.mana.how points at mana-server, expected mana-gpu-server: /tunnel check gpu-llm.mana.how');
    expect(findings[1]?.message).toContain('todo.mana.how has no DNS record');
  });
});
