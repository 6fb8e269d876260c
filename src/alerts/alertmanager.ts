import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Catalog } from '../config/catalog';
import type { ChannelReach, Notifier, StateStore } from '../ops/ports';
import { bold, html, type Html } from '../util/html';
import { paginate } from '../util/telegram-text';
import { showEverywhere, type Told } from './living-message';
import { AlertmanagerBook, byStart, type AlertRow, type Group, type State, type Storm } from '../estate/alertmanager-book';
import type { Logger } from '../util/logger';

/** Alertmanager's webhook body, version 4 (with or without notification_reason, which newer versions add). */
export const webhookSchema = z.object({
  version: z.string(),
  groupKey: z.string(),
  truncatedAlerts: z.number().optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: z.record(z.string(), z.string()),
  commonLabels: z.record(z.string(), z.string()),
  commonAnnotations: z.record(z.string(), z.string()),
  externalURL: z.string(),
  notification_reason: z.string().optional(),
  alerts: z.array(
    z.object({
      status: z.enum(['firing', 'resolved']),
      labels: z.record(z.string(), z.string()),
      annotations: z.record(z.string(), z.string()),
      startsAt: z.string(),
      endsAt: z.string(),
      generatorURL: z.string().optional(),
      fingerprint: z.string(),
    }),
  ),
});
export type Webhook = z.infer<typeof webhookSchema>;

export interface IntakeOptions {
  store: StateStore;
  notifier: Notifier;
  catalog: Catalog;
  log: Logger;
  now?: () => number;
  /** How long a new group waits for others: several new groups within it are told as one storm digest. */
  groupWaitMs?: number;
  /** From this many new groups in one wait, a storm digest instead of a message each. */
  stormGroups?: number;
  /** While Telegram is away, flushes wait for it (the webhooks are still taken and kept). */
  reach?: ChannelReach;
}

type Buttons = { text: string; data: string }[][];
const isFiring = (g: Group | undefined) => !!g && Object.values(g.alerts).some((a) => a.status === 'firing');

const row = (a: AlertRow) => html`${a.status === 'firing' ? '🔴' : '✅'} ${a.name}${a.where ? ` · ${a.where}` : ''}${a.summary ? `: ${a.summary}` : ''}`;

/** In a storm digest, where an alert is: its service, else its instance or job. */
const placeOf = (a: AlertRow) => a.service ?? a.where;
/** How many places one digest line lists: a line stays well inside a page, so pages never cut a name. */
const PLACES_PER_LINE = 40;

/**
 * A storm's alerts named compactly: one line per alert name and state, listing where it fires (`🔴 ProbeFailed ·
 * 20: svc-0, svc-25, …`), in the order the names first came. A resolve moves a place from one line to another, so
 * the digest stays a page or two even for 500 alerts, and cheap to bring up to date.
 */
export function digestLines(alerts: readonly AlertRow[]): Html[] {
  const byName = new Map<string, { firing: string[]; resolved: string[] }>();
  for (const a of alerts) {
    const entry = byName.get(a.name) ?? { firing: [], resolved: [] };
    byName.set(a.name, entry);
    (a.status === 'firing' ? entry.firing : entry.resolved).push(placeOf(a) || '?');
  }
  const out: Html[] = [];
  const say = (mark: string, name: string, places: string[]) => {
    for (let i = 0; i < places.length; i += PLACES_PER_LINE) {
      const part = places.slice(i, i + PLACES_PER_LINE).join(', ');
      out.push(i === 0 ? html`${mark} ${name} · ${places.length}: ${part}` : html`${mark} ${name} (more): ${part}`);
    }
  };
  for (const [name, e] of byName) if (e.firing.length) say('🔴', name, e.firing);
  for (const [name, e] of byName) if (e.resolved.length) say('✅', name, e.resolved);
  return out;
}

/**
 * Alertmanager's notifications as living messages. A webhook only updates the state in Redis (so it is
 * answered at once, and nothing is lost while Telegram is away); a flush loop tells what changed: one
 * message per alert group, edited as its alerts fire and resolve. Many new groups at once become one storm
 * digest that names every alert over as many pages as it needs, paced within Telegram's limits.
 */
