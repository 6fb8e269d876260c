import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChecks } from '../../src/alerts/checks';
import { Monitor } from '../../src/alerts/monitor';
import { TelegramNotifier } from '../../src/bot/notifiers';
import { createTelegramLink, type TelegramLink } from '../../src/bot/telegram-link';
import { Catalog } from '../../src/config/catalog';
import { estateSchema } from '../../src/config/schema';
import { StatfsDiskProbe } from '../../src/ops/probes/disk-probe';
import { NetProber } from '../../src/ops/probes/net-prober';
import { MemoryStore } from '../../src/ops/state/memory-store';
import { ADMIN, OPS_GROUP, TEST_USERS } from '../support/estate';
import { silentLogger } from '../support/fakes';
import { TelegramEmulator } from '../support/telegram-emulator';

/**
 * One delivery lane per alert chat, in real time: a group whose calls hang (a stuck chat) holds up neither the
 * private chat's alert nor the checks; when it answers again it gets the alert once.
 */
const emu = new TelegramEmulator();
let web: Server;
let brokenStatus = 200;
const steadyHits: number[] = [];
let monitor: Monitor;
let link: TelegramLink;

beforeAll(async () => {
  await emu.start();
  web = createServer((req, res) => {
    if (req.url === '/steady') steadyHits.push(Date.now());
    res.writeHead(req.url === '/broken' ? brokenStatus : 200).end('x');
  });
  web.listen(0, '127.0.0.1');
  await once(web, 'listening');
  const port = (web.address() as { port: number }).port;
  const catalog = new Catalog(
    estateSchema.parse({
      version: 1,
      docker_hosts: [{ name: 'mac-mini', endpoint: 'unix:///nonexistent.sock' }],
      services: ['steady', 'broken'].map((name) => ({ name, container: `mana-${name}`, category: 'web', checks: [{ type: 'http', url: `http://127.0.0.1:${port}/${name}`, interval: '200ms', timeout: '1s' }] })),
      users: TEST_USERS,
      chats: { alerts: [OPS_GROUP.id, ADMIN.id] },
    }),
  );
  const deps = { catalog, prober: new NetProber(), disk: new StatfsDiskProbe(), docker: () => undefined, gpu: undefined, tunnels: undefined };
  link = createTelegramLink({ token: emu.token, apiRoot: emu.apiRoot, log: silentLogger(), attemptMs: 60_000 });
  const notifier = new TelegramNotifier(link.alertApi, { privateMs: 0, groupMs: 0 });
  monitor = new Monitor({ checks: buildChecks(deps), deps, store: new MemoryStore(), notifier, catalog, log: silentLogger(), now: Date.now, instanceId: 'lanes', reach: link.reach, gatherMs: 50 });
  await monitor.load();
  monitor.start();
});

afterAll(async () => {
  await monitor?.stop({ drainMs: 0 });
  link?.close();
  await emu.stop();
  web?.close();
});

describe('a stuck chat', () => {
  it('delays no other chat and no check; it gets the alert once when it answers again', async () => {
    await emu.waitFor(() => steadyHits.length >= 3, 5_000, 'the checks to run');
    emu.hangingChats.add(OPS_GROUP.id);
    brokenStatus = 500;
    const stuckAt = Date.now();
    const alert = await emu.waitFor(() => emu.messagesTo(ADMIN.id).find((m) => m.text.startsWith('🔴 <b>broken</b>')), 5_000, 'the alert in the private chat');
    expect(alert.text).toContain('HTTP 500');
    await emu.waitFor(() => steadyHits.filter((t) => t >= stuckAt).length >= 15, 10_000, 'the checks to go on');
    expect(emu.messagesTo(OPS_GROUP.id)).toEqual([]);
    emu.hangingChats.delete(OPS_GROUP.id);
    // The held call is dropped unanswered (as a timeout would), and the lane tries again.
    await emu.outage('hanging');
    await emu.outage(undefined);
    const inGroup = await emu.waitFor(() => emu.messagesTo(OPS_GROUP.id).find((m) => m.text.startsWith('🔴 <b>broken</b>')), 15_000, 'the alert in the group');
    expect(inGroup.text).toBe(alert.text);
    brokenStatus = 200;
    await emu.waitFor(() => alert.text.startsWith('✅') && inGroup.text.startsWith('✅'), 10_000, 'both recoveries');
    expect(emu.messagesTo(OPS_GROUP.id).filter((m) => m.text.includes('<b>broken</b>'))).toEqual([inGroup]);
    expect(emu.messagesTo(ADMIN.id).filter((m) => m.text.includes('<b>broken</b>'))).toEqual([alert]);
  });
});
