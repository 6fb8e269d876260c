import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estateSchema } from '../../src/config/schema';
import { WindowsGpuHost } from '../../src/ops/gpu/windows-gpu-host';
import { restartScript, unitsScript } from '../../src/ops/gpu/windows-gpu-host';
import { MemoryStore } from '../../src/ops/state/memory-store';
import { SshShell } from '../../src/ops/ssh/ssh-shell';
import { startBot, type RunningBot } from '../support/bot-harness';
import { ADMIN, NO_RATE_LIMIT, OPERATOR, TEST_USERS, VIEWER } from '../support/estate';
import { freePort } from '../support/redis';
import { makeKeys } from '../support/sshd';
import type { SentMessage, TgUser } from '../support/telegram-emulator';
import { WindowsBox } from '../support/windows-box';

/** /gpu end to end: the bot over real SSH (ssh2's Server answering as Windows), Ollama and health endpoints on loopback. */
const keys = makeKeys();
const box = new WindowsBox(keys);
let bot: RunningBot;
let shell: SshShell;
const servers = new Map<string, Server>();
const ports: Record<string, number> = {};
const PRELUDE = "$ProgressPreference='SilentlyContinue'\n$ErrorActionPreference='Stop'\n";
const UNITS = [
  { kind: 'task', name: 'ManaSTT' },
  { kind: 'task', name: 'ManaTTS' },
  { kind: 'task', name: 'ManaImageGen' },
  { kind: 'task', name: 'ManaVideoGen' },
  { kind: 'task', name: 'ManaLLM' },
  { kind: 'service', name: 'Cloudflared' },
] as const;

