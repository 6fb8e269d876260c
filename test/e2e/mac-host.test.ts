import { appendFileSync, existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { runConsole } from '../../src/bot/console';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChecks, SweepContext } from '../../src/alerts/checks';
import { Catalog } from '../../src/config/catalog';
import { estateSchema } from '../../src/config/schema';
import { CloudflareApi } from '../../src/ops/cloudflare/cloudflare-api';
import { MacHostOverSsh } from '../../src/ops/mac/mac-host';
import { MemoryStore } from '../../src/ops/state/memory-store';
import { SshShell } from '../../src/ops/ssh/ssh-shell';
import { LocalTime } from '../../src/util/local-time';
import { startBot, type RunningBot } from '../support/bot-harness';
import { ACCOUNT, CloudflareEmulator, MAC_TUNNEL, ZONE } from '../support/cloudflare-emulator';
import { ADMIN, NO_RATE_LIMIT, OPERATOR, TEST_USERS, VIEWER } from '../support/estate';
import { freePort } from '../support/redis';
import { MacStandIn } from '../support/mac-host';
import { makeKeys } from '../support/sshd';
import { removeContainers, runContainer, testDocker } from '../support/docker';
import type { SentMessage, TgUser } from '../support/telegram-emulator';

/** The Mac Mini's host side: a real sshd binding the bot's key to the wrapper, macOS stand-ins behind it. */
const keys = makeKeys();
const { docker, socket, image } = testDocker();
const mac = new MacStandIn(keys, { socket, image });
const TODO = 'mo-mac-todo-web';
const NOTES = 'mo-mac-notes-web';
const WEB = 'mo-mac-chat-web';
const cf = new CloudflareEmulator();
const HOUR = 3_600_000;
let shell: SshShell;
let bot: RunningBot;
let edge: NodeJS.Timeout;

const shellTo = (port: number, fingerprint = keys.hostFingerprint) =>
  new SshShell({ host: '127.0.0.1', port, username: mac.sshd.user, privateKeyPath: keys.clientKeyPath, hostKeyFingerprint: fingerprint, connectTimeoutMs: 3_000, machine: { name: 'the Mac Mini (mana-server)', keyVariable: 'MAC_SSH_KEY_PATH', authorizedKeys: '~/.ssh/authorized_keys on the Mac' } });

function estateFor(port: number) {
  return estateSchema.parse({
    version: 1,
    docker_hosts: [{ name: 'mac-mini', endpoint: `unix://${socket}` }],
    mac_host: { host: '127.0.0.1', port, user: mac.sshd.user, host_key_fingerprint: keys.hostFingerprint, query_timeout: '5s', verify_timeout: '4s' },
    cloudflare: { account_id: ACCOUNT, zone_id: ZONE },
    tunnels: [{ name: 'mana-server', uuid: MAC_TUNNEL, runs_on: 'mac-mini', managed: 'local-config', hostnames: ['chat.mana.how'] }],
    services: [
      { name: 'chat-web', container: WEB, category: 'web', public_hostnames: ['chat.mana.how'] },
      { name: 'todo-web', container: TODO, category: 'web', compose_service: 'todo-web', restart: { verify_timeout: '10s', stable_for: '1s' } },
      { name: 'notes-web', container: NOTES, category: 'web' },
    ],
    users: TEST_USERS,
    policy: NO_RATE_LIMIT,
  });
}

async function ask(user: TgUser, text: string): Promise<SentMessage> {
  const before = bot.emu.messagesTo(user.id).length;
  bot.emu.sendText(user, text);
  return bot.emu.nextMessage(user.id, before, 20_000);
}

const buttons = (m: SentMessage) => (m.reply_markup?.inline_keyboard ?? []).flat();

beforeAll(async () => {
  await removeContainers(docker, [TODO, NOTES, WEB]);
  await runContainer(docker, image, WEB);
  mac.composeService('todo-web', TODO);
  mac.composeService('notes-web', NOTES);
  await mac.start();
  await cf.start();
  cf.addCname('chat.mana.how', MAC_TUNNEL);
  // Cloudflare's edge follows the Mac's connector: connected while a cloudflared process runs.
  edge = setInterval(() => cf.tunnels.set(MAC_TUNNEL, mac.cloudflaredPid && existsSync(`/proc/${mac.cloudflaredPid}`) ? { name: 'mana-server', status: 'healthy', connections: 4 } : { name: 'mana-server', status: 'down', connections: 0 }), 50);
  mac.cloudflared(true);
  mac.dump('postgres_20261130_030000.sql.gz', 30 * HOUR, 5_000);
  mac.dump('postgres_20261201_030000.sql.gz', 6 * HOUR, 5_200);
  shell = shellTo(mac.sshd.port);
  const time = new LocalTime('UTC');
  const estate = estateFor(mac.sshd.port);
  bot = await startBot(estate, new MemoryStore(), {
    dockerSock: socket,
    mac: new MacHostOverSsh({ shell, clock: { time }, timeoutMs: 5_000 }),
    tunnels: new CloudflareApi({ token: cf.token, zoneId: ZONE, accountId: ACCOUNT, baseUrl: cf.baseUrl }),
  });
}, 30_000);

