import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estateSchema } from '../../src/config/schema';
import { CloudflareApi } from '../../src/ops/cloudflare/cloudflare-api';
import { WindowsGpuHost } from '../../src/ops/gpu/windows-gpu-host';
import { RedisStore } from '../../src/ops/state/redis-store';
import { SshShell } from '../../src/ops/ssh/ssh-shell';
import { startBot, type RunningBot } from '../support/bot-harness';
import { ACCOUNT, CloudflareEmulator, GPU_TUNNEL, MAC_TUNNEL, ZONE } from '../support/cloudflare-emulator';
import { ADMIN, NO_RATE_LIMIT, OPERATOR, TEST_USERS, VIEWER } from '../support/estate';
import { RedisServer } from '../support/redis';
import { makeKeys } from '../support/sshd';
import type { SentMessage, TgUser } from '../support/telegram-emulator';
import { WindowsBox } from '../support/windows-box';

/** The handbook's 502 story end to end: wrong tunnel -> /tunnel check -> repoint -> fixed -> rollback. */
const cf = new CloudflareEmulator();
const keys = makeKeys();
const box = new WindowsBox(keys);
const redis = new RedisServer();
let store: RedisStore;
let shell: SshShell;
let bot: RunningBot;
let edge: Server;

async function ask(user: TgUser, text: string): Promise<SentMessage> {
  const before = bot.emu.messagesTo(user.id).length;
  bot.emu.sendText(user, text);
  return bot.emu.nextMessage(user.id, before, 15_000);
}

/** Presses a button and returns the message it produced (a new one) . */
async function pressForNew(user: TgUser, msg: SentMessage, label: string): Promise<SentMessage> {
  const data = (msg.reply_markup?.inline_keyboard ?? []).flat().find((b) => b.text.includes(label))?.callback_data;
  if (!data) throw new Error(`no button "${label}" in: ${JSON.stringify(msg.reply_markup)}`);
  const before = bot.emu.messagesTo(user.id).length;
  bot.emu.press(user, msg, data);
  return bot.emu.nextMessage(user.id, before, 10_000);
}

async function confirm(user: TgUser, prompt: SentMessage): Promise<void> {
  const data = prompt.reply_markup?.inline_keyboard?.[0]?.[0]?.callback_data ?? 'none';
  bot.emu.press(user, prompt, data);
  await bot.emu.waitFor(() => prompt.edits >= 2 && !prompt.text.startsWith('⏳'), 15_000, 'the outcome');
}

