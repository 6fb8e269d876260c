/**
 * /gpu end to end against the emulated Windows box (real SSH through ssh2's Server) with 20 ms added to
 * every round trip (SSH exec and HTTP), next to the same queries made one after another in the same run.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import pino from 'pino';
import { buildApp } from '../src/app';
import { estateSchema } from '../src/config/schema';
import { WindowsGpuHost } from '../src/ops/gpu/windows-gpu-host';
import { NetProber } from '../src/ops/probes/net-prober';
import { MemoryStore } from '../src/ops/state/memory-store';
import { SshShell } from '../src/ops/ssh/ssh-shell';
import { makeKeys } from '../test/support/sshd';
import { WindowsBox } from '../test/support/windows-box';

const RTT = 20;
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const keys = makeKeys();
const box = new WindowsBox(keys);
box.latencyMs = RTT;
await box.start();
for (const t of ['ManaSTT', 'ManaTTS', 'ManaImageGen', 'ManaLLM', 'ManaVideoGen']) box.tasks.set(t, { state: 4, lastRunTime: Date.now() - 3_600_000, lastTaskResult: 267009 });
box.services.set('Cloudflared', 4);
box.services.set('Ollama', 4);

const http = createServer((req, res) => {
  setTimeout(() => {
    const body = req.url === '/api/ps' ? readFileSync('test/fixtures/ollama/api-ps-loaded.json', 'utf8') : '{"status":"ok"}';
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  }, RTT);
});
http.listen(0, '127.0.0.1');
await once(http, 'listening');
const port = (http.address() as { port: number }).port;
const url = `http://127.0.0.1:${port}`;

const gpuServices = [
  ['gpu-stt', { scheduled_task: 'ManaSTT' }],
  ['gpu-tts', { scheduled_task: 'ManaTTS' }],
  ['gpu-img', { scheduled_task: 'ManaImageGen' }],
  ['gpu-llm', { scheduled_task: 'ManaLLM' }],
  ['gpu-video', { scheduled_task: 'ManaVideoGen' }],
  ['gpu-ollama', { windows_service: 'Ollama' }],
  ['gpu-cloudflared', { windows_service: 'Cloudflared' }],
] as const;
const estate = estateSchema.parse({
  version: 1,
  docker_hosts: [{ name: 'mac-mini', endpoint: 'unix:///tmp/mo-bench-no-docker.sock' }],
  gpu_box: { name: 'mana-gpu', host: '127.0.0.1', port: box.port, user: 'mana', host_key_fingerprint: keys.hostFingerprint, ollama_url: url },
  services: gpuServices.map(([name, windows]) => ({
    name,
    host: 'gpu',
    windows,
    category: 'gpu',
    checks: name === 'gpu-cloudflared' ? [] : [{ type: 'http', url: `${url}/${name}/health` }],
  })),
  users: [{ id: 1, name: 'bench', role: 'admin' }],
  policy: { rate_limit: { commands: 1_000_000, window: '1m' } },
});
const shell = new SshShell({ host: '127.0.0.1', port: box.port, username: 'mana', privateKeyPath: keys.clientKeyPath, hostKeyFingerprint: keys.hostFingerprint });
const gpu = new WindowsGpuHost({ shell, ollamaUrl: url });
const app = buildApp(estate, { store: new MemoryStore(), docker: new Map(), gpu, log: pino({ level: 'silent' }) });
const prober = new NetProber();
const units = gpuServices.map(([name, w]) => ('scheduled_task' in w ? { kind: 'task' as const, name: w.scheduled_task } : { kind: 'service' as const, name: w.windows_service }));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] ?? NaN;
const envelope = () => ({ userId: 1, chatId: 1, chatType: 'private' as const, sentAt: Date.now(), forwarded: false, edited: false });

const parallel: number[] = [];
const sequential: number[] = [];
await app.dispatcher.handleText(envelope(), '/gpu'); // warm the SSH connection
for (let i = 0; i < RUNS; i++) {
  let t = performance.now();
  const out = await app.dispatcher.handleText(envelope(), '/gpu');
  if (out.kind !== 'reply') throw new Error(`/gpu answered ${out.kind}`);
  parallel.push(performance.now() - t);
  t = performance.now();
  await gpu.gpus();
  await gpu.computeApps();
  await gpu.units(units);
  await gpu.loadedModels();
  for (const [name] of gpuServices.slice(0, 6)) await prober.http(`${url}/${name}/health`, { timeoutMs: 5_000 });
  sequential.push(performance.now() - t);
}
console.log(`/gpu against the emulated box, ${RTT} ms added per round trip, ${RUNS} runs`);
console.log(`  parallel (the command, dispatch to text): median ${median(parallel).toFixed(1)} ms, p95 ${p95(parallel).toFixed(1)} ms`);
console.log(`  one after another (same queries):         median ${median(sequential).toFixed(1)} ms, p95 ${p95(sequential).toFixed(1)} ms`);
console.log(`  speed-up x${(median(sequential) / median(parallel)).toFixed(2)}`);
await shell.close();
await box.stop();
http.close();