export class AlertmanagerIntake {
  private lock: Promise<unknown> = Promise.resolve();
  private flushing = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  private readonly book: AlertmanagerBook;

  constructor(private readonly o: IntakeOptions) {
    this.now = o.now ?? Date.now;
    this.book = new AlertmanagerBook(o.store);
  }


  /** Serialises webhook updates and flushes: both read and write the one state record. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lock.then(work, work);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Records the notification; throws (so the webhook answers 503 and Alertmanager retries) only if it cannot be kept. */
  receive(hook: Webhook): Promise<void> {
    return this.exclusive(async () => {
      const key = createHash('sha256').update(hook.groupKey).digest('hex').slice(0, 24);
      const known = await this.book.group(key);
      const group: Group = known ?? {
        key,
        title: Object.entries(hook.groupLabels).map(([k, v]) => `${k}=${v}`).join(', ') || hook.receiver,
        alerts: {},
        truncated: 0,
        firstSeen: this.now(),
        told: [],
      };
      const service = hook.commonLabels.service ?? hook.commonLabels.container;
      if (service) group.service = service;
      group.truncated = hook.truncatedAlerts ?? 0;
      for (const a of hook.alerts) {
        group.alerts[a.fingerprint] = {
          status: a.status,
          name: a.labels.alertname ?? 'alert',
          where: a.labels.instance ?? a.labels.service ?? a.labels.job ?? '',
          ...(a.labels.service !== undefined && { service: a.labels.service }),
          summary: a.annotations.summary ?? a.annotations.description ?? '',
          startsAt: a.startsAt,
          ...(a.generatorURL && { url: a.generatorURL }),
        };
      }
      await this.book.putGroup(group, !known);
    });
  }

  start(everyMs = 1_000): void {
    const tick = () => {
      void this.flush()
        .catch((err: unknown) => this.o.log.warn({ err: (err as Error).message }, 'alertmanager flush failed; retried'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, everyMs);
        });
    };
    this.timer = setTimeout(tick, everyMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.stopped = true;
    await this.lock;
  }

  /**
   * Tells what changed since the last flush; what Telegram refuses stays for the next one. The state is only
   * locked to plan and to record: the paced sending in between never holds up an incoming webhook.
   */
  async flush(): Promise<void> {
    if (this.flushing || this.o.reach?.downSince !== undefined) return;
    this.flushing = true;
    try {
      const plan = await this.exclusive(async () => {
        const state = await this.book.load();
        const now = this.now();
        const wait = this.o.groupWaitMs ?? 3_000;
        const fresh = Object.values(state.groups).filter((g) => g.told.length === 0 && !g.storm && isFiring(g));
        // A storm still firing takes in the groups that come after it: one digest, not a message per late group.
        const open = state.storms.find((x) => x.groups.some((k) => isFiring(state.groups[k])));
        if (open && fresh.length) {
          for (const g of fresh) g.storm = open.id;
          open.groups.push(...fresh.map((g) => g.key));
          await this.book.save(state, fresh.map((g) => g.key));
        }
        // New groups wait; once the oldest has waited long enough they are told, together if there are many.
        else if (fresh.length >= (this.o.stormGroups ?? 3) && fresh.some((g) => now - g.firstSeen >= wait)) {
          const storm: Storm = { id: `storm-${now}`, startedAt: now, groups: fresh.map((g) => g.key), told: [] };
          for (const g of fresh) g.storm = storm.id;
          state.storms.push(storm);
          await this.book.save(state, storm.groups);
        }
        const work: { kind: 'group' | 'storm'; id: string; texts: Html[]; buttons: Buttons; told: Told[] }[] = [];
        for (const storm of state.storms) {
          // The digest names each alert; its summary and source are a tap away, as a file.
          const buttons = storm.groups.some((k) => isFiring(state.groups[k])) ? [[{ text: '📄 Details', data: 's:/alerts am' }]] : [];
          work.push({ kind: 'storm', id: storm.id, texts: this.stormTexts(state, storm), buttons, told: structuredClone(storm.told) });
        }
        for (const g of Object.values(state.groups)) {
          if (g.storm || (g.told.length === 0 && (!isFiring(g) || now - g.firstSeen < wait))) continue;
          work.push({ kind: 'group', id: g.key, texts: this.groupTexts(g), buttons: isFiring(g) ? this.buttons(g) : [], told: structuredClone(g.told) });
        }
        return work;
      });
      for (const w of plan) await this.show(w.told, w.texts, w.buttons);
      await this.exclusive(async () => {
        const state = await this.book.load();
        const changed = new Set<string>();
        for (const w of plan) {
          const target = w.kind === 'storm' ? state.storms.find((x) => x.id === w.id) : state.groups[w.id];
          if (target) target.told = w.told;
          if (w.kind === 'group') changed.add(w.id);
        }
        // Forget what is resolved and shown as such.
        const shownResolved = (told: Told[]) => told.every((t) => t.shown?.startsWith('✅'));
        const closed = new Set(state.storms.filter((x) => x.groups.every((k) => !isFiring(state.groups[k])) && shownResolved(x.told)).map((x) => x.id));
        state.storms = state.storms.filter((x) => !closed.has(x.id));
        const removed: string[] = [];
        for (const [key, g] of Object.entries(state.groups)) {
          if (!isFiring(g) && (g.storm ? closed.has(g.storm) : shownResolved(g.told))) {
            delete state.groups[key];
            removed.push(key);
          }
        }
        await this.book.save(state, [...changed].filter((k) => !removed.includes(k)), removed);
      });
    } finally {
      this.flushing = false;
    }
  }

