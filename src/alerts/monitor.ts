import type { Catalog } from '../config/catalog';
import { NO_METRICS, type ChannelReach, type FallbackChannel, type Metrics, type Notifier, type StateStore } from '../ops/ports';
import { formatDuration } from '../util/duration';
import { bold, Html, html, lines as joinLines } from '../util/html';
import { fitHtml } from '../util/telegram-text';
import type { Logger } from '../util/logger';
import { withTimeout } from '../util/with-timeout';
import { AwayLog } from './catch-up';
import { ChatLanes } from './chat-lanes';
import { CheckSchedule } from './check-schedule';
import { SweepContext, type CheckDef, type CheckDeps, type CheckResult } from './checks';
import { DEFAULT_POLICY, initialState, sameState, step, type IncidentPolicy, type IncidentState, type Transition } from './incident';
import { Leadership } from './leadership';
import { owedIn, showIn, showsEverywhere, type LivingView, type Told } from './living-message';
import { maintenanceFor } from './maintenance';
import { NoticeQueue } from './notice-queue';
import { STORM_SIZE, StormBook, type StormMember } from './storms';
import { Acks, type Ack } from '../estate/acks';
import type { CheckHistory } from '../estate/check-history';
import { isHttpCheckId } from '../estate/check-ids';
import { IncidentLog, type IncidentMark } from '../estate/incident-log';
import { OpenIncidents, type OpenIncident } from '../estate/open-incidents';
import { Silences, type Silence, type SilencesInForce } from '../estate/silences';

type Buttons = { text: string; data: string }[][];

/** What is kept per check, in the state store, so a restart of the bot neither repeats nor misses a message. */
interface Tracked {
  state: IncidentState;
  /** The living message in each alert chat while the incident is told, with the text it shows. */
  messages: Told[];
  /** Written by older versions: the text all messages showed. */
  shown?: string;
  /** When the told incident started failing, for "recovered after …". */
  failedAt?: number;
  /** The storm summary this incident was told in, instead of a message of its own. */
  stormId?: string;
  /** Told through the fallback channel while Telegram was down. */
  fallbackSent?: boolean;
  /** Written by older versions: notices kept with the incident (now in the notice queue). */
  notices?: { text: string; chats: number[] }[];
}

/** The silences and acks in force at a judgement: read once for all checks, in two round trips. */
interface Quiet {
  silences?: SilencesInForce;
  acks: ReadonlyMap<string, Ack>;
}

/** What an incident's messages should show now; a recovery only edits what was told. */
type IncidentView = LivingView & { recovery: boolean };

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
  /** Spread of the first run and of each interval, so checks do not all fire on the same second. */
  jitterRatio?: number;
  /** When Telegram has taken nothing for `afterMs`, firing incidents also go once to this channel. */
  fallback?: { channel: FallbackChannel; afterMs: number };
  metrics?: Metrics;
  /** The bot's own reach (Docker socket, DNS, …), asked when a storm begins: is it the estate, or the monitor? */
  canary?: () => Promise<{ name: string; ok: boolean; detail?: string }[]>;
  /** Whether Telegram takes messages: delivery waits for it; the fallback and the catch-up message go by it. */
  reach?: ChannelReach;
  /** Results arriving within this long are judged together (a storm is several incidents at once). */
  gatherMs?: number;
  /** How often the leader renews its lease, and a follower looks whether the leader is gone. */
  leaseEveryMs?: number;
  /** The wait after Telegram refused a delivery, by consecutive failures. */
  retryMs?: (failures: number) => number;
  /** Keeps every result, for charts and uptime where the estate has no VictoriaMetrics. */
  history?: CheckHistory;
}

/**
 * Runs each check on its own clock, moves each incident through its state machine, and keeps one living
 * message per incident in every alert chat. Checking never waits for telling: results are judged into what
 * each chat should show, and one delivery lane per chat brings its chat up to date on its own, waiting for
 * Telegram while it is away. Delivery is derived from state, so what could not be sent is sent later, once.
 */