beforeAll(async () => {
  await cf.start();
  cf.tunnels.set(GPU_TUNNEL, { name: 'mana-gpu-server', status: 'healthy' });
  cf.tunnels.set(MAC_TUNNEL, { name: 'mana-server', status: 'healthy' });
  cf.ingress.set(GPU_TUNNEL, { source: 'cloudflare', hostnames: ['gpu-stt.mana.how', 'gpu-tts.mana.how'] });
  cf.addCname('gpu-stt.mana.how', MAC_TUNNEL); // the handbook's 502: routed to the Mac's tunnel
  cf.addCname('gpu-tts.mana.how', GPU_TUNNEL);
  cf.addCname('chat.mana.how', MAC_TUNNEL);
  // The edge as seen from outside: a gpu-* name answers only when its record points at the GPU tunnel.
  edge = createServer((req, res) => {
    const host = (req.url ?? '').split('/')[1] ?? '';
    const record = cf.cnameOf(host);
    const expected = host.startsWith('gpu-') ? GPU_TUNNEL : MAC_TUNNEL;
    res.writeHead(record?.content.startsWith(expected) ? 200 : 502).end();
  });
  edge.listen(0, '127.0.0.1');
  await once(edge, 'listening');
  await box.start();
  box.services.set('Cloudflared', 4);
  box.tasks.set('ManaSTT', { state: 4, lastRunTime: Date.now() - 60_000, lastTaskResult: 267009 });
  box.tasks.set('ManaTTS', { state: 3, lastRunTime: Date.now() - 60_000, lastTaskResult: 1 });
  await redis.start();
  store = new RedisStore({ url: redis.url });
  await store.ready();
  const estate = estateSchema.parse({
    version: 1,
    docker_hosts: [{ name: 'mac-mini', endpoint: 'unix:///tmp/mo-tunnel-test-no-docker.sock' }],
    gpu_box: { name: 'mana-gpu', host: '127.0.0.1', port: box.port, user: 'mana', host_key_fingerprint: keys.hostFingerprint },
    cloudflare: { account_id: ACCOUNT, zone_id: ZONE, probe_url: `http://127.0.0.1:${(edge.address() as { port: number }).port}/{hostname}/health` },
    tunnels: [
      { name: 'mana-server', uuid: MAC_TUNNEL, runs_on: 'mac-mini', managed: 'local-config', hostnames: ['chat.mana.how'] },
      { name: 'mana-gpu-server', uuid: GPU_TUNNEL, runs_on: 'gpu', hostnames: ['gpu-stt.mana.how', 'gpu-tts.mana.how', 'gpu-video.mana.how'] },
    ],
    services: [
      { name: 'gpu-stt', aliases: ['stt'], host: 'gpu', windows: { scheduled_task: 'ManaSTT' }, category: 'gpu', port: 3020, public_hostnames: ['gpu-stt.mana.how'] },
      { name: 'gpu-tts', host: 'gpu', windows: { scheduled_task: 'ManaTTS' }, category: 'gpu', port: 3022, public_hostnames: ['gpu-tts.mana.how'] },
      { name: 'gpu-video', host: 'gpu', windows: { scheduled_task: 'ManaVideoGen' }, category: 'gpu', port: 3026, public_hostnames: ['gpu-video.mana.how'] },
      { name: 'gpu-cloudflared', host: 'gpu', windows: { windows_service: 'Cloudflared' }, category: 'gpu', restart: { role: 'admin' } },
    ],
    users: TEST_USERS,
    policy: NO_RATE_LIMIT,
  });
  shell = new SshShell({ host: '127.0.0.1', port: box.port, username: 'mana', privateKeyPath: keys.clientKeyPath, hostKeyFingerprint: keys.hostFingerprint });
  const gpu = new WindowsGpuHost({ shell, timeoutMs: 5_000 });
  const tunnels = new CloudflareApi({ token: cf.token, zoneId: ZONE, accountId: ACCOUNT, baseUrl: cf.baseUrl, timeoutMs: 3_000 });
  bot = await startBot(estate, store, { gpu, tunnels });
}, 30_000);

afterAll(async () => {
  await bot?.stop();
  await shell?.close();
  await box.stop();
  await cf.stop();
  edge?.close();
  await store?.close();
  await redis.dispose();
});

