import pLimit from 'p-limit';
import { z } from 'zod';
import { OpsError, type ContainerStats, type ContainerSummary } from '../ops/ports';
import { formatBytes } from '../util/bytes';
import { bold, code, html, lines, type Html } from '../util/html';
import { buttonRows, commandButton } from './buttons';
import { defineCommand, type CommandEnv, type Reply } from './types';
import { barChartSvg } from '../charts/bar-chart';
import { THEMES } from '../charts/theme';

/** Each category's use against its budget as bars; the text figures are the caption. */
interface CategoryUse {
  category: string;
  count: number;
  used: number;
  budget: number | undefined;
  caption: string;
}

const categoryLine = (c: CategoryUse) => html`${c.budget !== undefined && c.used > c.budget ? '🔴' : '▫️'} ${c.category} (${c.count}): ${c.caption}`;

async function memChart(env: CommandEnv, heading: { counted: string; ofBudget: string }, perCategory: CategoryUse[], unreachable: string[], readIn: string, theme: 'light' | 'dark'): Promise<Reply> {
  const now = env.now();
  const caption = lines([html`${bold(heading.counted)}${heading.ofBudget}`, ...perCategory.map(categoryLine), ...unreachable.map((u) => html`⚠️ ${u}`)]);
  const buttons = buttonRows([commandButton('🔄 Refresh', `/mem chart${theme === 'dark' ? ' theme=dark' : ''}`), commandButton('📝 As text', '/mem')]);
  if (!env.pictures) return { html: caption, buttons };
  const svg = barChartSvg(
    {
      title: 'Memory per category',
      subtitle: `${heading.counted.replace(/^Memory: /, '')}${heading.ofBudget}`,
      rows: perCategory.map((c) => ({ label: `${c.category} (${c.count})`, used: c.used, ...(c.budget !== undefined && { of: c.budget }), caption: c.caption })),
      footnote: `bars: in use · track and mark: the budget (handbook) or the containers' mem_limit · ${readIn} · ${env.catalog.time.stamp(now)}`,
    },
    THEMES[theme],
  );
  try {
    const png = await env.pictures.png(svg);
    return { html: caption, buttons, photo: { filename: `mem-${env.catalog.time.date(now)}.png`, png, alt: `Memory per category: ${heading.counted}${heading.ofBudget}` } };
  } catch (err) {
    return { html: lines([caption, html`⚠️ The chart could not be drawn (${(err as Error).message}).`]), buttons, failed: 'render' };
  }
}

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
  usage: '/mem [chart] [theme=light|dark]',
  role: 'viewer',
  confirm: 'never',
  examples: ['/mem', '/mem chart'],
  params: [{ name: 'view' }, { name: 'theme', namedOnly: true }],
  args: z.object({
    view: z.enum(['text', 'chart'], { message: '/mem, or /mem chart for a picture' }).default('text'),
    theme: z.enum(['light', 'dark'], { message: 'theme=light or theme=dark' }).default('light'),
  }),
  async run({ args, env }) {
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
    const perCategory = categories.map((c): CategoryUse => {
      const inCat = rows.filter((r) => r.category === c);
      const used = inCat.reduce((n, r) => n + r.stats.memoryUsed, 0);
      // The handbook's budget, else the sum of the containers' limits where each has one.
      const budget = budgets[c] ?? (inCat.every((r) => r.stats.memoryLimit) ? inCat.reduce((n, r) => n + (r.stats.memoryLimit ?? 0), 0) : undefined);
      return { category: c, count: inCat.length, used, budget, caption: `${formatBytes(used)}${budget ? ` of ${formatBytes(budget)} (${pct(used, budget)})` : ''}` };
    });
    const readIn = `read in ${((env.now() - started) / 1000).toFixed(1)} s`;
    const counted = `Memory: ${formatBytes(total)} in ${rows.length} containers`;
    const ofBudget = totalBudget ? ` · budget ${formatBytes(totalBudget)} (${pct(total, totalBudget)})` : '';
    if (args.view === 'chart') return memChart(env, { counted, ofBudget }, perCategory, unreachable, readIn, args.theme);
    const categoryLines = perCategory.map(categoryLine);
    const top = [...rows].sort((a, b) => b.stats.memoryUsed - a.stats.memoryUsed).slice(0, 10);
    const near = rows.filter((r) => r.stats.memoryLimit && r.stats.memoryUsed >= NEAR_LIMIT * r.stats.memoryLimit);
    const body: Html[] = [
      html`${bold(counted)}${ofBudget}`,
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
    body.push(html`<i>${readIn}</i>`);
    return { html: lines(body), buttons: buttonRows([commandButton('🔄 Refresh', '/mem', 'edit'), commandButton('📊 Chart', '/mem chart'), commandButton('💽 Disk', '/disk')]) };
  },
});