export class Monitor {
  private readonly tracked = new Map<string, Tracked>();
  private readonly views = new Map<string, IncidentView>();
  /** Transitions since the last judgement, by check. */
  private readonly transitions = new Map<string, Transition>();
  private readonly storms: StormBook;
  private readonly leadership: Leadership;
  private readonly schedule: CheckSchedule;
  private readonly lanes: ChatLanes;
  private readonly notices: NoticeQueue;
  private readonly away: AwayLog;
  private readonly silences: Silences;
  private readonly acks: Acks;
  private readonly openIncidents: OpenIncidents;
  private readonly incidentLog: IncidentLog;
  private index: { of: CheckDef[]; byId: Map<string, CheckDef>; byService: Map<string, CheckDef[]>; order: Map<CheckDef, number> } | undefined;
  /** Fired and resolved transitions since the last judgement, for the incident log. */
  private readonly marks: IncidentMark[] = [];
  /** One container list per Docker host shared by the checks that ask within a second of each other. */
  private readonly context: SweepContext;
  private quiet: Quiet = { acks: new Map() };
  /** The open list as last written: written again only when it changes. */
  private openWritten: string | undefined;
  private readonly policy: IncidentPolicy;
  private readonly dirty = new Set<string>();
  private readonly fallbackInFlight = new Set<string>();
  /** The last write failed: once the store takes writes again, everything is written (it may have lost it all). */
  private storeLost = false;
  private judging: Promise<void> = Promise.resolve();
  private judgeTimer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> | undefined;
  private saveAgain = false;
  private followed = false;
  /** start() was called: checks run on their own clocks (tests drive sweep() instead). */
  private started = false;
  private stopped = false;
  private firstLease: Promise<void> = Promise.resolve();

  constructor(private o: MonitorOptions) {
    this.silences = new Silences(o.store, o.now);
    this.acks = new Acks(o.store);
    this.openIncidents = new OpenIncidents(o.store);
    this.incidentLog = new IncidentLog(o.store);
    this.context = new SweepContext(o.deps, 1_000);
    this.policy = o.policy ?? DEFAULT_POLICY;
    const chats = () => o.catalog.estate.chats.alerts;
    this.storms = new StormBook(o.store, o.notifier, chats, o.catalog);
    this.away = new AwayLog(o.catalog);
    this.leadership = new Leadership(o.store, o.instanceId, o.now);
    this.notices = new NoticeQueue(o.store, o.log);
    this.schedule = new CheckSchedule({ checks: o.checks, run: (def, launchedAt) => this.runCheck(def, launchedAt), now: o.now, jitterRatio: o.jitterRatio ?? 0 });
    this.lanes = new ChatLanes({ chats, work: (chatId) => this.deliverTo(chatId), log: o.log, ...(o.reach && { reach: o.reach }), ...(o.retryMs && { retryMs: o.retryMs }) });
    o.reach?.onChange((up, since) => (up ? this.telegramBack() : this.away.begin(since)));
  }

  /** Whether this instance runs the checks (the other instances follow). */
  get leading(): boolean {
    return this.leadership.leading;
  }

  /** Alert messages, summaries and notices not yet shown where they should be. */
  get backlog(): number {
    let n = this.notices.depth + this.storms.backlog;
    for (const [id, view] of this.views) n += owedIn(this.tracked.get(id)?.messages ?? [], view, this.o.catalog.estate.chats.alerts);
    return n;
  }

  /** Loads the incident book as the store has it: done when this instance takes the lead (at start, or taking over). */
  async load(): Promise<void> {
    const legacy: { text: string; chats: number[] }[] = [];
    // Independent reads (and the clean-up of records of removed checks): all at once, not one round trip after another.
    const [raws] = await Promise.all([
      this.o.store.getMany(this.o.checks.map((def) => incidentKey(def.id))).catch(() => this.o.checks.map(() => null)),
      this.forgetRemovedChecks(),
      this.acks.upgrade().catch((err: unknown) => this.o.log.warn({ err: (err as Error).message }, 'acks of an older version not moved: state store unavailable')),
      this.storms.load(),
      this.notices.load(),
    ]);
    for (const [i, def] of this.o.checks.entries()) {
      const raw = raws[i];
      const t = this.trackedFrom(raw);
      if (t.notices) legacy.push(...t.notices);
      t.notices = undefined;
      this.tracked.set(def.id, t);
    }
    for (const n of legacy) this.notices.add(new Html(n.text), n.chats, this.o.now());
    this.views.clear();
    this.openWritten = undefined;
    this.schedule.reset();
  }

