/**
 * One bot-sized process for bench/render.bench.ts, run from an esbuild bundle with plain node as the image runs
 * the bot: the app, the VictoriaMetrics adapter and (unless MODE=words) resvg. It answers `/graph <service> 7d` for
 * every service, RUNS times over, and prints its RSS before, its peak while charting, and its timings, as JSON.
 */
import pino from 'pino';
import { buildApp } from '../../src/app';
import { estateSchema } from '../../src/config/schema';
import { VictoriaMetricsHistory } from '../../src/ops/metrics/victoria-metrics';
import type { PictureRenderer } from '../../src/ops/ports';
import { ResvgRenderer, youngCollector } from '../../src/ops/render/resvg-renderer';
import { MemoryStore } from '../../src/ops/state/memory-store';

const url = process.env.VM_URL ?? '';
const services = Number(process.env.SERVICES ?? 63);
const runs = Number(process.env.RUNS ?? 3);
const mode = process.env.MODE ?? 'collect';

const estate = estateSchema.parse({
  version: 1,
  docker_hosts: [{ name: 'mac-mini', endpoint: 'unix:///nonexistent/docker.sock' }],
  victoria_metrics: { url, query_timeout: '10s' },
  timezone: 'Europe/Berlin',
  services: Array.from({ length: services }, (_, i) => ({ name: `svc-${i}`, container: `mana-svc-${i}`, category: 'web', probe_target: `https://svc-${i}.mana.how/health` })),
  users: [{ id: 1, name: 'bench', role: 'viewer' }],
  policy: { rate_limit: { commands: 100_000, window: '1m' } },
});

const render: number[] = [];
const timed = (inner: PictureRenderer): PictureRenderer => ({
  async png(svg) {
    const t = performance.now();
    const out = await inner.png(svg);
    render.push(performance.now() - t);
    return out;
  },
});
const pictures = mode === 'words' ? undefined : timed(new ResvgRenderer(mode === 'collect' ? { collect: await youngCollector() } : {}));
const app = buildApp(estate, { store: new MemoryStore(), docker: new Map(), history: new VictoriaMetricsHistory({ url, timeoutMs: 10_000 }), log: pino({ level: 'silent' }), ...(pictures && { pictures }) });
const envelope = () => ({ userId: 1, chatId: 1, chatType: 'private' as const, sentAt: Date.now(), forwarded: false, edited: false });

// One command first: code compiled, fonts read, the connection open.
await app.dispatcher.handleText(envelope(), '/graph svc-0 7d');
render.length = 0;
const before = process.memoryUsage().rss;
let peak = before;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
const command: number[] = [];
let photoBytes = 0;
for (let r = 0; r < runs; r++) {
  for (let i = 0; i < services; i++) {
    const t = performance.now();
    const out = await app.dispatcher.handleText(envelope(), `/graph svc-${i} 7d`);
    command.push(performance.now() - t);
    if (out.kind !== 'reply' || (pictures && !out.photo)) throw new Error(`svc-${i}: ${'html' in out ? out.html.value : out.kind}`);
    photoBytes += out.kind === 'reply' && out.photo ? out.photo.png.length : 0;
  }
}
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
process.stdout.write(`${JSON.stringify({ mode, before, peak, after: process.memoryUsage().rss, command, render, photoBytes })}\n`);