  private buttons(g: Group) {
    const svc = g.service ? this.o.catalog.findService(g.service) : undefined;
    return svc?.container ? [[{ text: '📜 Logs', data: `s:/logs ${svc.name}` }, { text: '🔁 Restart', data: `s:/restart ${svc.name}` }]] : [];
  }

  private async show(told: Told[], texts: Html[], buttons: Buttons): Promise<void> {
    await showEverywhere(this.o.notifier, this.o.catalog.estate.chats.alerts, told, texts, {
      buttons,
      onError: (chatId, err) => this.o.log.warn({ chatId, err: err.message }, 'alert not delivered yet; kept for the next flush'),
    });
  }

  private groupTexts(g: Group): Html[] {
    const all = Object.values(g.alerts).sort(byStart);
    const firing = all.filter((a) => a.status === 'firing');
    const texts = firing.length
      ? paginate(
          (p, of) =>
            html`🔥 ${bold(g.title)} · ${firing.length} firing${all.length > firing.length ? `, ${all.length - firing.length} resolved` : ''} (Alertmanager)${of > 1 ? ` · ${p}/${of}` : ''}${g.truncated && p === 1 ? `\n(${g.truncated} more not sent by Alertmanager)` : ''}`,
          all.map(row),
        )
      : [html`✅ ${bold(g.title)} resolved · ${all.length} alert${all.length === 1 ? '' : 's'} (Alertmanager)`];
    // A page that is no longer needed says so rather than keep showing old alerts.
    for (const t of g.told) if ((t.page ?? 0) >= texts.length) texts[t.page ?? 0] = html`✅ ${bold(g.title)} (continued): resolved`;
    return texts;
  }

  private stormTexts(state: State, storm: Storm): Html[] {
    const groups = storm.groups.map((k) => state.groups[k]).filter((g): g is Group => g !== undefined);
    const alerts = groups.flatMap((g) => Object.values(g.alerts));
    const firing = alerts.filter((a) => a.status === 'firing');
    const at = this.o.catalog.time.hmZone(storm.startedAt);
    // Only the first page carries the counts: a page that did not change is not edited again.
    const texts = firing.length
      ? paginate(
          (p) =>
            p === 1
              ? html`🌪 ${bold('Alert storm')} since ${at} · ${firing.length} firing, ${alerts.length - firing.length} resolved, in ${groups.length} groups (Alertmanager)`
              : html`🌪 ${bold('Alert storm')} since ${at} (continued, page ${p})`,
          digestLines(alerts),
        )
      : [html`✅ ${bold('Alert storm')} of ${at} resolved · all ${alerts.length} alerts (Alertmanager)`];
    for (const t of storm.told) if ((t.page ?? 0) >= texts.length) texts[t.page ?? 0] = html`✅ ${bold('Alert storm')} of ${at} (continued): resolved`;
    return texts;
  }
}
