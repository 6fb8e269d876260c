/**
 * Alert storm: 500 distinct alerts posted to a real Alertmanager within 10 s and resolved two minutes later,
 * into a group chat whose Bot API emulator enforces 20 messages a minute. The bot (the real process, bundled)
 * receives Alertmanager's webhook; in the same run a second Alertmanager sends the same storm through its own
 * telegram_configs receiver to another group of the same emulator, as the peer. Prints figures only.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { Alertmanager } from '../test/support/alertmanager';
import { freePort, RedisServer } from '../test/support/redis';
import { TelegramEmulator } from '../test/support/telegram-emulator';
import { benchNodeFlags, rssMiB } from './support/proc';
import { alertsNamedBy, namedIn, playStorm, STORM_ROUTE } from './support/storm';

const N = Number(process.env.STORM_ALERTS ?? 500);
const RESOLVE_AFTER_MS = Number(process.env.STORM_RESOLVE_AFTER_MS ?? 120_000);
/** With STORM_OUTAGE_MS, Telegram is unreachable for that long from the first post on. */
const OUTAGE_MS = Number(process.env.STORM_OUTAGE_MS ?? 0);
const BOT_CHAT = -100_111;
const PEER_CHAT = -100_222;
const TOKEN = 'storm-bench-webhook-secret-000';

const emu = await new TelegramEmulator().start();
emu.chatLimit = { max: 20, windowMs: 60_000 };
const redis = await new RedisServer().start();
const dir = mkdtempSync(join(tmpdir(), 'mo-storm-'));
const estateFile = join(dir, 'estate.yml');
writeFileSync(estateFile, `version: 1
docker_hosts: [{ name: mac-mini, endpoint: "unix:///tmp/mo-storm-no-docker.sock" }]
services: [{ name: chat-web, container: mana-chat-web, category: web }]
users: [{ id: 1, name: admin, role: admin }]
chats: { alerts: [${BOT_CHAT}], commands: [] }
`);
const outfile = join(process.cwd(), 'dist', 'bench', 'mana-ops-storm.js');
await build({ entryPoints: ['src/main.ts'], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile, logLevel: 'error' });
const httpPort = await freePort();
// As production runs it (start:prod's node flags, the image's too): the peak below is what the 128 MiB limit meets.
const bot = spawn(process.execPath, [...benchNodeFlags(), outfile], {
  env: { PATH: process.env.PATH ?? '', TELEGRAM_BOT_TOKEN: emu.token, TELEGRAM_API_ROOT: emu.apiRoot, REDIS_URL: redis.url, HTTP_PORT: String(httpPort), ALERTMANAGER_TOKEN: TOKEN, ESTATE_FILE: estateFile, MANA_OPS_MONITOR: 'off', LOG_LEVEL: 'warn', MANA_OPS_POLL_TIMEOUT: '1' },
  stdio: ['ignore', 'ignore', 'pipe'],
});
let botErr = '';
bot.stderr?.on('data', (d: Buffer) => (botErr = (botErr + d.toString()).slice(-4000)));
bot.once('exit', (code) => code && console.error(`the bot exited with ${code}: ${botErr}`));
await emu.waitFor(() => emu.calls.some((c) => c.method === 'getUpdates'), 30_000, 'the bot to poll');
const rss = () => rssMiB(bot.pid ?? 0);
const rssStart = rss();
let rssPeak = rssStart;
const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rss())), 200);

const ours = await new Alertmanager().start(`http://127.0.0.1:${httpPort}/alertmanager`, TOKEN, STORM_ROUTE);
// The peer: Alertmanager's own Telegram receiver, pointed at the emulator.
const peerAm = new Alertmanager();
await peerAm.startWith(`route:
  receiver: tg
  group_by: ${JSON.stringify(STORM_ROUTE.groupBy)}
  group_wait: ${STORM_ROUTE.groupWait}
  group_interval: ${STORM_ROUTE.groupInterval}
  repeat_interval: 1h
receivers:
  - name: tg
    telegram_configs:
      - api_url: ${emu.apiRoot}
        bot_token: ${emu.token}
        chat_id: ${PEER_CHAT}
        send_resolved: true
`);

const { t0, tResolve, allNamedAt, currentAfterMs: currentAfter } = await playStorm({
  emu,
  botChat: BOT_CHAT,
  alertmanagers: [ours, peerAm],
  n: N,
  resolveAfterMs: RESOLVE_AFTER_MS,
  onStart: () => {
    if (!OUTAGE_MS) return;
    emu.down = true;
    setTimeout(() => (emu.down = false), OUTAGE_MS);
  },
});
const named = (chat: number) => namedIn(emu, chat, N);
clearInterval(sampler);

const report = (label: string, chat: number) => {
  const sends = emu.messagesTo(chat).length;
  const edits = emu.history.filter((h) => h.chatId === chat).length - sends;
  const missing = N - named(chat).size;
  console.log(`${label.padEnd(34)} messages ${String(sends).padStart(4)}  edits ${String(edits).padStart(4)}  429s ${String(emu.limitedByChat.get(chat) ?? 0).padStart(6)}  alerts never named ${String(missing).padStart(4)} of ${N}`);
};
console.log(`alert storm: ${N} realistic alerts (~200-character summaries with < > & \", generatorURL) within 10 s, resolved after ${RESOLVE_AFTER_MS / 1000} s; Alertmanager groups by alertname and service, group_wait ${STORM_ROUTE.groupWait}, group_interval ${STORM_ROUTE.groupInterval}; each group chat limited to 20 messages a minute${OUTAGE_MS ? `; Telegram unreachable for the first ${OUTAGE_MS / 1000} s` : ''}`);
{
  // None twice: just before the resolve, each alert is on exactly one of the messages as they read then (lines may
  // move to the next page as the digest grows).
  const latest = new Map<number, string>();
  for (const h of emu.history.filter((x) => x.chatId === BOT_CHAT && x.at < tResolve)) latest.set(h.messageId, h.text);
  const homes = new Map<number, number>();
  for (const text of latest.values()) for (const i of alertsNamedBy(text, N)) homes.set(i, (homes.get(i) ?? 0) + 1);
  const twice = [...homes.values()].filter((count) => count > 1).length;
  console.log(`mana-ops: alerts shown in more than one message: ${twice}`);
}
report('mana-ops (webhook, storm digest)', BOT_CHAT);
report('Alertmanager telegram_configs', PEER_CHAT);
console.log(`mana-ops: every alert named ${allNamedAt ? `${((allNamedAt - t0) / 1000).toFixed(0)} s after the first post` : 'never within the wait'}; chat current ${(currentAfter / 1000).toFixed(0)} s after the resolve`);
console.log(`mana-ops RSS: ${rssStart.toFixed(1)} MiB at start, ${rssPeak.toFixed(1)} MiB at peak (node flags: ${benchNodeFlags().join(" ") || "node's defaults"})`);
{
  // What Alertmanager itself counts: notifications sent to the bot's webhook, and those it failed (rejected or lost).
  const metrics = await (await fetch(`${ours.url}/metrics`)).text();
  const sum = (name: string) => metrics.split('\n').filter((l) => l.startsWith(`${name}{`) && l.includes('integration="webhook"')).reduce((acc, l) => acc + Number(l.split(' ').at(-1)), 0);
  console.log(`Alertmanager → mana-ops: ${sum('alertmanager_notifications_total')} webhook notifications, ${sum('alertmanager_notifications_failed_total')} failed`);
}

bot.kill('SIGTERM');
await new Promise((r) => bot.once('exit', r));
await ours.stop();
await peerAm.stop();
await redis.dispose();
await emu.stop();