async function serve(name: string, handler: (path: string) => [number, string]) {
  const srv = createServer((req, res) => {
    const [status, body] = handler(req.url ?? '/');
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  srv.listen(ports[name], '127.0.0.1');
  await once(srv, 'listening');
  servers.set(name, srv);
}

async function ask(user: TgUser, text: string, timeoutMs = 15_000): Promise<SentMessage> {
  const before = bot.emu.messagesTo(user.id).length;
  bot.emu.sendText(user, text);
  return bot.emu.nextMessage(user.id, before, timeoutMs);
}

async function confirm(user: TgUser, prompt: SentMessage) {
  const data = prompt.reply_markup?.inline_keyboard?.[0]?.[0]?.callback_data ?? 'none';
  bot.emu.press(user, prompt, data);
  await bot.emu.waitFor(() => /healthy after|running again|still failing|Failed/.test(prompt.text) && prompt, 20_000, 'the restart outcome');
}

beforeAll(async () => {
  for (const n of ['stt', 'tts', 'img', 'ollama']) ports[n] = await freePort();
  await box.start();
  box.tasks.set('ManaSTT', { state: 4, lastRunTime: Date.now() - 2 * 3_600_000, lastTaskResult: 267009 });
  box.tasks.set('ManaTTS', { state: 3, lastRunTime: Date.now() - 600_000, lastTaskResult: 1 });
  box.tasks.set('ManaImageGen', { state: 1, lastRunTime: null, lastTaskResult: 267011 });
  box.tasks.set('ManaLLM', { state: 4, lastRunTime: Date.now() - 3_600_000, lastTaskResult: 267009 });
  box.services.set('Cloudflared', 4);
  box.onRestart = (name) => {
    if (name === 'ManaTTS' && !servers.has('tts')) void serve('tts', () => [200, '{"status":"ok"}']);
  };
  await serve('stt', () => [200, '{"status":"ok"}']);
  await serve('ollama', (path) => (path === '/api/ps' ? [200, readFileSync('test/fixtures/ollama/api-ps-loaded.json', 'utf8')] : [200, '{"version":"0.12.0"}']));
  const health = (n: string) => [{ type: 'http', url: `http://127.0.0.1:${ports[n]}/health` }];
  const estate = estateSchema.parse({
    version: 1,
    docker_hosts: [{ name: 'mac-mini', endpoint: 'unix:///tmp/mo-gpu-test-no-docker.sock' }],
    gpu_box: { name: 'mana-gpu', host: '127.0.0.1', port: box.port, user: 'mana', host_key_fingerprint: keys.hostFingerprint, ollama_url: `http://127.0.0.1:${ports.ollama}`, query_timeout: '1500ms' },
    services: [
      { name: 'gpu-stt', aliases: ['stt'], host: 'gpu', windows: { scheduled_task: 'ManaSTT' }, category: 'gpu', checks: health('stt') },
      { name: 'gpu-tts', aliases: ['tts'], host: 'gpu', windows: { scheduled_task: 'ManaTTS' }, category: 'gpu', checks: health('tts'), restart: { verify_timeout: '10s' } },
      { name: 'gpu-img', aliases: ['img'], host: 'gpu', windows: { scheduled_task: 'ManaImageGen' }, category: 'gpu', checks: health('img'), restart: { verify_timeout: '2s' } },
      { name: 'gpu-video', aliases: ['video'], host: 'gpu', windows: { scheduled_task: 'ManaVideoGen' }, category: 'gpu' },
      { name: 'gpu-llm', aliases: ['llm'], host: 'gpu', windows: { scheduled_task: 'ManaLLM' }, category: 'gpu', restart: { verify_timeout: '10s' } },
      { name: 'gpu-cloudflared', aliases: ['cloudflared'], host: 'gpu', windows: { windows_service: 'Cloudflared' }, category: 'gpu', restart: { role: 'admin' } },
      { name: 'chat-web', container: 'mana-chat-web', category: 'web' },
    ],
    users: TEST_USERS,
    policy: NO_RATE_LIMIT,
  });
  shell = new SshShell({ host: '127.0.0.1', port: box.port, username: 'mana', privateKeyPath: keys.clientKeyPath, hostKeyFingerprint: keys.hostFingerprint });
  const gpu = new WindowsGpuHost({ shell, ollamaUrl: `http://127.0.0.1:${ports.ollama}`, timeoutMs: 5_000 });
  bot = await startBot(estate, new MemoryStore(), { gpu });
}, 30_000);

afterAll(async () => {
  await bot?.stop();
  await shell?.close();
  await box.stop();
  for (const s of servers.values()) s.close();
});

describe('/gpu', () => {
  it('one message: GPU, VRAM, processes, the loaded model, every AI service with its state and health', async () => {
    const msg = await ask(VIEWER, '/gpu');
    expect(msg.text).toContain('<b>NVIDIA GeForce RTX 3090</b> · P2 · 47 °C · fan 30% · load 12%');
    expect(msg.text).toContain('VRAM 11.0 GiB of 24.0 GiB · power 111 / 350 W');
    expect(msg.text).toContain('Holding VRAM: ollama.exe (size n/a), python.exe (size n/a)');
    // The fixture's expires_at is past: no "unloads in 0 ms". A running task's result (running) is not said twice.
    expect(msg.text).toContain('Ollama: gemma3:12b (10.6 GiB, all on GPU)');
    expect(msg.text).toMatch(/✅ <b>gpu-stt<\/b> \(ManaSTT\): Running · since 2h( \d+[ms])? · health 200 in \d+ ms/);
    expect(msg.text).toMatch(/⛔ <b>gpu-tts<\/b> \(ManaTTS\): Ready · last run exited with code 1 · health: ECONNREFUSED/);
    expect(msg.text).toContain('⛔ <b>gpu-img</b> (ManaImageGen): Disabled · has not run yet');
    expect(msg.text).toContain("⛔ <b>gpu-video</b> (ManaVideoGen): cannot read: No MSFT_ScheduledTask objects found with property 'TaskName' equal to 'ManaVideoGen'.");
    expect(msg.text).toContain('✅ <b>gpu-cloudflared</b> (Cloudflared): Running');
    const restartButtons = (msg.reply_markup?.inline_keyboard ?? []).flat().map((b) => b.callback_data);
    expect(restartButtons).toContain('s:/gpu restart gpu-tts');
  });

  it('sends exactly the intended scripts, and nothing typed in chat', async () => {
    const expected = PRELUDE + unitsScript(UNITS.map((u) => ({ ...u })));
    expect(box.scripts).toContain(expected);
    const before = box.commands.length;
    const bad = await ask(OPERATOR, `/gpu restart "stt'; Remove-Item C:\\ -Recurse; '"`);
    expect(bad.text).toContain('unknown service');
    expect(box.commands.length).toBe(before);
    for (const line of box.commands) {
      expect(line).toMatch(/^(nvidia-smi --query-(gpu|compute-apps)=[a-z_.,]+ --format=csv,noheader,nounits|powershell -NoProfile -NonInteractive -EncodedCommand [A-Za-z0-9+/=]+)$/);
    }
    expect(box.scripts.join('\n')).not.toContain('Remove-Item');
  });

  it('/gpu restart tts: confirmation, the task restarted over SSH, verified on its health endpoint', async () => {
    const before = box.scripts.length;
    const prompt = await ask(OPERATOR, '/gpu restart tts');
    expect(prompt.text).toContain('Restart <b>gpu-tts</b> on the GPU box (Scheduled Task <code>ManaTTS</code>)?');
    await confirm(OPERATOR, prompt);
    expect(prompt.text).toMatch(/✅ <b>gpu-tts<\/b> healthy after [\d.]+ m?s \(its check http:\/\/127\.0\.0\.1:\d+\/health\)\./);
    expect(box.scripts.slice(before)).toContain(PRELUDE + restartScript({ kind: 'task', name: 'ManaTTS' }));
    expect(box.tasks.get('ManaTTS')?.state).toBe(4);
  });

  it('a restart that does not come back healthy says why', async () => {
    const prompt = await ask(OPERATOR, '/gpu restart img');
    await confirm(OPERATOR, prompt);
    expect(prompt.text).toMatch(/❌ <b>gpu-img<\/b> still failing after [\d.]+ s: HTTP http:\/\/127\.0\.0\.1:\d+\/health: ECONNREFUSED/);
  });

  it('a task that starts and falls over a second later is a failed restart, with its result code, audited as failed', async () => {
    box.crashAfterStart.set('ManaLLM', { afterMs: 1_000, result: 1 });
    const prompt = await ask(OPERATOR, '/gpu restart llm');
    await confirm(OPERATOR, prompt);
    box.crashAfterStart.delete('ManaLLM');
    expect(prompt.text).toMatch(/❌ <b>gpu-llm<\/b> still failing after [\d.]+ s: came up, then fell over within [\d.]+ m?s: Ready · last run exited with code 1/);
    expect(prompt.text).not.toContain('✅');
    const [entry] = await bot.app.env.audit.recent(1);
    expect(entry).toMatchObject({ action: 'confirm:gpu', result: 'failed', detail: expect.stringContaining('gpu-llm: came up, then fell over') });
  });

  it('roles: the Cloudflared service is admin-only; a viewer restarts nothing', async () => {
    expect((await ask(OPERATOR, '/gpu restart cloudflared')).text).toBe('Restarting gpu-cloudflared on the GPU box needs the admin role; you are operator.');
    expect((await ask(VIEWER, '/gpu restart stt')).text).toBe('/gpu restart needs the operator role; you are viewer.');
    const before = box.scripts.length;
    const prompt = await ask(ADMIN, '/gpu restart cloudflared');
    await confirm(ADMIN, prompt);
    expect(prompt.text).toMatch(/✅ <b>gpu-cloudflared<\/b> healthy after [\d.]+ s \(running\)\./);
    expect(box.scripts.slice(before)).toContain(PRELUDE + restartScript({ kind: 'service', name: 'Cloudflared' }));
  });

  it('bad arguments: a Docker service, a missing name, an unknown action', async () => {
    expect((await ask(OPERATOR, '/gpu restart chat-web')).text).toContain('chat-web does not run on the GPU box: use /restart for Docker services');
    expect((await ask(OPERATOR, '/gpu restart')).text).toContain('say which service: /gpu restart stt');
    expect((await ask(OPERATOR, '/gpu reboot stt')).text).toContain('the only action is restart');
  });

  it('/status carries one line on the GPU box', async () => {
    const msg = await ask(VIEWER, '/status');
    expect(msg.text).toMatch(/🖥 GPU box: \d\/6 AI services running · not running: .*ManaVideoGen.* \(see \/gpu\)/);
    // This estate's Docker socket does not exist: one line says so instead of a line per service.
    expect(msg.text).toContain('🔴 <b>Docker does not answer</b>');
    expect(msg.text).toContain('Docker unreachable at unix:///tmp/mo-gpu-test-no-docker.sock (ENOENT). Next: check that Colima/dockerd runs');
    expect(msg.text).not.toContain('chat-web');
  });

  it('one slow part shows as timed out without holding back the rest; meanwhile the chat shows typing…', async () => {
    const typing = () => bot.emu.calls.filter((c) => c.method === 'sendChatAction' && Number(c.params.chat_id) === VIEWER.id && c.params.action === 'typing').length;
    const before = typing();
    await ask(VIEWER, '/ping');
    const quick = typing() - before;
    box.hang = /foreach/;
    const msg = await ask(VIEWER, '/gpu');
    box.hang = undefined;
    expect(msg.text).toContain('<b>NVIDIA GeForce RTX 3090</b>');
    expect(msg.text).toContain('state unknown (timed out after 1.5 s)');
    // A reply within a second shows nothing; one that takes 1.5 s shows typing… before it.
    expect(quick).toBe(0);
    expect(typing() - before).toBeGreaterThanOrEqual(1);
  });

  it('nvidia-smi failures read as sentences', async () => {
    box.nvidiaSmiFailure = { stdout: 'Failed to initialize NVML: Driver/library version mismatch\r\nNVML library version: 581.42\r\n', code: 18 };
    const msg = await ask(VIEWER, '/gpu');
    box.nvidiaSmiFailure = undefined;
    expect(msg.text).toContain('⚠️ nvidia-smi: nvidia-smi cannot talk to the driver: driver/library version mismatch (a driver update is half applied: reboot the GPU box)');
  });

  it('the box unreachable: said once, no restart offered for units whose state is unknown, the health checks still answer', async () => {
    await box.stop();
    await shell.close();
    const msg = await ask(VIEWER, '/gpu');
    expect(msg.text).toMatch(/⚠️ nothing over SSH: the GPU box is unreachable at mana@127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    expect(msg.text.match(/is unreachable at/g)).toHaveLength(1);
    expect(msg.text).toMatch(/gpu-stt<\/b> \(ManaSTT\): state unknown · health 200/);
    expect((msg.reply_markup?.inline_keyboard ?? []).flat().map((b) => b.text)).toEqual(['🔄 Refresh']);
    expect((await ask(VIEWER, '/ping')).text).toMatch(/^pong/);
  });
});
