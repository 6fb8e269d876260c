import pLimit from 'p-limit';
import { z } from 'zod';
import { OpsError, type ContainerStats, type ContainerSummary } from '../ops/ports';
import { formatBytes } from '../util/bytes';
import { bold, code, html, lines, type Html } from '../util/html';
import { buttonRows, commandButton } from './buttons';
import { defineCommand } from './types';

/**
 * Stats calls in flight at once. Each waits about a second for dockerd's stats collector (one-shot is
 * not honoured by every engine), and dockerd samples all containers in one loop, so waiting on the whole
 * estate at once costs it little: the answer comes in ~1 s instead of ~4 s at 16.
 */
const STATS_CONCURRENCY = 64;
const NEAR_LIMIT = 0.9;

interface Row {
  name: string;
  category: string;
  stats: ContainerStats;
}

const pct = (used: number, of: number) => `${Math.round((used / of) * 100)}%`;

export const mem = defineCommand({
  name: 'mem',
  aliases: ['memory'],
  summary: 'Memory per category against its budget, the top 10, and containers near their limit',
  usage: '/mem',
  role: 'viewer',
  confirm: 'never',
  args: z.object({}),
  async run({ env }) {
    const hosts = env.catalog.estate.docker_hosts;
    const byContainer = new Map(env.catalog.services.filter((s) => s.container).map((s) => [`${s.host}/${s.container}`, s]));
    const limit = pLimit(STATS_CONCURRENCY);
    const started = env.now();
    const unreachable: string[] = [];
    const perHost = await Promise.all(
      hosts.map(async (h) => {
        const runtime = env.docker(h.name);
        if (!runtime) throw new OpsError('unreachable', `no Docker host "${h.name}" is configured`);
        const listed = await runtime.list().catch((err: unknown) => {
          // One host down must not hide the others; with one host only, the error is the answer.
          if (hosts.length === 1) throw err;
          unreachable.push(err instanceof OpsError ? err.message : String(err));
          return [];
        });
        const running = listed.filter((c) => c.state === 'running');
        return Promise.all(
          running.map((c: ContainerSummary) =>
            limit(async (): Promise<Row | undefined> => {
              const stats = await runtime.stats(c.name).catch(() => undefined); // it may stop meanwhile
              const svc = byContainer.get(`${h.name}/${c.name}`);
              return stats && { name: svc?.name ?? c.name, category: svc?.category ?? 'not in estate', stats };
            }),
          ),
        );
      }),
    );
    const rows = perHost.flat().filter((r): r is Row => r !== undefined);
    if (rows.length === 0) return { html: lines([html`No running containers.`, ...unreachable.map((u) => html`⚠️ ${u}`)]) };
    const budgets = env.catalog.estate.memory_budgets as Record<string, number | undefined>;
    const categories = [...new Set(rows.map((r) => r.category))].sort((a, b) => {
      const used = (c: string) => rows.filter((r) => r.category === c).reduce((n, r) => n + r.stats.memoryUsed, 0);
      return used(b) - used(a);
    });
    const total = rows.reduce((n, r) => n + r.stats.memoryUsed, 0);
    const totalBudget = Object.values(budgets).reduce<number>((n, b) => n + (b ?? 0), 0);
    const categoryLines = categories.map((c) => {
      const inCat = rows.filter((r) => r.category === c);
      const used = inCat.reduce((n, r) => n + r.stats.memoryUsed, 0);
      const budget = budgets[c] ?? (inCat.every((r) => r.stats.memoryLimit) ? inCat.reduce((n, r) => n + (r.stats.memoryLimit ?? 0), 0) : undefined);
      const over = budget !== undefined && used > budget;
      return html`${over ? '🔴' : '▫️'} ${c} (${inCat.length}): ${formatBytes(used)}${budget ? ` of ${formatBytes(budget)} (${pct(used, budget)})` : ''}`;
    });
    const top = [...rows].sort((a, b) => b.stats.memoryUsed - a.stats.memoryUsed).slice(0, 10);
    const near = rows.filter((r) => r.stats.memoryLimit && r.stats.memoryUsed >= NEAR_LIMIT * r.stats.memoryLimit);
    const body: Html[] = [
      html`${bold(`Memory: ${formatBytes(total)} in ${rows.length} containers`)}${totalBudget ? ` · budget ${formatBytes(totalBudget)} (${pct(total, totalBudget)})` : ''}`,
      ...categoryLines,
      html``,
      bold('Top 10'),
      ...top.map((r, i) => html`${i + 1}. ${r.name}: ${formatBytes(r.stats.memoryUsed)}${r.stats.memoryLimit ? ` / ${formatBytes(r.stats.memoryLimit)} (${pct(r.stats.memoryUsed, r.stats.memoryLimit)})` : ''}`),
    ];
    if (near.length) {
      body.push(html``, bold(`Above ${NEAR_LIMIT * 100}% of their limit`));
      for (const r of near) body.push(html`⚠️ ${r.name}: ${formatBytes(r.stats.memoryUsed)} of ${formatBytes(r.stats.memoryLimit ?? 0)}`);
    } else body.push(html``, html`No container is above ${NEAR_LIMIT * 100}% of its limit.`);
    for (const u of unreachable) body.push(html`⚠️ ${u}`);
    body.push(html`<i>read in ${((env.now() - started) / 1000).toFixed(1)} s</i>`);
    return { html: lines(body), buttons: buttonRows([commandButton('🔄 Refresh', '/mem', 'edit'), commandButton('💽 Disk', '/disk')]) };
  },
});
