/**
 * /host end to end: the bot's dispatcher, SSH to a real sshd that binds the key to mac/mana-ops-wrapper, the
 * macOS stand-ins behind it, with 20 ms added to every round trip (a TCP relay that holds each chunk 10 ms each
 * way). Baseline in the same run: the handbook's steps as an admin runs them over SSH, one command after another
 * (pgrep, ps, colima list, launchctl list, mount, df, the backups folder, uptime), on a second sshd with no
 * forced command, through the same relay.
 */
import { createServer, connect, type Socket } from 'node:net';
import pino from 'pino';
import { buildApp } from '../src/app';
import { estateSchema } from '../src/config/schema';
import { MacHostOverSsh } from '../src/ops/mac/mac-host';
import { MemoryStore } from '../src/ops/state/memory-store';
import { SshShell } from '../src/ops/ssh/ssh-shell';
import { LocalTime } from '../src/util/local-time';
import { MacStandIn } from '../test/support/mac-host';
import { Sshd, makeKeys } from '../test/support/sshd';

const ONE_WAY_MS = 10;
const RUNS = Number(process.env.BENCH_RUNS ?? 30);

/** A relay on 127.0.0.1 to `port` that delays every chunk by ONE_WAY_MS in each direction, in order. */
async function slowRelay(port: number): Promise<{ port: number; close(): void }> {
  const pipe = (from: Socket, to: Socket) => {
    let chain = Promise.resolve();
    from.on('data', (chunk) => {
      chain = chain.then(() => new Promise<void>((r) => setTimeout(() => (to.destroyed || to.write(chunk), r()), ONE_WAY_MS)));
    });
    from.on('end', () => void chain.then(() => to.end()));
    from.on('error', () => to.destroy());
  };
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}

const keys = makeKeys();
const mac = new MacStandIn(keys);
await mac.start();
mac.cloudflared(true);
for (let d = 0; d < 30; d++) mac.dump(`postgres_202611${String(d + 1).padStart(2, '0')}_030000.sql.gz`, (30 - d) * 86_400_000 - 3_600_000, 4_000 + d);
const plainKeys = makeKeys();
const plain = await new Sshd(plainKeys).start();
const [forced, open] = await Promise.all([slowRelay(mac.sshd.port), slowRelay(plain.port)]);

const estate = estateSchema.parse({
  version: 1,
  docker_hosts: [{ name: 'mac-mini', endpoint: 'unix:///tmp/mo-bench-no-docker.sock' }],
  mac_host: { host: '127.0.0.1', port: forced.port, user: mac.sshd.user, host_key_fingerprint: keys.hostFingerprint },
  services: [{ name: 'chat-web', container: 'mana-chat-web', category: 'web' }],
  users: [{ id: 1, name: 'bench', role: 'admin' }],
  policy: { rate_limit: { commands: 1_000_000, window: '1m' } },
});
const shell = new SshShell({ host: '127.0.0.1', port: forced.port, username: mac.sshd.user, privateKeyPath: keys.clientKeyPath, hostKeyFingerprint: keys.hostFingerprint });
const app = buildApp(estate, { store: new MemoryStore(), docker: new Map(), mac: new MacHostOverSsh({ shell, clock: { time: new LocalTime('UTC') } }), log: pino({ level: 'silent' }) });
const admin = new SshShell({ host: '127.0.0.1', port: open.port, username: plain.user, privateKeyPath: plainKeys.clientKeyPath, hostKeyFingerprint: plainKeys.hostFingerprint });
const path = `PATH=${mac.bin}:$PATH`;
const handbook = [
  `${path} pgrep -x cloudflared`,
  `ps -o lstart= -p ${mac.cloudflaredPid}`,
  `${path} colima list`,
  `${path} launchctl list | grep -E "(cloudflare|mana)"`,
  `${path} mount | grep ManaData`,
  `${path} df -k ${mac.ssd}`,
  `ls -lt ${mac.backups} | head -n 3`,
  `${path} uptime`,
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] ?? NaN;
const envelope = () => ({ userId: 1, chatId: 1, chatType: 'private' as const, sentAt: Date.now(), forwarded: false, edited: false });

// Warm both connections: the SSH handshake is paid once per connection, not per command.
await app.dispatcher.handleText(envelope(), '/host');
await admin.exec('true', { timeoutMs: 10_000 });
const bot: number[] = [];
const steps: number[] = [];
for (let i = 0; i < RUNS; i++) {
  let t = performance.now();
  const out = await app.dispatcher.handleText(envelope(), '/host');
  if (out.kind !== 'reply' || !out.html.value.includes('cloudflared running')) throw new Error(`/host answered ${out.kind}: ${'html' in out ? out.html.value : ''}`);
  bot.push(performance.now() - t);
  t = performance.now();
  for (const cmd of handbook) await admin.exec(cmd, { timeoutMs: 10_000 });
  steps.push(performance.now() - t);
}
console.log(`/host over SSH to the forced-command wrapper, ${ONE_WAY_MS * 2} ms added per round trip, ${RUNS} runs`);
console.log(`  /host (dispatch to text, one wrapper call):          median ${median(bot).toFixed(1)} ms, p95 ${p95(bot).toFixed(1)} ms`);
console.log(`  the handbook's ${handbook.length} commands over SSH, one by one: median ${median(steps).toFixed(1)} ms, p95 ${p95(steps).toFixed(1)} ms`);
console.log(`  ratio x${(median(steps) / median(bot)).toFixed(2)} (baseline / /host)`);
await shell.close();
await admin.close();
forced.close();
open.close();
await plain.dispose();
await mac.stop();