afterAll(async () => {
  clearInterval(edge);
  await bot?.stop();
  await shell?.close();
  await cf.stop();
  await mac.stop();
  await removeContainers(docker, [TODO, NOTES, WEB]);
});

describe('/host', () => {
  it('shows the Mac at a glance: cloudflared, Colima, the LaunchAgents, the SSD, the backup, uptime', async () => {
    const msg = await ask(VIEWER, '/host');
    const lines = msg.text.split('\n');
    expect(lines[0]).toMatch(/^🖥 <b>Mac Mini mana-server<\/b> · \d\d:\d\d UTC$/);
    expect(lines[1]).toMatch(new RegExp(`^✅ cloudflared running \\(pid ${mac.cloudflaredPid}, since \\d\\d:\\d\\d UTC\\)$`));
    expect(lines[2]).toBe('✅ Colima Running · 6 CPUs · 12GiB');
    expect(lines[3]).toBe('LaunchAgents: ✅ cloudflared · ✅ colima · ✅ docker-startup · ✅ health-check');
    expect(lines[4]).toMatch(/^✅ SSD \/Volumes\/ManaData mounted · 2\.6 TiB free \(29 % used\)$/);
    expect(lines[5]).toMatch(/^✅ Backup: newest postgres_20261201_030000\.sql\.gz, 6h( \d+m)? old, 5 KiB$/);
    expect(lines[6]).toBe('Up 12 days, 3:04 · load 1.52 1.60 1.71');
    expect(buttons(msg).map((b) => b.text)).toEqual(['🔄 Refresh']);
  });

  it('cloudflared down: said first, with a restart that is verified on the Mac and in Cloudflare', async () => {
    mac.cloudflared(false);
    await expect.poll(() => cf.tunnels.get(MAC_TUNNEL)?.status).toBe('down');
    const msg = await ask(ADMIN, '/host');
    expect(msg.text).toContain('🔴 <b>cloudflared is not running</b>: every *.mana.how except gpu-* is down');
    const restart = buttons(msg).find((b) => b.text === '🔁 Restart cloudflared');
    expect(restart?.callback_data).toBe('s:/host restart cloudflared');
    // /tunnel check offers the same fix for the Mac's tunnel.
    const check = await ask(ADMIN, '/tunnel check chat.mana.how');
    expect(check.text).toContain('❌ cloudflared is not running on the Mac (LaunchAgent com.cloudflare.cloudflared)');
    expect(buttons(check).filter((b) => b.callback_data === 's:/host restart cloudflared')).toHaveLength(1);
    // An operator may not; the admin confirms.
    expect((await ask(OPERATOR, '/host restart cloudflared')).text).toBe('/host restart needs the admin role; you are operator.');
    const n = bot.emu.messagesTo(ADMIN.id).length;
    bot.emu.press(ADMIN, msg, restart?.callback_data ?? '');
    const prompt = await bot.emu.nextMessage(ADMIN.id, n);
    expect(prompt.text).toContain('Restart <b>cloudflared</b> on the Mac Mini (launchctl stop/start com.cloudflare.cloudflared)?');
    bot.emu.press(ADMIN, prompt, buttons(prompt)[0]?.callback_data ?? '');
    await bot.emu.waitFor(() => /restarted in|not confirmed/.test(prompt.text) && prompt, 30_000, 'the restart outcome');
    expect(prompt.text).toMatch(/^✅ <b>cloudflared<\/b> restarted in /);
    expect(prompt.text).toContain(`• cloudflared runs again on the Mac (pid ${mac.cloudflaredPid})`);
    expect(prompt.text).toContain('• Cloudflare sees mana-server connected (healthy, 4 connections)');
  });

  it('a connector that does not come back is reported as not confirmed, naming the end that failed', async () => {
    mac.cloudflared(false, { broken: true });
    const prompt = await ask(ADMIN, '/host restart cloudflared');
    bot.emu.press(ADMIN, prompt, buttons(prompt)[0]?.callback_data ?? '');
    await bot.emu.waitFor(() => /restarted in|not confirmed/.test(prompt.text) && prompt, 30_000, 'the restart outcome');
    expect(prompt.text).toContain('❌ <b>cloudflared</b> restart not confirmed');
    expect(prompt.text).toContain('• no cloudflared process on the Mac after the restart');
    mac.cloudflared(true);
  }, 40_000);

  it('the backup: too old, cut short, the SSD away — on /host and as the monitor check', async () => {
    const catalog = new Catalog(estateFor(mac.sshd.port));
    const macHost = new MacHostOverSsh({ shell, clock: catalog, timeoutMs: 5_000 });
    const check = buildChecks({ catalog, prober: undefined as never, disk: undefined as never, docker: () => undefined, gpu: undefined, tunnels: undefined, mac: macHost }).find((c) => c.id === 'mac:backups');
    const run = () => (check as NonNullable<typeof check>).run(new SweepContext({} as never));
    expect(await run()).toEqual({ ok: true });
    mac.clearDumps();
    mac.dump('postgres_20261130_030000.sql.gz', 51 * HOUR, 5_000);
    mac.dump('postgres_20261129_030000.sql.gz', 27 * HOUR, 5_000);
    expect((await run()).detail).toBe('the newest dump (postgres_20261129_030000.sql.gz) is 1d 3h old, more than 1d 2h');
    mac.dump('postgres_20261201_030000.sql.gz', 1 * HOUR, 1_000);
    expect((await run()).detail).toBe('the newest dump (postgres_20261201_030000.sql.gz, 1000 B) is less than 50 % of the one before (5 KiB)');
    expect((await ask(VIEWER, '/host')).text).toContain('⛔ Backup: the newest dump (postgres_20261201_030000.sql.gz, 1000 B) is less than 50 % of the one before (5 KiB)');
    mac.ssdMounted(false);
    expect((await ask(VIEWER, '/host')).text).toContain('🔴 <b>SSD /Volumes/ManaData is not mounted</b>');
    mac.ssdMounted(true);
    mac.dump('postgres_20261201_040000.sql.gz', 0, 5_100);
    expect(await run()).toEqual({ ok: true });
  });

  it("cloudflared's log: the last lines, secrets blanked, all of it as a file; operators and up", async () => {
    appendFileSync(`${mac.state}/cloudflared.log`, '2026-12-01T16:05:00Z ERR failed to serve tunnel token=eyJhIjoiYWJjZGVmIiwidCI6IjEyMyJ9.c2VjcmV0LXNpZ25hdHVyZQ\n');
    expect((await ask(VIEWER, '/host log')).text).toBe('/host log needs the operator role; you are viewer.');
    const msg = await ask(OPERATOR, '/host log 20');
    expect(msg.text).toContain('📜 <b>cloudflared.log</b> on the Mac · last 2 of 2 lines');
    expect(msg.text).toContain('INF Registered tunnel connection connIndex=0 location=fra07');
    expect(msg.text).not.toContain('c2VjcmV0LXNpZ25hdHVyZQ');
    // More than a message holds: the newest lines in it, all of them in the file.
    appendFileSync(`${mac.state}/cloudflared.log`, Array.from({ length: 300 }, (_, i) => `2026-12-01T16:06:${String(i % 60).padStart(2, '0')}Z INF Updated to new configuration version=${i} config="{\\"ingress\\":[{\\"hostname\\":\\"chat.mana.how\\"}]}"\n`).join(''));
    const long = await ask(OPERATOR, '/host log 500');
    expect(long.text).toMatch(/last \d+ of 302 lines/);
    expect(long.text).toContain('version=299');
    const file = await bot.emu.waitFor(() => bot.emu.messagesTo(OPERATOR.id).find((m) => m.document && m.message_id > long.message_id), 5_000, 'the log file');
    expect(file.document?.file_name).toMatch(/^cloudflared-\d{4}-\d\d-\d\d\.log\.txt$/);
    expect((await ask(OPERATOR, '/host log 5000')).text).toContain('a number of lines from 1 to 1000');
  });

  it('works the same from the console', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (d: Buffer) => (text += d.toString()));
    const done = runConsole({ dispatcher: bot.app.dispatcher, catalog: bot.app.catalog, input, output, identity: ADMIN.id });
    input.end('/host\n');
    await done;
    expect(text).toMatch(/✅ cloudflared running \(pid \d+, since/);
    expect(text).toContain('✅ Colima Running · 6 CPUs · 12GiB');
  });

  it('a LaunchAgent that is not loaded, and Colima stopped, are named', async () => {
    mac.unload('com.mana.health-check');
    mac.colima(false);
    const text = (await ask(VIEWER, '/host')).text;
    mac.colima(true);
    expect(text).toContain('LaunchAgents: ✅ cloudflared · ✅ colima · ✅ docker-startup · ⛔ health-check not loaded');
    expect(text).toContain('🔴 Colima Stopped · 6 CPUs · 12GiB');
  });
});

