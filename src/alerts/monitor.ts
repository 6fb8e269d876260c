import pLimit from 'p-limit';
import type { Catalog } from '../config/catalog';
import { NO_METRICS, type FallbackChannel, type Metrics, type Notifier, type StateStore } from '../ops/ports';
import { formatDuration } from '../util/duration';
import { bold, Html, html, lines as joinLines } from '../util/html';
import { fitHtml } from '../util/telegram-text';
import type { Logger } from '../util/logger';
import { withTimeout } from '../util/with-timeout';
import { SweepContext, type CheckDef, type CheckDeps, type CheckResult } from './checks';
import { DEFAULT_POLICY, initialState, step, type IncidentPolicy, type IncidentState, type Transition } from './incident';
import { Leadership } from './leadership';
import { showEverywhere, type Told } from './living-message';
import { maintenanceFor } from './maintenance';
import { STORM_SIZE, StormBook, type StormMember } from './storms';
import { Acks, type Ack } from '../estate/acks';
import { OpenIncidents, type OpenIncident } from '../estate/open-incidents';
import { Silences, type Silence } from '../estate/silences';

type Buttons = { text: string; data: string }[][];

/** What is kept per check, in the state store, so a restart of the bot neither repeats nor misses a message. */
interface Tracked {
  state: IncidentState;
  /** The living message in each alert chat while the incident is told, with the text it shows. */
  messages: Told[];
  /** Written by older versions: the text all messages showed. */
  shown?: string;
  /** A recovery that could not be delivered yet. */
  resolvePending?: boolean;
  /** When the told incident started failing, for "recovered after …". */
  failedAt?: number;
  /** The storm summary this incident was told in, instead of a message of its own. */
  stormId?: string;
  /** Told through the fallback channel while Telegram was down. */
  fallbackSent?: boolean;
  /** Reminders and flapping notices not yet taken by every alert chat: kept with the incident, sent in order. */
  notices?: { text: string; chats: number[] }[];
}

export interface MonitorOptions {
  checks: CheckDef[];
  deps: CheckDeps;
  store: StateStore;
  notifier: Notifier;
  catalog: Catalog;
  log: Logger;
  now: () => number;
  instanceId: string;
  policy?: IncidentPolicy;
  concurrency?: number;
  /** Spread of the first run and of each interval, so checks do not all fire on the same second. */
  jitterRatio?: number;
  /** When Telegram has taken nothing for `afterMs`, firing incidents also go once to this channel. */
  fallback?: { channel: FallbackChannel; afterMs: number };
  metrics?: Metrics;
  /** The bot's own reach (Docker socket, DNS, …), asked when a storm begins: is it the estate, or the monitor? */
  canary?: () => Promise<{ name: string; ok: boolean; detail?: string }[]>;
}

/**
 * Runs the checks on their schedule (bounded concurrency: one hanging endpoint delays nothing), moves each
 * incident through its state machine, and keeps one living message per incident in every alert chat.
 * Delivery is derived from state: a message that could not be sent is sent on the next sweep.
 */
