import { isDeepStrictEqual } from 'node:util';
import type { App } from './app';
import type { CheckDef } from './alerts/checks';
import type { ReloadResult } from './commands/types';
import { ConfigError, loadEstateFile } from './config/load';
import type { Estate } from './config/schema';
import type { Logger } from './util/logger';

export interface ReloaderOptions {
  file: string;
  app: App;
  /** What the front-end does to every estate it runs (the console adds its stand-in users). */
  prepare: (estate: Estate) => Estate;
  /** The monitor running the checks, if any: it takes the new list. */
  adoptChecks?: (checks: CheckDef[]) => Promise<unknown>;
  /** After a reload that changed something (the Telegram menus follow the users). */
  onReloaded?: () => void;
  log: Logger;
}

/** The parts connections are made from at start: a change there needs a restart, so a reload refuses it. */
const CONNECTIONS = ['docker_hosts', 'gpu_box', 'mac_host', 'cloudflare'] as const;

const names = (list: readonly { name: string }[]) => new Set(list.map((x) => x.name));
const diff = (before: Set<string>, after: Set<string>) => ({ added: [...after].filter((x) => !before.has(x)), removed: [...before].filter((x) => !after.has(x)) });
const listed = (words: string[]) => (words.length > 6 ? `${words.slice(0, 6).join(', ')} and ${words.length - 6} more` : words.join(', '));

/** What changed between two estates, one line each, for the admin who asked. */
function changesBetween(before: Estate, after: Estate, checks: { before: number; after: number }): string[] {
  const out: string[] = [];
  const services = diff(names(before.services), names(after.services));
  if (services.added.length) out.push(`services added: ${listed(services.added)}`);
  if (services.removed.length) out.push(`services removed: ${listed(services.removed)}`);
  const kept = after.services.filter((s) => !services.added.includes(s.name));
  const changed = kept.filter((s) => !isDeepStrictEqual(s, before.services.find((b) => b.name === s.name)));
  if (changed.length) out.push(`services changed: ${listed(changed.map((s) => s.name))}`);
  if (checks.before !== checks.after) out.push(`checks: ${checks.before} → ${checks.after}`);
  const users = diff(new Set(before.users.map((u) => `${u.name} (${u.role})`)), new Set(after.users.map((u) => `${u.name} (${u.role})`)));
  if (users.added.length || users.removed.length) out.push(`users: ${[...users.added.map((u) => `+${u}`), ...users.removed.map((u) => `−${u}`)].join(', ')}`);
  for (const key of ['chats', 'maintenance', 'policy', 'timezone', 'tunnels', 'disks', 'disk_thresholds', 'memory_budgets'] as const) {
    if (!isDeepStrictEqual(before[key], after[key])) out.push(`${key} changed`);
  }
  return out;
}

/**
 * Reads the estate file again and puts it in force without a restart (SIGHUP, /reload). An invalid file is
 * refused with its problems and the one in force keeps running; so is a change to what connections are made
 * from, which needs a restart. One reload at a time.
 */
export class EstateReloader {
  private running: Promise<ReloadResult> | undefined;

  constructor(private readonly o: ReloaderOptions) {}

  reload(by: string): Promise<ReloadResult> {
    this.running ??= this.attempt(by).finally(() => (this.running = undefined));
    return this.running;
  }

  private async attempt(by: string): Promise<ReloadResult> {
    const { app, file, log } = this.o;
    let next: Estate;
    try {
      next = this.o.prepare(await loadEstateFile(file));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      log.warn({ by, file, problems: err.problems }, 'estate file not reloaded: it has problems; the one in force keeps running');
      return { ok: false, file, problems: err.problems };
    }
    const before = app.catalog.estate;
    const moved = CONNECTIONS.filter((key) => !isDeepStrictEqual(before[key], next[key]));
    if (moved.length) {
      const problems = moved.map((key) => `${key} changed: its connections are made at start, so this needs a restart (docker compose -f docker-compose.bot.yml restart bot)`);
      log.warn({ by, file, changed: moved }, 'estate file not reloaded: connection settings changed, restart the bot to apply it');
      return { ok: false, file, problems };
    }
    const checksBefore = app.checks.length;
    app.catalog.adopt(next);
    app.checks = app.checksFor(app.catalog);
    await this.o.adoptChecks?.(app.checks);
    const changes = changesBetween(before, next, { before: checksBefore, after: app.checks.length });
    log.info({ by, file, changes }, changes.length ? 'estate file reloaded' : 'estate file reloaded: nothing changed');
    if (changes.length) this.o.onReloaded?.();
    return { ok: true, file, changes };
  }
}