describe('/up', () => {
  it('a container never created: /status offers it, /up creates it through the wrapper and verifies it like a restart', async () => {
    const status = await ask(ADMIN, '/status');
    expect(buttons(status).map((b) => b.callback_data)).toEqual(expect.arrayContaining(['s:/up todo-web', 's:/up notes-web']));
    const detail = await ask(ADMIN, '/status todo-web');
    expect(detail.text).toContain(`⛔ no container <code>${TODO}</code>: it was never created (or was removed).`);
    expect((await ask(OPERATOR, '/up todo-web')).text).toBe('/up needs the admin role; you are operator.');
    const prompt = await ask(ADMIN, '/up todo-web');
    expect(prompt.text).toContain('Create and start <b>todo-web</b> on the Mac Mini (<code>docker compose -f docker-compose.macmini.yml up -d todo-web</code> in the monorepo)?');
    bot.emu.press(ADMIN, prompt, buttons(prompt)[0]?.callback_data ?? '');
    await bot.emu.waitFor(() => /healthy after|still failing|failed/.test(prompt.text) && prompt, 30_000, 'the outcome');
    expect(prompt.text).toMatch(/^✅ <b>todo-web<\/b> healthy after /);
    expect((await docker.getContainer(TODO).inspect()).State.Running).toBe(true);
    // It exists now: a second /up is refused before any confirmation.
    const again = await ask(ADMIN, '/up todo-web');
    expect(again.text).toContain(`${TODO} exists already (running): nothing to create`);
    expect(again.text).toContain('Next: use /restart todo-web');
  });

  it('a compose that fails says why, and nothing is left half made', async () => {
    mac.composeBroken(true);
    const prompt = await ask(ADMIN, '/up notes-web');
    bot.emu.press(ADMIN, prompt, buttons(prompt)[0]?.callback_data ?? '');
    await bot.emu.waitFor(() => /healthy after|still failing|failed/.test(prompt.text) && prompt, 30_000, 'the outcome');
    mac.composeBroken(false);
    expect(prompt.text).toContain('create failed: up notes-web on the Mac failed: Error response from daemon: pull access denied for mana-notes-web');
    await expect(docker.getContainer(NOTES).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('/deploy', () => {
  const waitEnd = (m: SentMessage) =>
    bot.emu.waitFor(() => /^(✅|❌|✖️) Deploy of/.test(m.text) && m, 15_000, 'the deploy outcome').catch((err: Error) => {
      throw new Error(`${err.message}; the message shows: ${m.text}`);
    });
  const confirmed = async (text: string) => {
    const prompt = await ask(ADMIN, text);
    bot.emu.press(ADMIN, prompt, buttons(prompt)[0]?.callback_data ?? '');
    return prompt;
  };
  const shown = (m: SentMessage) => bot.emu.history.filter((h) => h.messageId === m.message_id).map((h) => h.text);

  beforeAll(async () => {
    if (!(await docker.getContainer(TODO).inspect().catch(() => undefined))) await runContainer(docker, image, TODO);
  });

  it('builds through the wrapper, shows its progress in one message, ends with the apps checked, the log as a file', async () => {
    mac.buildMode('ok');
    const before = (await docker.getContainer(TODO).inspect()).State.StartedAt;
    const msg = await confirmed('/deploy todo-web');
    expect(msg.text).toContain('<code>./scripts/mac-mini/build-app.sh todo-web</code>');
    const n = bot.emu.messagesTo(ADMIN.id).length;
    await waitEnd(msg);
    expect(msg.text).toMatch(/^✅ Deploy of <b>todo-web<\/b> done after .+\.\n✅ todo-web healthy \(running\)$/);
    expect(shown(msg).some((t) => t.startsWith('⏳ Deploying <b>todo-web</b> · ') && t.includes('Step: <code>#'))).toBe(true);
    expect((await docker.getContainer(TODO).inspect()).State.StartedAt).not.toBe(before); // build-app.sh restarted it
    const file = await bot.emu.waitFor(() => bot.emu.messagesTo(ADMIN.id).slice(n).find((m) => m.document), 5_000, 'the log file');
    expect(file.document?.file_name).toMatch(/^deploy-todo-web-\d{4}-\d\d-\d\d\.log\.txt$/);
  });

  it('a build that fails names the step, with its last lines and the log', async () => {
    mac.buildMode('fail');
    const msg = await confirmed('/deploy todo-web');
    await waitEnd(msg);
    expect(msg.text).toMatch(/^❌ Deploy of <b>todo-web<\/b> failed after .+ \(exit 1\) at <code>#8 \[builder 4\/6\] RUN step 4 of todo-web<\/code>\./);
    expect(msg.text, msg.text).toContain('ERROR: failed to solve: process &quot;/bin/sh -c pnpm build&quot; did not complete successfully: exit code: 1');
    const file = await bot.emu.waitFor(() => bot.emu.messagesTo(ADMIN.id).find((m) => m.document && m.message_id > msg.message_id), 5_000, 'the log file');
    expect(file.text).toMatch(/^build-app\.sh todo-web: \d+ lines$/);
  });

  it('a second deploy while one runs is refused with who started it; cancel stops it cleanly', async () => {
    mac.buildMode('hold');
    const first = await confirmed('/deploy todo-web');
    await bot.emu.waitFor(() => first.text.includes('RUN step 3 of todo-web') && first, 15_000, 'the held build').catch((err: Error) => {
      throw new Error(`${err.message}; the message shows: ${first.text}`);
    });
    const second = await ask(ADMIN, '/deploy todo-web');
    expect(second.text).toMatch(/a deploy of todo-web by ada is running \(started .+ ago\)/);
    expect(second.text).toContain('Next: wait for it to finish, or /deploy cancel');
    const cancel = await ask(ADMIN, '/deploy cancel');
    expect(cancel.text).toMatch(/^✖️ Cancelling the deploy of todo-web \(started by ada\): cancelled deploy \d+\./);
    await waitEnd(first);
    await bot.emu.waitFor(() => bot.emu.messagesTo(ADMIN.id).find((m) => m.document && m.message_id > first.message_id), 5_000, 'the log file');
    expect(first.text).toMatch(/^✖️ Deploy of <b>todo-web<\/b> cancelled by ada after .+ at #7 \[builder 3\/6\] RUN step 3 of todo-web\./);
    expect(existsSync(`${mac.state}/deploy.pid`)).toBe(false);
    expect((await ask(ADMIN, '/deploy cancel')).text).toBe('No deploy is running.');
    mac.buildMode('ok');
  });
});

describe("the Mac's forced-command wrapper", () => {
  it('refuses anything not on its list: other commands, shell tricks, path tricks, bad arguments; nothing runs', async () => {
    const marker = `${mac.dir}/pwned`;
    const tries = [
      'id',
      'bash',
      `status; touch ${marker}`,
      `status && touch ${marker}`,
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      'status extra',
      'up ../../etc/passwd',
      'up -rf',
      'up chat-web; reboot',
      'deploy',
      'deploy --all-web',
      'cloudflared-log 99999',
      'cloudflared-log /etc/shadow',
      'restart-cloudflared now',
      '',
    ];
    for (const line of tries) {
      const res = await shell.exec(line, { timeoutMs: 5_000 });
      expect(res.code, line).toBe(126);
      expect(res.stderr, line).toMatch(/^mana-ops-wrapper: refused: /);
      expect(res.stdout, line).toBe('');
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('a changed host key is refused loudly; an unreachable Mac is said as such', async () => {
    const other = makeKeys();
    const wrongKey = shellTo(mac.sshd.port, other.hostFingerprint);
    await expect(new MacHostOverSsh({ shell: wrongKey, clock: { time: new LocalTime('UTC') } }).status()).rejects.toMatchObject({ code: 'denied', message: expect.stringContaining('HOST KEY MISMATCH for the Mac Mini (mana-server)') });
    await wrongKey.close();
    const away = shellTo(await freePort());
    await expect(new MacHostOverSsh({ shell: away, clock: { time: new LocalTime('UTC') } }).status()).rejects.toMatchObject({ code: 'unreachable', message: expect.stringContaining('the Mac Mini (mana-server) is unreachable') });
    await away.close();
  });
});