describe('/tunnel', () => {
  it('the first screen shows only problems: the wrong tunnel, a missing record', async () => {
    const msg = await ask(VIEWER, '/tunnel');
    expect(msg.text).toContain('✅ <b>mana-gpu-server</b>: healthy · 3 hostnames');
    expect(msg.text).toContain('⛔ <b>gpu-stt.mana.how</b>: points at mana-server, expected mana-gpu-server · HTTP: HTTP 502 (expected 200)');
    expect(msg.text).toContain('⛔ <b>gpu-video.mana.how</b>: no DNS record');
    expect(msg.text).not.toContain('gpu-tts.mana.how');
    const full = await pressForNew(VIEWER, msg, 'Check gpu-stt');
    expect(full.text).toContain('🔎 <b>gpu-stt.mana.how</b>');
  });

  it('the full list shows every hostname with its target and HTTP answer', async () => {
    const msg = await ask(VIEWER, '/tunnel all');
    expect(msg.text).toMatch(/✅ gpu-tts\.mana\.how → mana-gpu-server \(proxied\) · HTTP 200 in \d+ ms/);
    expect(msg.text).toMatch(/✅ chat\.mana\.how → mana-server \(proxied\)/);
  });

  it('/tunnel check walks the handbook checklist in order, each failure with its fix', async () => {
    const msg = await ask(VIEWER, '/tunnel check gpu-stt.mana.how');
    const lines = msg.text.split('\n');
    expect(lines[1]).toBe('❌ DNS points at <b>mana-server</b>, expected <b>mana-gpu-server</b>');
    expect(lines[2]).toBe('✅ tunnel mana-gpu-server is connected (healthy)');
    expect(lines[3]).toBe('✅ the Cloudflared service runs on the GPU box');
    expect(lines[4]).toBe('✅ origin gpu-stt: ManaSTT is running');
    expect(lines[5]).toBe('✅ gpu-stt.mana.how has an ingress rule in mana-gpu-server');
    expect(lines[6]).toContain('❌ gpu-stt.mana.how/health: HTTP 502');
    const video = await ask(VIEWER, '/tunnel check gpu-video.mana.how');
    expect(video.text).toContain('❌ DNS: no CNAME for gpu-video.mana.how');
    expect(video.text).toContain('Zero Trust → Networks → Tunnels → mana-gpu-server → Public Hostname → Add a public hostname: gpu-video.mana.how, Service HTTP, URL localhost:3026');
    box.services.set('Cloudflared', 1);
    box.tasks.set('ManaTTS', { state: 3, lastRunTime: null, lastTaskResult: 1 });
    const tts = await ask(VIEWER, '/tunnel check gpu-tts.mana.how');
    box.services.set('Cloudflared', 4);
    expect(tts.text).toContain('❌ the Cloudflared service is Stopped');
    expect(tts.text).toContain('❌ origin gpu-tts: ManaTTS is Ready');
    const fixes = (tts.reply_markup?.inline_keyboard ?? []).flat().map((b) => b.callback_data);
    expect(fixes).toEqual(expect.arrayContaining(['s:/gpu restart gpu-cloudflared', 's:/gpu restart gpu-tts']));
  });

  it('repoint from the check, confirmed, verified, then rolled back', async () => {
    const checkMsg = await ask(ADMIN, '/tunnel check gpu-stt.mana.how');
    const prompt = await pressForNew(ADMIN, checkMsg, 'Repoint');
    expect(prompt.text).toContain(`Today: CNAME → <code>${MAC_TUNNEL}.cfargotunnel.com</code> (mana-server)`);
    expect(prompt.text).toContain(`After: CNAME → <code>${GPU_TUNNEL}.cfargotunnel.com</code> (mana-gpu-server), proxied`);
    await confirm(ADMIN, prompt);
    expect(prompt.text).toContain('✅ <b>gpu-stt.mana.how</b> now points at <b>mana-gpu-server</b>');
    expect(prompt.text).toMatch(/It answers: HTTP 200 in \d+ ms\./);
    expect(cf.cnameOf('gpu-stt.mana.how')?.content).toBe(`${GPU_TUNNEL}.cfargotunnel.com`);
    expect(cf.calls.filter((c) => c.method === 'PATCH' && (c.body as { ttl?: number }).ttl !== 2)).toHaveLength(1); // not counting the permission probe
    expect(await store.get('tunnel:rollback:gpu-stt.mana.how')).toContain(MAC_TUNNEL);

    const rollbackPrompt = await pressForNew(ADMIN, prompt, 'Rollback');
    expect(rollbackPrompt.text).toContain(`Roll <b>gpu-stt.mana.how</b> back to <code>${MAC_TUNNEL}.cfargotunnel.com</code> (repointed by ada)?`);
    await confirm(ADMIN, rollbackPrompt);
    expect(rollbackPrompt.text).toContain('↩️ <b>gpu-stt.mana.how</b> points at <b>mana-server</b> again');
    expect(cf.cnameOf('gpu-stt.mana.how')?.content).toBe(`${MAC_TUNNEL}.cfargotunnel.com`);
    // A second rollback has nothing on record: it says so at once, without asking.
    const again = await ask(ADMIN, '/tunnel rollback gpu-stt.mana.how');
    expect(again.text).toContain('Nothing to roll back for gpu-stt.mana.how');
    expect(again.reply_markup?.inline_keyboard ?? []).toEqual([]);
  });

  it('a missing record is created, as --overwrite-dns does', async () => {
    const prompt = await ask(ADMIN, '/tunnel repoint gpu-video.mana.how');
    expect(prompt.text).toContain('Today: no record');
    await confirm(ADMIN, prompt);
    expect(cf.cnameOf('gpu-video.mana.how')?.content).toBe(`${GPU_TUNNEL}.cfargotunnel.com`);
    expect(cf.calls.some((c) => c.method === 'POST')).toBe(true);
  });

  it('refuses a short name, a hostname not in the estate, and non-admins', async () => {
    const short = await ask(ADMIN, '/tunnel repoint gpu-stt');
    expect(short.text).toContain('use the full hostname (gpu-stt.mana.how): a short name is the known --overwrite-dns pitfall');
    expect((await ask(ADMIN, '/tunnel repoint evil.example.com')).text).toContain('&quot;evil.example.com&quot; is not a public hostname in the estate file');
    expect((await ask(OPERATOR, '/tunnel repoint gpu-stt.mana.how')).text).toBe('/tunnel repoint needs the admin role; you are operator.');
    expect((await ask(ADMIN, '/tunnel repoint gpu-stt.mana.how nowhere')).text).toContain('unknown tunnel &quot;nowhere&quot;');
    expect((await ask(VIEWER, '/tunnel frobnicate')).text).toContain('is not one of: all, check, repoint, rollback');
    const probe = (c: { body?: unknown }) => (c.body as { ttl?: number } | undefined)?.ttl === 2;
    expect(cf.calls.filter((c) => c.method !== 'GET' && !probe(c))).toHaveLength(3); // the PATCH, the rollback PATCH, the POST
    expect(cf.calls.filter((c) => c.method !== 'GET' && probe(c))).toHaveLength(2); // each repoint's permission probe, refused as invalid
  });

  it('a change Cloudflare never answers may have been applied: the reply says so, offers the check, and the rollback holds', async () => {
    const prompt = await ask(ADMIN, '/tunnel repoint gpu-stt.mana.how');
    cf.hangWrites = true;
    await confirm(ADMIN, prompt).finally(() => (cf.hangWrites = false));
    expect(prompt.text).toContain('⚠️ <b>gpu-stt.mana.how</b>: Cloudflare did not answer the change within 3 s: it may have been applied.');
    const labels = (prompt.reply_markup?.inline_keyboard ?? []).flat().map((b) => b.text);
    expect(labels).toEqual(['🔎 Check', '↩️ Rollback']);
    expect(cf.cnameOf('gpu-stt.mana.how')?.content).toBe(`${GPU_TUNNEL}.cfargotunnel.com`); // it was
    const check = await pressForNew(ADMIN, prompt, 'Check');
    expect(check.text).toContain('✅ DNS points at mana-gpu-server');
    const rollbackPrompt = await pressForNew(ADMIN, prompt, 'Rollback');
    await confirm(ADMIN, rollbackPrompt);
    expect(cf.cnameOf('gpu-stt.mana.how')?.content).toBe(`${MAC_TUNNEL}.cfargotunnel.com`);
  });

  it('Cloudflare errors as sentences: a bad token, a read-only token, the rate limit', async () => {
    cf.throttle(1, 1);
    const slow = await ask(VIEWER, '/tunnel check gpu-tts.mana.how');
    expect(slow.text).toContain('🔎 <b>gpu-tts.mana.how</b>');
    cf.throttle(3);
    const limited = await ask(VIEWER, '/tunnel');
    expect(limited.text).toContain('Cloudflare is rate-limiting the bot');
    // A read-only token is found out before the confirmation, not after it.
    cf.permission = 'read';
    const before = cf.cnameOf('gpu-stt.mana.how')?.content;
    const refused = await ask(ADMIN, '/tunnel repoint gpu-stt.mana.how');
    cf.permission = 'edit';
    expect(refused.text).toContain('the Cloudflare token may read DNS records but not change them, so nothing was asked or changed');
    expect(refused.text).toContain('Next: add the permission Zone → DNS → Edit (zone mana.how) to the token');
    expect(refused.reply_markup?.inline_keyboard?.flat().some((b) => /Confirm/.test(b.text)) ?? false).toBe(false);
    expect(cf.cnameOf('gpu-stt.mana.how')?.content).toBe(before);
    // A token made from the "Edit zone DNS" template: the overview names the permission to add, once.
    cf.permission = 'dns-only';
    const overview = await ask(VIEWER, '/tunnel');
    cf.permission = 'edit';
    expect(overview.text.match(/the Cloudflare token may not read tunnels: add the permission Account → Cloudflare Tunnel → Read to it/g)).toHaveLength(1);
    expect(overview.text).toContain('❓ <b>mana-gpu-server</b>: not readable · 3 hostnames');
    const wrongToken = new CloudflareApi({ token: 'revoked-token', zoneId: ZONE, accountId: ACCOUNT, baseUrl: cf.baseUrl });
    await expect(wrongToken.cnames()).rejects.toMatchObject({ code: 'denied', message: 'Cloudflare refused the API token (9109: Invalid access token)' });
  });
});
