/**
 * Telegram away (connections refused) while a service goes down: how long after Telegram is back the alert
 * reaches the chat, and how many probes of a healthy service ran meanwhile. The monitor as wired in production
 * (TelegramLink, TelegramNotifier, delivery lanes, checks on their own clocks) next to, in the same run and the
 * same outage, one send through grammY's auto-retry as this bot used it before (3 attempts, 30 s cap), which
 * retries network errors with a wait doubling up to an hour. Prints figures; asserts nothing.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { autoRetry } from '@grammyjs/auto-retry';
import { Api } from 'grammy';
import pino from 'pino';
import { buildChecks } from '../src/alerts/checks';
import { Monitor } from '../src/alerts/monitor';
import { TelegramNotifier } from '../src/bot/notifiers';
import { createTelegramLink } from '../src/bot/telegram-link';
import { Catalog } from '../src/config/catalog';
import { estateSchema } from '../src/config/schema';
import { StatfsDiskProbe } from '../src/ops/probes/disk-probe';
import { NetProber } from '../src/ops/probes/net-prober';
import { MemoryStore } from '../src/ops/state/memory-store';
import { TelegramEmulator } from '../test/support/telegram-emulator';

const INTERVAL_MS = 1_000;
const CHAT = 4242;
const emu = await new TelegramEmulator().start();
let brokenStatus = 200;
const hits: number[] = [];
const server = createServer((req, res) => {
  if (req.url === '/steady') hits.push(Date.now());
  res.writeHead(req.url === '/broken' ? brokenStatus : 200).end('x');
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const port = (server.address() as { port: number }).port;
const log = pino({ level: 'silent' });

const estate = estateSchema.parse({
  version: 1,
  docker_hosts: [{ name: 'mac-mini', endpoint: 'unix:///nonexistent.sock' }],
  services: ['steady', 'broken'].map((name) => ({ name, container: `mana-${name}`, category: 'web', checks: [{ type: 'http', url: `http://127.0.0.1:${port}/${name}`, interval: `${INTERVAL_MS}ms`, timeout: '1s' }] })),
  users: [{ id: CHAT, name: 'a', role: 'admin' }],
  chats: { alerts: [CHAT] },
});
const catalog = new Catalog(estate);
const deps = { catalog, prober: new NetProber(), disk: new StatfsDiskProbe(), docker: () => undefined, gpu: undefined, tunnels: undefined };

async function round(awayMs: number): Promise<void> {
  emu.clearRecords();
  emu.history.length = 0;
  const link = createTelegramLink({ token: emu.token, apiRoot: emu.apiRoot, log });
  const monitor = new Monitor({ checks: buildChecks(deps), deps, store: new MemoryStore(), notifier: new TelegramNotifier(link.alertApi), catalog, log, now: Date.now, instanceId: 'bench', jitterRatio: 0.2, reach: link.reach });
  await monitor.load();
  monitor.start();
  const before = new Api(emu.token, { apiRoot: emu.apiRoot });
  before.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 30 }));

  brokenStatus = 200;
  await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS));
  await emu.outage('refused');
  const awayAt = Date.now();
  brokenStatus = 500;
  const oldSend = before.sendMessage(CHAT, 'sent through auto-retry').then(() => Date.now(), () => Number.NaN);
  await new Promise((r) => setTimeout(r, awayMs));
  const probed = hits.filter((t) => t >= awayAt).length;
  await emu.outage(undefined);
  const backAt = Date.now();
  const alert = await emu.waitFor(() => emu.history.find((h) => h.text.startsWith('🔴 <b>broken</b>')), 120_000, 'the alert');
  const oldAt = await oldSend;
  await monitor.stop({ drainMs: 0 });
  link.close();
  const expected = awayMs / INTERVAL_MS;
  console.log(`Telegram refusing connections for ${awayMs / 1000} s, checks every ${INTERVAL_MS / 1000} s:`);
  console.log(`  monitor: alert ${((alert.at - backAt) / 1000).toFixed(1)} s after Telegram was back; healthy service probed ${probed} times while away (expected ~${expected.toFixed(0)}, ${((probed / expected) * 100).toFixed(0)} %)`);
  const oldAfter = oldAt - backAt;
  console.log(
    Number.isNaN(oldAfter)
      ? '  baseline, auto-retry as before: gave up, not delivered'
      : `  baseline, auto-retry as before: delivered ${(oldAfter / 1000).toFixed(1)} s after Telegram was back (${(oldAfter / Math.max(alert.at - backAt, 1)).toFixed(1)} x the monitor's wait)`,
  );
}

for (const awayMs of [20_000, 60_000, 120_000]) await round(awayMs);
server.closeAllConnections();
server.close();
await emu.stop();