export class Monitor {
  private readonly tracked = new Map<string, Tracked>();
  private readonly storms: StormBook;
  private readonly leadership: Leadership;
  private readonly dueAt = new Map<string, number>();
  private readonly silences: Silences;
  private readonly acks: Acks;
  private readonly openIncidents: OpenIncidents;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly policy: IncidentPolicy;
  /** Since when every send to Telegram has failed; undefined while it works. */
  private telegramDownSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly o: MonitorOptions) {
    this.silences = new Silences(o.store, o.now);
    this.acks = new Acks(o.store);
    this.openIncidents = new OpenIncidents(o.store);
    this.limit = pLimit(o.concurrency ?? 16);
    this.policy = o.policy ?? DEFAULT_POLICY;
    this.storms = new StormBook(o.store, o.notifier, () => o.catalog.estate.chats.alerts, o.log);
    this.leadership = new Leadership(o.store, o.instanceId);
  }

  /** Whether this instance runs the checks (the other instances follow). */
  get leading(): boolean {
    return this.leadership.leading;
  }

  /** Loads what the last run knew; a check without a record starts as ok. */
  async load(): Promise<void> {
    const now = this.o.now();
    for (const def of this.o.checks) {
      const raw = await this.o.store.get(`incident:${def.id}`).catch(() => null);
      this.tracked.set(def.id, raw ? upgrade(JSON.parse(raw) as Tracked) : { state: initialState(now), messages: [] });
      this.dueAt.set(def.id, now + Math.random() * (this.o.jitterRatio ?? 0) * def.intervalMs);
    }
    await this.storms.load();
  }

  start(tickMs = 5_000): void {
    const tick = () => {
      this.running = this.sweep()
        .catch((err: unknown) => this.o.log.error({ err: (err as Error).message }, 'monitor sweep failed'))
        .finally(() => {
          this.timer = setTimeout(tick, tickMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await this.running;
    await this.leadership.release();
  }

  /** Runs the checks that are due, then delivers what changed. Tests call it directly with their own clock. */
  async sweep(): Promise<void> {
    if (!(await this.leadership.renew())) return;
    const now = this.o.now();
    const sweep = new SweepContext(this.o.deps);
    const due = this.o.checks.filter((d) => (this.dueAt.get(d.id) ?? 0) <= now);
    const results = await Promise.all(
      due.map((def) =>
        this.limit(async (): Promise<[CheckDef, CheckResult]> => {
          const started = performance.now();
          let result: CheckResult;
          try {
            result = await withTimeout(def.run(sweep), def.timeoutMs + 1_000, () => new Error(`no result within ${formatDuration(def.timeoutMs)}`));
          } catch (err) {
            result = { ok: false, detail: (err as Error).message };
          }
          (this.o.metrics ?? NO_METRICS).check(def.id, result.ok, performance.now() - started);
          return [def, result];
        }),
      ),
    );
    const transitions = new Map<string, Transition>();
    for (const [def, result] of results) {
      const t = this.tracked.get(def.id) ?? { state: initialState(now), messages: [] };
      const next = step(t.state, result, this.o.now(), this.policy);
      this.tracked.set(def.id, { ...t, state: next.state });
      transitions.set(def.id, next.transition);
      const jitter = 1 + (Math.random() - 0.5) * (this.o.jitterRatio ?? 0);
      this.dueAt.set(def.id, now + def.intervalMs * jitter);
    }
    const changed = new Set(due.map((d) => d.id));
    await this.gatherStorm(changed);
    for (const def of this.o.checks) {
      const before = JSON.stringify(this.tracked.get(def.id));
      await this.deliver(def, transitions.get(def.id));
      if (JSON.stringify(this.tracked.get(def.id)) !== before) changed.add(def.id);
    }
    const closed = await this.storms.tell((id) => this.stormMember(id), this.o.checks.length, this.o.now());
    for (const t of this.tracked.values()) if (t.stormId && closed.has(t.stormId)) t.stormId = undefined;
    await this.persist([...changed]);
  }

  /** A silence, or a maintenance window of the estate file, covering this check now. */
  private async quieted(def: CheckDef): Promise<Silence | { maintenance: string } | undefined> {
    const window = maintenanceFor(this.o.catalog.estate.maintenance, def.service?.name, this.o.now());
    if (window) return { maintenance: window.name };
    return this.silences.covering(def.service?.name, def.id).catch(() => undefined);
  }

  /** Incidents about to be told for the first time: not silenced, not folded under a parent, not told yet. */
  private async untold(): Promise<CheckDef[]> {
    const out: CheckDef[] = [];
    for (const def of this.o.checks) {
      const t = this.tracked.get(def.id);
      if (!t || t.state.status !== 'firing' || t.state.flapping || t.messages.length || t.stormId || this.firingAncestor(def)) continue;
      if (await this.quieted(def)) continue;
      out.push(def);
    }
    return out;
  }

  private async gatherStorm(changed: Set<string>): Promise<void> {
    const fresh = await this.untold();
    if (fresh.length < STORM_SIZE) return;
    const reach = await this.o.canary?.().catch((err: Error) => [{ name: 'canary', ok: false, detail: err.message }]);
    const said = reach?.length ? reach.map((r) => `${r.ok ? '✅' : '❌'} ${r.name}${r.detail ? ` (${r.detail})` : ''}`).join(' · ') : undefined;
    const storm = this.storms.open(fresh.map((d) => d.id), this.o.now(), said);
    for (const def of fresh) {
      (this.tracked.get(def.id) as Tracked).stormId = storm.id;
      changed.add(def.id);
    }
  }

  private stormMember(id: string): StormMember {
    const def = this.o.checks.find((c) => c.id === id);
    const t = this.tracked.get(id);
    return { name: def?.service?.name ?? def?.label ?? '?', failing: t?.state.status !== 'ok', detail: t?.state.detail ?? def?.label ?? '' };
  }

  /** The failing service this one depends on, if any: its incident tells about this one too. */
  private firingAncestor(def: CheckDef): CheckDef | undefined {
    if (!def.service) return undefined;
    const ancestors = new Set<string>();
    const queue = [...def.service.depends_on];
    while (queue.length) {
      const name = queue.shift() as string;
      if (ancestors.has(name)) continue;
      ancestors.add(name);
      queue.push(...(this.o.catalog.findService(name)?.depends_on ?? []));
    }
    return this.o.checks.find((c) => c.service && ancestors.has(c.service.name) && this.tracked.get(c.id)?.state.status === 'firing');
  }

  private folded(parent: CheckDef): string[] {
    return this.o.checks
      .filter((c) => c !== parent && this.tracked.get(c.id)?.state.status === 'firing' && this.firingAncestor(c) === parent)
      .map((c) => c.service?.name ?? c.id);
  }

  private async deliver(def: CheckDef, transition: Transition): Promise<void> {
    const t = this.tracked.get(def.id);
    if (!t) return;
    await this.sendNotices(t);
    const { state } = t;
    if (t.stormId) return; // told, and resolved, in its storm's summary
    if (state.status === 'ok' && t.messages.length === 0) t.fallbackSent = undefined;
    const firing = state.status === 'firing' && !state.flapping;
    const resolving = state.status === 'ok' && (t.messages.length > 0 || t.resolvePending);
    // Most checks are fine most of the time: no silence or ack to look up in Redis for them.
    if (!firing && !resolving && transition !== 'flapping') return;
    const silence = await this.quieted(def);
    if (firing) {
      const ack = await this.acks.get(def.id).catch(() => undefined);
      if (t.messages.length === 0) {
        if (silence || this.firingAncestor(def)) return; // tracked quietly; told when the silence ends, or by the parent
        await this.show(def, t, this.render(def, t, ack), this.buttons(def), true);
        return;
      }
      if (transition === 'remind' && !ack && !silence) {
        await this.notice(t, html`⏰ Still failing for ${formatDuration(this.o.now() - (state.failingSince ?? state.since))}: ${bold(nameOf(def))} · ${state.detail ?? ''}`);
      }
      await this.show(def, t, this.render(def, t, ack), this.buttons(def), true);
      return;
    }
    if (transition === 'flapping' && !silence) {
      await this.notice(t, html`〰️ ${bold(nameOf(def))} is flapping (${state.flips.length} changes within ${formatDuration(this.policy.flapWindowMs)}): held until it is stable.`);
    }
    if (resolving) {
      const after = t.failedAt !== undefined ? ` after ${formatDuration(this.o.now() - t.failedAt)}` : '';
      const text = html`✅ ${bold(nameOf(def))} recovered${after} · ${def.label}${state.detail ? ` (was: ${state.detail})` : ''}`;
      if (await this.show(def, t, text, [], false)) {
        t.messages = [];
        t.resolvePending = false;
        t.failedAt = undefined;
        t.fallbackSent = undefined;
        await this.acks.clear(def.id).catch(() => undefined);
      } else t.resolvePending = true;
    }
  }

  private render(def: CheckDef, t: Tracked, ack: Ack | undefined): Html {
    const s = t.state;
    const children = this.folded(def);
    const since = new Date(s.failingSince ?? s.since).toISOString().slice(11, 16);
    const dependants = def.service ? this.o.catalog.dependantsOf(def.service.name).map((x) => x.name) : [];
    const body = joinLines([
      html`🔴 ${bold(nameOf(def))} failing: ${def.label}`,
      ...(s.detail ? [html`${s.detail}`] : []),
      html`since ${since} UTC`,
      ...(children.length ? [html`Also failing because of it: ${children.join(', ')}`] : dependants.length ? [html`Affects: ${dependants.join(', ')}`] : []),
      ...(ack ? [html`👀 acknowledged by ${ack.by}`] : []),
    ]);
    return fitHtml(body, undefined, '… and more').html;
  }

  private buttons(def: CheckDef): Buttons {
    const svc = def.service;
    const target = svc?.name ?? def.id;
    const row: { text: string; data: string }[] = [
      { text: '👀 Ack', data: `s:/ack ${target}` },
      { text: '🔕 Silence 1h', data: `s:/silence ${target} 1h` },
    ];
    if (svc?.container) row.push({ text: '🔁 Restart', data: `s:/restart ${svc.name}` }, { text: '📜 Logs', data: `s:/logs ${svc.name}` });
    else if (svc?.windows) row.push({ text: '🔁 Restart', data: `s:/gpu restart ${svc.name}` });
    return [row.filter((b) => Buffer.byteLength(b.data) <= 64)];
  }

  /**
   * Shows the incident's living message in every alert chat (`sendMissing`: a chat not told yet is told;
   * otherwise only what was told is edited). True when every chat shows it.
   */
  private async show(def: CheckDef, t: Tracked, text: Html, buttons: Buttons, sendMissing: boolean): Promise<boolean> {
    const first = t.messages.length === 0;
    const { complete, delivered } = await showEverywhere(this.o.notifier, this.o.catalog.estate.chats.alerts, t.messages, [text], {
      buttons,
      sendMissing,
      onError: (chatId, err) => {
        this.telegramDownSince ??= this.o.now();
        this.o.log.warn({ check: def.id, chatId, err: err.message }, 'alert not delivered; retried next sweep');
      },
    });
    if (delivered > 0) this.telegramDownSince = undefined;
    if (!sendMissing) return complete;
    if (t.messages.length > 0) t.failedAt ??= t.state.failingSince ?? t.state.since;
    await this.fallBack(def, t);
    // Reminders count from when the admin was told (after a silence, or after Telegram was away).
    if (first && t.messages.length > 0) t.state = { ...t.state, reminders: 0, nextReminderAt: this.o.now() + this.policy.firstReminderMs };
    return complete;
  }

  /** Telegram has taken nothing for a while: this incident goes once through the fallback channel. */
  private async fallBack(def: CheckDef, t: Tracked): Promise<void> {
    const fb = this.o.fallback;
    if (!fb || t.messages.length > 0 || t.fallbackSent || this.telegramDownSince === undefined) return;
    if (this.o.now() - this.telegramDownSince < fb.afterMs) return;
    const name = def.service?.name ?? def.label;
    try {
      await fb.channel.notify(`mana-ops: ${name} failing`, `${name}: ${def.label}\n${t.state.detail ?? ''}\nTelegram has not been reachable for ${formatDuration(this.o.now() - this.telegramDownSince)}.`);
      t.fallbackSent = true;
    } catch (err) {
      this.o.log.error({ err: (err as Error).message }, 'fallback channel failed too');
    }
  }

  /** Queues a notice with the incident (so it survives Telegram being away, and a restart) and tries it now. */
  private async notice(t: Tracked, text: Html): Promise<void> {
    t.notices = [...(t.notices ?? []), { text: text.value, chats: [...this.o.catalog.estate.chats.alerts] }];
    await this.sendNotices(t);
  }

  private async sendNotices(t: Tracked): Promise<void> {
    for (const n of t.notices ?? []) {
      for (const chatId of [...n.chats]) {
        try {
          await this.o.notifier.send(chatId, new Html(n.text));
          n.chats = n.chats.filter((c) => c !== chatId);
          this.telegramDownSince = undefined;
        } catch {
          this.telegramDownSince ??= this.o.now();
          return; // keep the order: later notices wait for this one
        }
      }
    }
    t.notices = (t.notices ?? []).filter((n) => n.chats.length > 0);
    if (t.notices.length === 0) delete t.notices;
  }

  private async persist(ids: string[]): Promise<void> {
    const open: OpenIncident[] = [];
    for (const def of this.o.checks) {
      const t = this.tracked.get(def.id);
      if (!t || t.state.status === 'ok') continue;
      const silence = await this.quieted(def);
      const ack = await this.acks.get(def.id).catch(() => undefined);
      open.push({
        check: def.id,
        ...(def.service && { service: def.service.name }),
        label: def.label,
        status: t.state.status,
        since: t.state.failingSince ?? t.state.since,
        ...(t.state.detail !== undefined && { detail: t.state.detail }),
        silenced: !!silence,
        ...(ack && { acked: ack.by }),
        flapping: t.state.flapping,
      });
    }
    (this.o.metrics ?? NO_METRICS).incidents(open.filter((o) => o.status === 'firing').length, open.filter((o) => o.status === 'pending').length);
    try {
      for (const id of ids) await this.o.store.set(`incident:${id}`, JSON.stringify(this.tracked.get(id)));
      await this.openIncidents.write(open);
    } catch (err) {
      // Kept in memory; written when the store is back (every sweep writes the checks it ran).
      this.o.log.warn({ err: (err as Error).message }, 'incident state not persisted: state store unavailable');
    }
  }
}

const nameOf = (def: CheckDef) => def.service?.name ?? def.label;

/** A record written before each message carried its own text: every message showed `shown`. */
function upgrade(t: Tracked): Tracked {
  if (t.shown === undefined) return t;
  const { shown, ...rest } = t;
  return { ...rest, messages: rest.messages.map((m) => ({ ...m, shown: m.shown ?? shown })) };
}