  /**
   * The estate file was reloaded: runs its checks from now on. Checks that stay keep what the monitor knows of them
   * (an open incident stays open, on its message); new ones start from their record, if any; removed ones are
   * forgotten, and those that were failing are named once, so an alert in the chat is not left without an end.
   */
  async adopt(checks: CheckDef[]): Promise<{ added: number; removed: number }> {
    const before = new Map(this.o.checks.map((def) => [def.id, def]));
    const ids = new Set(checks.map((def) => def.id));
    const added = checks.filter((def) => !before.has(def.id));
    const removed = [...before.values()].filter((def) => !ids.has(def.id));
    const raws = added.length ? await this.o.store.getMany(added.map((def) => incidentKey(def.id))).catch(() => added.map(() => null)) : [];
    for (const [i, def] of added.entries()) {
      const raw = raws[i];
      this.tracked.set(def.id, this.trackedFrom(raw));
    }
    const leftFailing = removed.filter((def) => {
      const t = this.tracked.get(def.id);
      return t?.state.status === 'firing' && t.messages.length > 0;
    });
    for (const def of removed) {
      this.tracked.delete(def.id);
      this.views.delete(def.id);
    }
    this.o = { ...this.o, checks };
    this.schedule.adopt(checks);
    this.o.history?.keepOnly(ids);
    this.openWritten = undefined;
    if (leftFailing.length && this.leading) {
      this.notices.add(html`⚪ No longer checked (removed from the estate file) while failing: ${leftFailing.map(nameOf).join(', ')}. Their alerts above are not updated any more.`, this.o.catalog.estate.chats.alerts, this.o.now());
      this.lanes.kick();
    }
    await this.forgetRemovedChecks();
    return { added: added.length, removed: removed.length };
  }

  /** A check's incident as its record has it, or a fresh one when it has none. */
  private trackedFrom(raw: string | null | undefined): Tracked {
    return raw ? trackedOf(upgrade(JSON.parse(raw) as Tracked)) : trackedOf({ state: initialState(this.o.now()), messages: [] });
  }

  /** Incident records of checks the estate file no longer has: deleted, so they neither linger nor come back. */
  private async forgetRemovedChecks(): Promise<void> {
    try {
      const current = new Set(this.o.checks.map((def) => incidentKey(def.id)));
      const stale = (await this.o.store.keysWithPrefix(incidentKey(''))).filter((k) => !current.has(k));
      if (stale.length === 0) return;
      await this.o.store.writeMany([], stale);
      this.o.log.info({ removed: stale.length }, 'forgot the incident records of checks no longer in the estate file');
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'old incident records not cleaned up: state store unavailable');
    }
  }

  /** Runs the checks on their own clocks (while this instance leads) until stop(). */
  start(): void {
    this.started = true;
    let first = true;
    const lease = () => {
      const renewed = this.lease();
      if (first) this.firstLease = renewed.catch(() => undefined);
      first = false;
      void renewed
        .then(() => this.judge())
        .catch((err: unknown) => this.o.log.error({ err: (err as Error).message }, 'monitor lease failed'))
        .finally(() => {
          if (!this.stopped) this.leaseTimer = setTimeout(lease, this.o.leaseEveryMs ?? 5_000);
        });
    };
    lease();
  }

  /** Resolves once start() knows whether this instance leads. */
  ready(): Promise<void> {
    return this.firstLease;
  }

  /** One message to every alert chat, queued (kept in the store) until each has taken it. Only the leader speaks. */
  announce(text: Html): void {
    if (!this.leading) return;
    this.notices.add(text, this.o.catalog.estate.chats.alerts, this.o.now());
    this.lanes.kick();
  }

  /**
   * Stops checking; gives what is queued (the stopping notice, say) up to `drainMs` to go out, then keeps the
   * rest in the store for the next start and hands the lead over.
   */
  async stop(options: { notice?: Html; drainMs?: number } = {}): Promise<void> {
    this.stopped = true;
    clearTimeout(this.leaseTimer);
    clearTimeout(this.judgeTimer);
    this.schedule.stop();
    if (options.notice) this.announce(options.notice);
    this.lanes.kick();
    if (this.leading) await this.lanes.drained(options.drainMs ?? 3_000);
    this.lanes.stop();
    await this.judging.catch(() => undefined);
    if (this.leading) {
      await this.save();
      await this.notices.save();
      await this.leadership.release();
    }
  }

  /**
   * Runs the checks that are due and judges their results, then waits until every chat is up to date or waiting
   * for Telegram. Tests call it directly with their own clock; start() runs the same steps on each check's clock.
   */
  async sweep(): Promise<void> {
    await this.lease();
    if (!this.leading) return;
    const launchedAt = performance.now();
    await Promise.all(this.schedule.due().map((def) => this.schedule.launch(def, launchedAt)));
    await this.judge();
    await this.lanes.settled();
  }

  /** Renews the lead; an instance that takes over reads the book as it stands, so it neither repeats nor forgets. */
  private async lease(): Promise<void> {
    const was = this.leadership.leading;
    const now = await this.leadership.renew();
    if (now && !was) {
      await this.load();
      if (this.started && !this.stopped) this.schedule.start();
      if (this.followed) {
        this.o.log.warn({ instance: this.o.instanceId }, 'took over the checks: the instance that ran them stopped renewing its lease');
        this.announce(html`🟢 mana-ops: another instance took over the checks (the one that ran them stopped answering).`);
      } else if (!this.leadership.answered) {
        this.o.log.warn('state store unreachable since start: running the checks without it, from an empty incident book (check that Redis is running: REDIS_URL)');
      }
      this.lanes.kick();
    } else if (!now) {
      if (this.leadership.answered) this.followed = true;
      if (was) {
        this.o.log.warn('lost the lead: another instance runs the checks now');
        this.schedule.stop();
      }
    }
  }

  private async runCheck(def: CheckDef, launchedAt: number): Promise<void> {
    const started = performance.now();
    // Nothing bounds how many run at once: a hanging check holds only its own promise, never another's turn.
    let result: CheckResult;
    try {
      const deadline = launchedAt + def.timeoutMs;
      const grace = Math.max(1, deadline + 1_000 - performance.now());
      result = await withTimeout(def.run(this.context, deadline), grace, () => new Error(`no result within ${formatDuration(def.timeoutMs)}`));
    } catch (err) {
      result = { ok: false, detail: (err as Error).message };
    }
    const tookMs = performance.now() - started;
    (this.o.metrics ?? NO_METRICS).check(def.id, result.ok, tookMs);
    if (this.stopped || !this.leading) return;
    this.o.history?.record(def.id, this.o.now(), result.ok, tookMs);
    const t = this.tracked.get(def.id) ?? this.trackedFrom(undefined);
    this.tracked.set(def.id, t);
    const before = t.state;
    const next = step(t.state, result, this.o.now(), this.policy);
    t.state = next.state;
    if (next.transition) this.transitions.set(def.id, next.transition);
    if (next.transition === 'fired' || next.transition === 'resolved') {
      // A chart's marker, not an alert: one the store does not take is only logged.
      const at = next.transition === 'fired' ? (t.state.failingSince ?? t.state.since) : t.state.since;
      this.marks.push({ checkId: def.id, kind: next.transition, at });
    }
    if (!sameState(t.state, before)) this.dirty.add(def.id);
    this.judgeSoon();
  }

  /** Results that arrive together are judged together, a moment after the first. */
  private judgeSoon(): void {
    if (this.judgeTimer || !this.started) return;
    this.judgeTimer = setTimeout(() => {
      this.judgeTimer = undefined;
      void this.judge().catch((err: unknown) => this.o.log.error({ err: (err as Error).message }, 'monitor judgement failed'));
    }, this.o.gatherMs ?? 1_000);
  }

  /** One judgement at a time: what every chat should show, the fallback, and the writes. */
  private judge(): Promise<void> {
    const run = this.judging.then(() => this.judgeNow());
    this.judging = run.catch(() => undefined);
    return run;
  }

  private async judgeNow(): Promise<void> {
    if (!this.leading) return;
    const transitions = new Map(this.transitions);
    this.transitions.clear();
    await this.readQuiet(transitions);
    await this.gatherStorm();
    for (const def of this.o.checks) this.view(def, transitions.get(def.id));
    this.freeClosedStorms(this.storms.refresh((id) => this.stormMember(id), this.o.checks.length, this.o.now()));
    this.fallBack();
    await this.save();
    this.writeMarks();
    this.lanes.kick();
  }

  /** The chart markers of this judgement's transitions, in one write; one the store does not take is only logged. */
  private writeMarks(): void {
    if (this.marks.length === 0) return;
    const marks = this.marks.splice(0);
    this.incidentLog.note(marks).catch((err: unknown) => this.o.log.debug({ err: (err as Error).message, marks: marks.length }, 'incident markers not written'));
  }

  /**
   * The silences and acks for this judgement, read once for all checks; nothing is read while every check is fine
   * (most of the time). Unreadable, they count as none: an alert too many rather than one lost.
   */
  private async readQuiet(transitions: ReadonlyMap<string, Transition>): Promise<void> {
    const open = this.o.checks.filter((def) => {
      const t = this.tracked.get(def.id);
      return t && (t.state.status !== 'ok' || t.messages.length > 0 || transitions.get(def.id));
    });
    if (open.length === 0) {
      this.quiet = { acks: new Map() };
      return;
    }
    const [silences, acks] = await Promise.all([this.silences.inForce().catch(() => undefined), this.acks.all().catch(() => new Map<string, Ack>())]);
    const stale = [...acks].filter(([id, ack]) => this.ackIsStale(id, ack)).map(([id]) => id);
    for (const id of stale) acks.delete(id);
    if (stale.length) void this.acks.clear(stale).catch(() => undefined);
    this.quiet = { ...(silences && { silences }), acks };
  }

  /**
   * An ack that acknowledges nothing now: its check is gone from the estate, or fine and untold (acked while pending),
   * or failing again, untold, since after the ack (an ack left over from an earlier failure).
   */
  private ackIsStale(id: string, ack: Ack): boolean {
    const t = this.tracked.get(id);
    if (!t) return true;
    if (t.messages.length > 0) return false;
    return t.state.status === 'ok' || ack.at < (t.state.failingSince ?? t.state.since);
  }

  /** A silence, or a maintenance window of the estate file, covering this check now. */
  private quieted(def: CheckDef): Silence | { maintenance: string } | undefined {
    const window = maintenanceFor(this.o.catalog.estate.maintenance, def.service?.name, this.o.now(), this.o.catalog.time);
    if (window) return { maintenance: window.name };
    return this.quiet.silences?.covering(def.service?.name, def.id);
  }

  /** Incidents about to be told for the first time: not silenced, not folded under a parent, not told yet. */
  private untold(): CheckDef[] {
    const out: CheckDef[] = [];
    for (const def of this.o.checks) {
      const t = this.tracked.get(def.id);
      if (!t || t.state.status !== 'firing' || t.state.flapping || t.messages.length || t.stormId || this.firingAncestor(def)) continue;
      if (this.quieted(def)) continue;
      out.push(def);
    }
    return out;
  }

  private async gatherStorm(): Promise<void> {
    const fresh = this.untold();
    if (fresh.length < STORM_SIZE) return;
    const reach = await this.o.canary?.().catch((err: Error) => [{ name: 'canary', ok: false, detail: err.message }]);
    const said = reach?.length ? reach.map((r) => `${r.ok ? '✅' : '❌'} ${r.name}${r.detail ? ` (${r.detail})` : ''}`).join(' · ') : undefined;
    const storm = this.storms.open(fresh.map((d) => d.id), this.o.now(), said);
    for (const def of fresh) {
      (this.tracked.get(def.id) as Tracked).stormId = storm.id;
      this.views.delete(def.id);
      this.dirty.add(def.id);
    }
  }

  private freeClosedStorms(closed: Set<string>): void {
    if (closed.size === 0) return;
    for (const [id, t] of this.tracked) {
      if (t.stormId && closed.has(t.stormId)) {
        t.stormId = undefined;
        this.dirty.add(id);
      }
    }
  }

  /** The checks by id, by service and in order: rebuilt when a reload brings another list. */
  private checksIndex(): { byId: Map<string, CheckDef>; byService: Map<string, CheckDef[]>; order: Map<CheckDef, number> } {
    if (this.index?.of !== this.o.checks) {
      const byService = new Map<string, CheckDef[]>();
      for (const def of this.o.checks) {
        if (!def.service) continue;
        const same = byService.get(def.service.name);
        if (same) same.push(def);
        else byService.set(def.service.name, [def]);
      }
      this.index = { of: this.o.checks, byId: new Map(this.o.checks.map((d) => [d.id, d])), byService, order: new Map(this.o.checks.map((d, i) => [d, i])) };
    }
    return this.index;
  }

  private stormMember(id: string): StormMember {
    const def = this.checksIndex().byId.get(id);
    const t = this.tracked.get(id);
    // A check removed by a reload no longer counts as failing: the storm can close.
    return { name: def?.service?.name ?? def?.label ?? '?', failing: t !== undefined && t.state.status !== 'ok', detail: t?.state.detail ?? def?.label ?? '' };
  }

  /** The failing service this one depends on, if any: its incident tells about this one too. */
  private firingAncestor(def: CheckDef): CheckDef | undefined {
    if (!def.service?.depends_on.length) return undefined;
    const ancestors = new Set<string>();
    const queue = [...def.service.depends_on];
    while (queue.length) {
      const name = queue.shift() as string;
      if (ancestors.has(name)) continue;
      ancestors.add(name);
      queue.push(...(this.o.catalog.findService(name)?.depends_on ?? []));
    }
    // The first firing one in the estate's order, as it is told.
    const { byService, order } = this.checksIndex();
    let first: CheckDef | undefined;
    for (const name of ancestors) {
      for (const c of byService.get(name) ?? []) {
        if (this.tracked.get(c.id)?.state.status !== 'firing') continue;
        if (!first || (order.get(c) as number) < (order.get(first) as number)) first = c;
      }
    }
    return first;
  }

  private folded(parent: CheckDef): string[] {
    return this.o.checks
      .filter((c) => c !== parent && this.tracked.get(c.id)?.state.status === 'firing' && this.firingAncestor(c) === parent)
      .map((c) => c.service?.name ?? c.id);
  }

  /** Judges what this incident's messages should show now, and queues its reminder or flapping notice. */
  private view(def: CheckDef, transition: Transition): void {
    const t = this.tracked.get(def.id);
    if (!t) return;
    const { state } = t;
    const now = this.o.now();
    if (transition === 'resolved') this.away.resolved(def.id, nameOf(def), now, t.messages.length ? { ...(t.failedAt !== undefined && { failedAt: t.failedAt }) } : undefined);
    if (t.stormId) return void this.views.delete(def.id); // told, and resolved, in its storm's summary
    if (state.status === 'ok' && t.messages.length === 0) {
      if (t.fallbackSent) this.dirty.add(def.id);
      t.fallbackSent = undefined;
      return void this.views.delete(def.id);
    }
    const firing = state.status === 'firing' && !state.flapping;
    const resolving = state.status === 'ok' && t.messages.length > 0;
    // Most checks are fine most of the time: nothing more to judge for them.
    if (!firing && !resolving && transition !== 'flapping') return void this.views.delete(def.id);
    const silence = this.quieted(def);
    if (firing) {
      const ack = this.quiet.acks.get(def.id);
      if (t.messages.length === 0 && (silence || this.firingAncestor(def))) return void this.views.delete(def.id); // told when the silence ends, or by the parent
      if (transition === 'remind' && !ack && !silence && t.messages.length > 0) {
        this.notice(html`⏰ Still failing for ${formatDuration(now - (state.failingSince ?? state.since))}: ${bold(nameOf(def))} · ${state.detail ?? ''}`);
      }
      this.views.set(def.id, { pages: [this.render(def, t, ack)], buttons: this.buttons(def), sendMissing: true, recovery: false });
      if (t.messages.length === 0 && !this.away.knows(def.id)) this.away.fired(def.id, nameOf(def), state.failingSince ?? state.since);
      return;
    }
    if (transition === 'flapping' && !silence) {
      this.notice(html`〰️ ${bold(nameOf(def))} is flapping (${state.flips.length} changes within ${formatDuration(this.policy.flapWindowMs)}): held until it is stable.`);
    }
    if (!resolving) return void this.views.delete(def.id);
    const after = t.failedAt !== undefined ? ` after ${formatDuration(state.since - t.failedAt)}` : '';
    const text = html`✅ ${bold(nameOf(def))} recovered${after} · ${def.label}${state.detail ? ` (was: ${state.detail})` : ''}`;
    this.views.set(def.id, { pages: [text], buttons: [], sendMissing: false, recovery: true });
  }

  private render(def: CheckDef, t: Tracked, ack: Ack | undefined): Html {
    const s = t.state;
    const children = this.folded(def);
    const since = this.o.catalog.time.hmZone(s.failingSince ?? s.since);
    const dependants = def.service ? this.o.catalog.dependantsOf(def.service.name).map((x) => x.name) : [];
    const body = joinLines([
      html`🔴 ${bold(nameOf(def))} failing: ${def.label}`,
      ...(s.detail ? [html`${s.detail}`] : []),
      html`since ${since}`,
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
    const rows = [row];
    // An HTTP incident: the last hour's response time and down band, one tap away.
    if (svc && isHttpCheckId(def.id)) rows.push([{ text: '📈 Graph 1h', data: `s:/graph ${svc.name} 1h` }]);
    return rows.map((r) => r.filter((b) => Buffer.byteLength(b.data) <= 64)).filter((r) => r.length > 0);
  }

  private notice(text: Html): void {
    this.notices.add(text, this.o.catalog.estate.chats.alerts, this.o.now());
  }

  /** One chat's lane: its notices in order, then storm summaries, then each incident's living message. */
  private async deliverTo(chatId: number): Promise<void> {
    await this.notices.deliverTo(chatId, this.o.notifier);
    if (await this.storms.deliverTo(chatId)) this.freeClosedStorms(this.storms.close());
    for (const def of this.o.checks) {
      const view = this.views.get(def.id);
      const t = this.tracked.get(def.id);
      if (!view || !t) continue;
      const first = t.messages.length === 0;
      if ((await showIn(this.o.notifier, chatId, t.messages, view)) === 0) continue;
      this.shown(def.id, view, first);
    }
  }

  /** A chat now shows `view`: the incident's record follows (told from now, or recovered everywhere). */
  private shown(id: string, view: IncidentView, first: boolean): void {
    const t = this.tracked.get(id);
    if (!t) return;
    this.dirty.add(id);
    if (!view.recovery && first && t.messages.length > 0) {
      this.away.told(id);
      t.failedAt ??= t.state.failingSince ?? t.state.since;
      // Reminders count from when the admin was told (after a silence, or after Telegram was away).
      t.state = { ...t.state, reminders: 0, nextReminderAt: this.o.now() + this.policy.firstReminderMs };
    }
    if (view.recovery && showsEverywhere(t.messages, view)) {
      t.messages = [];
      t.failedAt = undefined;
      t.fallbackSent = undefined;
      this.views.delete(id);
      void this.acks.clear([id]).catch(() => undefined);
    }
    void this.save();
  }

  /** Telegram has taken nothing for a while: each firing incident not yet told goes once through the fallback channel. */
  private fallBack(): void {
    const fb = this.o.fallback;
    const down = this.o.reach?.downSince;
    if (!fb || down === undefined || this.o.now() - down < fb.afterMs) return;
    for (const def of this.o.checks) {
      const t = this.tracked.get(def.id);
      const view = this.views.get(def.id);
      // A firing view exists only for what would be told now: not silenced, not folded under a parent.
      if (!t || !view || view.recovery || t.messages.length > 0 || t.fallbackSent || this.fallbackInFlight.has(def.id)) continue;
      const name = nameOf(def);
      this.sendToFallback(fb.channel, def.id, `mana-ops: ${name} failing`, `${name}: ${def.label}\n${t.state.detail ?? ''}\nTelegram has not been reachable for ${formatDuration(this.o.now() - down)}.`, () => {
        t.fallbackSent = true;
        this.dirty.add(def.id);
        this.away.sentToFallback(def.id);
      });
    }
    for (const storm of this.storms.untold()) {
      const failing = storm.members.map((id) => this.stormMember(id)).filter((m) => m.failing);
      if (failing.length === 0 || this.fallbackInFlight.has(storm.id)) continue;
      this.sendToFallback(fb.channel, storm.id, `mana-ops: ${failing.length} checks failing together`, `${failing.map((m) => `${m.name}: ${m.detail}`).join('\n')}\nTelegram has not been reachable for ${formatDuration(this.o.now() - down)}.`, () => {
        storm.fallbackSent = true;
        void this.storms.save();
      });
    }
  }

  /** One post to the fallback channel for an incident or a storm (`key`), never two at once; `sent` records it. */
  private sendToFallback(channel: FallbackChannel, key: string, title: string, text: string, sent: () => void): void {
    this.fallbackInFlight.add(key);
    void channel
      .notify(title, text)
      .then(
        () => {
          sent();
          this.o.log.info({ key }, 'alert sent to ntfy: Telegram is away');
        },
        (err: Error) => this.o.log.error({ key, err: err.message }, 'fallback channel failed too: the alert waits for Telegram'),
      )
      .finally(() => this.fallbackInFlight.delete(key));
  }

  /** Telegram is back: one catch-up message first, then what was held, in each chat at its pace. */
  private telegramBack(): void {
    const stillUntold = (id: string) => {
      const v = this.views.get(id);
      return !!v && !v.recovery && (this.tracked.get(id)?.messages.length ?? 0) < this.o.catalog.estate.chats.alerts.length;
    };
    const catchUp = this.away.end(this.o.now(), stillUntold, Math.min(this.o.fallback?.afterMs ?? 30_000, 30_000));
    if (catchUp && this.leading) this.notices.add(catchUp, this.o.catalog.estate.chats.alerts, this.o.now(), { first: true });
    this.lanes.kick();
  }

  /** Writes what changed (and, after the store was lost, everything) and the list /alerts reads; one write at a time. */
  private save(): Promise<void> {
    if (this.saving) {
      this.saveAgain = true;
      return this.saving;
    }
    this.saving = (async () => {
      do {
        this.saveAgain = false;
        await this.writeBook();
      } while (this.saveAgain);
    })().finally(() => (this.saving = undefined));
    return this.saving;
  }

  private async writeBook(): Promise<void> {
    const ids = [...this.dirty];
    this.dirty.clear();
    try {
      const writes: { key: string; value: string }[] = [];
      for (const id of ids) {
        const t = this.tracked.get(id);
        if (t) writes.push({ key: incidentKey(id), value: JSON.stringify(t) });
      }
      // The records and the list /alerts reads, in one write: they never disagree, and a storm costs one round trip.
      const open = this.openIncidents.entry(this.openList(), this.storeLost ? undefined : this.openWritten);
      if (open) writes.push(open);
      await this.o.store.writeMany(writes);
      if (open) this.openWritten = open.value;
      if (this.storeLost) {
        this.storeLost = false;
        for (const id of this.tracked.keys()) this.dirty.add(id);
        await this.storms.save();
        await this.notices.save();
        this.o.log.info('state store back: incident state written again');
        this.saveAgain = true;
      }
    } catch (err) {
      for (const id of ids) this.dirty.add(id);
      if (!this.storeLost) this.o.log.warn({ err: (err as Error).message }, 'incident state not persisted: state store unavailable; kept in memory and written when it is back');
      this.storeLost = true;
    }
  }

  private openList(): OpenIncident[] {
    const open: OpenIncident[] = [];
    let firing = 0;
    // Built field by field: this runs for every open incident at every judgement (a thousand in a storm).
    for (const def of this.o.checks) {
      const state = this.tracked.get(def.id)?.state;
      const status = state?.status;
      if (!state || status === undefined || status === 'ok') continue;
      const entry: OpenIncident = { check: def.id, label: def.label, status, since: state.failingSince ?? state.since, silenced: !!this.quieted(def), flapping: state.flapping };
      if (def.service) entry.service = def.service.name;
      if (state.detail !== undefined) entry.detail = state.detail;
      const ack = this.quiet.acks.get(def.id);
      if (ack) entry.acked = ack.by;
      if (status === 'firing') firing++;
      open.push(entry);
    }
    (this.o.metrics ?? NO_METRICS).incidents(firing, open.length - firing);
    return open;
  }
}

const nameOf = (def: CheckDef) => def.service?.name ?? def.label;
/** The one key of a check's incident record. */
const incidentKey = (checkId: string) => `incident:${checkId}`;

/**
 * A record with every field the monitor sets, in one order, whatever the store had: one shape keeps a judgement of a
 * thousand incidents fast where its code is not optimised yet (fields added one by one to each record were not).
 */
function trackedOf(t: Tracked): Tracked {
  const record: { [K in keyof Required<Tracked>]: Tracked[K] } = { state: t.state, messages: t.messages, shown: t.shown, failedAt: t.failedAt, stormId: t.stormId, fallbackSent: t.fallbackSent, notices: t.notices };
  return record;
}

/** A record written before each message carried its own text: every message showed `shown`. */
function upgrade(t: Tracked): Tracked {
  if (t.shown === undefined) return t;
  const { shown, ...rest } = t;
  return { ...rest, messages: rest.messages.map((m) => ({ ...m, shown: m.shown ?? shown })) };
}
