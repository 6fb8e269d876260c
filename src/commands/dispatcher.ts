import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { admit, type Admission, type Envelope } from '../auth/gate';
import type { AuditBook } from '../auth/audit';
import { Confirmations, type PendingAction } from '../auth/confirmations';
import { OutsiderThrottle, type OutsiderLimits } from '../auth/outsider-throttle';
import { RateLimiter } from '../auth/rate-limit';
import { roleAllows } from '../auth/roles';
import type { KnownUser } from '../config/catalog';
import type { Estate } from '../config/schema';
import { OpsError } from '../ops/ports';
import { formatDuration } from '../util/duration';
import { bold, code, html, lines, type Html } from '../util/html';
import type { Logger } from '../util/logger';
import { withTimeout } from '../util/with-timeout';
import { bindArgs, missingParams } from './bind-args';
import { parseCommandLine, ParseError, type ParsedLine } from './parse';
import type { CommandRegistry } from './registry';
import type { CommandEnv, CommandSpec, Outcome, ParamSpec, PressOutcome, Reply, SubcommandSpec } from './types';

export interface DispatcherOptions {
  registry: CommandRegistry;
  env: CommandEnv;
  log: Logger;
  /** The bot's own username, to ignore `/cmd@otherbot` in groups. */
  botUsername?: string;
  /** How often people not on the allowlist are noted (defaults in outsider-throttle). */
  outsiderLimits?: OutsiderLimits;
}

const STRANGER_REPLY = html`This is a private bot.`;
/** What an expired confirmation's message says: after a late press, and when its time runs out unpressed. */
export const EXPIRED_CONFIRMATION = html`This confirmation expired or is unknown. Nothing was run; send the command again.`;
const HOUR_MS = 3_600_000;
type Progress = (html: Html) => void;
const NO_PROGRESS: Progress = () => {};

/** The sub-command a line names (its first positional word), if the command has sub-commands. */
export function subcommandOf(spec: CommandSpec, line: Pick<ParsedLine, 'positional'>): SubcommandSpec | undefined {
  const word = line.positional[0]?.toLowerCase();
  return word === undefined ? undefined : spec.subcommands?.find((s) => s.name === word);
}

/**
 * The one pipeline every front-end uses: look up -> authorise -> validate -> (confirm) -> run with a
 * deadline -> audit. It returns outcomes as data; front-ends only render them.
 */
export class Dispatcher {
  private readonly registry: CommandRegistry;
  private readonly env: CommandEnv;
  private readonly log: Logger;
  private limits: { policy: Estate['policy']; limiter: RateLimiter; confirmations: Confirmations } | undefined;
  private readonly outsiders: OutsiderThrottle;
  /** Each command's argument schema, per role of the caller (a did-you-mean offers only what that role may act on). */
  private readonly schemas = new Map<CommandSpec, Map<string, z.ZodType<unknown>>>();
  botUsername: string | undefined;

  constructor(options: DispatcherOptions) {
    this.registry = options.registry;
    this.env = options.env;
    this.log = options.log;
    this.botUsername = options.botUsername;
    this.outsiders = new OutsiderThrottle(options.outsiderLimits);
  }

  /** The policy of the estate file in force (a reload may change it), and the limits built from it. */
  private get policy(): Estate['policy'] {
    return this.env.catalog.estate.policy;
  }

  private get limiter(): RateLimiter {
    return this.limitsNow().limiter;
  }

  private get confirmations(): Confirmations {
    return this.limitsNow().confirmations;
  }

  private limitsNow() {
    const policy = this.policy;
    if (this.limits?.policy !== policy) {
      this.limits = {
        policy,
        limiter: new RateLimiter(this.env.store, policy.rate_limit.commands, policy.rate_limit.window, this.env.now),
        confirmations: new Confirmations(this.env.store, policy.confirm_ttl, this.env.now),
      };
    }
    return this.limits;
  }

  schemaOf<A>(spec: CommandSpec<A>, user?: KnownUser): z.ZodType<A> {
    const byRole = this.schemas.get(spec as CommandSpec) ?? new Map<string, z.ZodType<unknown>>();
    this.schemas.set(spec as CommandSpec, byRole);
    const key = typeof spec.args === 'function' ? (user?.role ?? '') : '';
    let schema = byRole.get(key);
    if (!schema) {
      // A stand-in with the role is enough: the schema reads only the role, never who it is.
      const caller = user && { ...user };
      schema = typeof spec.args === 'function' ? spec.args(this.env, caller) : spec.args;
      byRole.set(key, schema);
    }
    return schema as z.ZodType<A>;
  }

  /** Admission of an envelope, for front-ends that route non-command input (a conversation's answers). */
  admit(envelope: Envelope): Admission {
    return admit(envelope, this.env.catalog, this.env.now(), this.policy.max_command_age);
  }

  /** Parses without running: for front-ends that must know the command first (guided input). */
  parse(text: string): ParsedLine | undefined {
    try {
      return parseCommandLine(text);
    } catch {
      return undefined;
    }
  }

  /**
   * When an admitted user sends a command without its required arguments, and every missing one can be
   * offered as buttons, says which: the Telegram front-end then asks for them instead of replying "usage".
   */
  /** A command's parameters, for a front-end that asks for them (the console's numbered choices). */
  paramsOf(command: string): ParamSpec[] {
    return this.registry.find(command)?.params ?? [];
  }

  guidance(envelope: Envelope, text: string): { command: string; rest: string; missing: string[] } | undefined {
    const line = this.parse(text);
    if (!line) return undefined;
    const spec = this.registry.find(line.name);
    // Most commands have nothing to ask (this runs for every command): who sent it matters only for those that do.
    if (!spec?.params?.some((p) => p.guide)) return undefined;
    const admission = this.admit(envelope);
    if (!admission.ok) return undefined;
    if (line.mention && this.botUsername && line.mention.toLowerCase() !== this.botUsername.toLowerCase()) return undefined;
    if (!roleAllows(admission.user.role, spec.role)) return undefined;
    if (spec.scope === 'private' && envelope.chatType !== 'private') return undefined;
    const missing = missingParams(spec, line);
    const guided = missing.every((name) => spec.params?.find((p) => p.name === name)?.guide);
    return missing.length > 0 && guided ? { command: spec.name, rest: line.rest, missing } : undefined;
  }

  async handleText(envelope: Envelope, text: string): Promise<Outcome> {
    const started = this.env.now();
    let line: ParsedLine | undefined;
    let parseProblem: string | undefined;
    try {
      line = parseCommandLine(text);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      parseProblem = err.message;
      line = parseCommandLine(text.split(/\s/)[0] ?? '');
    }
    if (!line) return { kind: 'silent', reason: 'not a command' };
    if (line.mention && this.botUsername && line.mention.toLowerCase() !== this.botUsername.toLowerCase()) {
      return { kind: 'silent', reason: 'addressed to another bot' };
    }
    const spec = this.registry.find(line.name);
    const admission = this.admit(envelope);
    // Someone the bot does not know: noted in a book of their own, and only as often as the throttle allows.
    const outsider = !admission.ok && admission.user === undefined;
    const record = this.recorder(envelope, started, outsider ? 'outsiders' : 'users');
    // Labels come from the registry only: a made-up command name never becomes a metric series.
    const audit = (result: string, detail?: string, ref?: string) => record({ action: line.name, label: spec?.name ?? 'unknown', args: line.rest }, result, detail, ref);

    if (!admission.ok && outsider) {
      if (!this.noteOutsider(envelope, started)) return { kind: 'silent', reason: 'muted' };
      if (admission.reason === 'stranger' && spec?.role === 'anyone') {
        const user: KnownUser = { id: admission.userId as number, name: 'stranger', role: 'viewer' };
        return this.finish(spec, line, envelope, user, true, audit, parseProblem);
      }
      return this.refuseAdmission(admission, envelope, line, audit);
    }
    // A known user's own limit comes before anything is written, refusals included.
    const user = admission.ok ? admission.user : (admission.user as KnownUser);
    const rate = await this.limiter.check(user.id);
    if (!rate.ok) {
      // Said and audited once per window; what follows within it is dropped without a trace.
      if (!rate.first) return { kind: 'silent', reason: 'rate limited' };
      audit('rate_limited');
      if (!admission.ok) return { kind: 'silent', reason: 'rate limited' };
      return { kind: 'rate_limited', html: html`Too many commands. Try again in ${formatDuration(rate.retryInMs)}.` };
    }
    if (rate.degraded) this.log.warn({ userId: user.id }, 'rate limit not enforced: state store unavailable');
    if (!admission.ok) return this.refuseAdmission(admission, envelope, line, audit);

    if (!spec) {
      const guess = this.registry.suggest(line.name, user.role);
      audit('unknown');
      return {
        kind: 'unknown',
        html: guess
          ? html`Unknown command /${line.name}. Did you mean /${guess}?`
          : html`Unknown command /${line.name}. /help lists what you can run.`,
      };
    }
    return this.finish(spec, line, envelope, user, false, audit, parseProblem);
  }

  /** How one message's outcomes are audited and counted: who, where, since when, in which book. */
  private recorder(envelope: Envelope, started: number, book: AuditBook) {
    return (what: { action: string; label: string; args: string }, result: string, detail?: string, ref?: string): void => {
      this.env.metrics.command(what.label, result);
      // Issued now, not awaited: the reply goes out without a second round trip to the store.
      this.env.audit.note(
        {
          at: started,
          userId: envelope.userId,
          chatId: envelope.chatId,
          action: what.action,
          args: what.args,
          result,
          ...(detail !== undefined && { detail }),
          ms: this.env.now() - started,
          ...(ref !== undefined && { ref }),
        },
        book,
      );
    };
  }

  /** Whether a message from an outsider may be noted (audited, logged, answered); the first one muted is logged once. */
  private noteOutsider(envelope: Envelope, now: number): boolean {
    const verdict = this.outsiders.judge(envelope.userId, envelope.chatId, now);
    this.env.metrics.outsider(verdict.kind === 'note' ? 'noted' : 'muted');
    if (verdict.kind === 'mute') {
      this.log.warn(
        { limit: verdict.limit, userId: envelope.userId, chatId: envelope.chatId },
        `messages from people not on the allowlist muted (${verdict.limit} limit reached): not audited or answered until the window ends`,
      );
    }
    return verdict.kind === 'note';
  }

  private async finish(
    spec: CommandSpec,
    line: ParsedLine,
    envelope: Envelope,
    user: KnownUser,
    stranger: boolean,
    audit: (result: string, detail?: string, ref?: string) => void,
    parseProblem: string | undefined,
  ): Promise<Outcome> {
    if (!stranger && !roleAllows(user.role, spec.role)) {
      audit('denied', `needs ${spec.role}`);
      return { kind: 'denied', html: html`/${spec.name} needs the ${spec.role} role; you are ${user.role}.` };
    }
    const sub = subcommandOf(spec, line);
    if (!stranger && sub && !roleAllows(user.role, sub.role)) {
      audit('denied', `${sub.name} needs ${sub.role}`);
      return { kind: 'denied', html: html`/${spec.name} ${sub.name} needs the ${sub.role} role; you are ${user.role}.` };
    }
    if (spec.scope === 'private' && envelope.chatType !== 'private') {
      audit('denied', 'private only');
      return { kind: 'denied', html: html`/${spec.name} works only in a private chat with me.` };
    }
    if (parseProblem) {
      audit('invalid', parseProblem);
      return this.invalid(spec, [parseProblem]);
    }
    const bound = bindArgs(spec, this.schemaOf(spec, user), line);
    if (!bound.ok) {
      audit('invalid', bound.problems.join('; '));
      return this.invalid(spec, bound.problems);
    }
    const refusal = spec.permit?.(bound.args, user, this.env);
    if (refusal) {
      audit('denied', refusal);
      return { kind: 'denied', html: html`${refusal}` };
    }
    const missing = spec.ready?.(bound.args, this.env);
    if (missing) return { kind: 'unavailable', html: this.notReady(spec, missing, audit) };

    let asks: boolean;
    try {
      asks = typeof spec.confirm === 'function' ? await spec.confirm(bound.args, this.env) : spec.confirm === 'always';
    } catch (err) {
      return this.failure(spec, err, audit);
    }
    if (asks) {
      // The preview may read live state (a DNS record today): a failure there is reported like any other.
      let preview: Html;
      try {
        preview = (await spec.preview?.(bound.args, this.env)) ?? html`Run /${spec.name} ${line.rest}?`;
      } catch (err) {
        return this.failure(spec, err, audit);
      }
      try {
        const { nonce, expiresAt } = await this.confirmations.create({
          userId: user.id,
          chatId: envelope.chatId,
          command: spec.name,
          args: bound.input,
          line: `/${spec.name}${line.rest ? ` ${line.rest}` : ''}`,
        });
        audit('confirm_asked');
        return {
          kind: 'confirm',
          nonce,
          expiresAt,
          html: lines([preview, html`<i>Confirm within ${formatDuration(expiresAt - this.env.now())}.</i>`]),
        };
      } catch (err) {
        return this.storeDown(err, audit);
      }
    }
    return this.execute(spec, bound.args, user, envelope, audit, NO_PROGRESS);
  }

  /** Something the bot lacks (a key, an endpoint): said before any confirmation, with what to do. */
  private notReady(spec: CommandSpec, err: OpsError, audit: (result: string, detail?: string) => void): Html {
    audit('unavailable', `${err.code}: ${err.message}`);
    return lines([html`/${spec.name} cannot run: ${err.message}.`, ...(err.hint ? [html`Next: ${err.hint}`] : [])]);
  }

  private invalid(spec: CommandSpec, problems: string[]): Outcome {
    return {
      kind: 'invalid',
      html: lines([html`Usage: ${code(spec.usage)}`, ...problems.map((p) => html`• ${p}`)]),
    };
  }

  private storeDown(err: unknown, audit: (result: string, detail?: string) => void): Outcome {
    this.log.warn({ err: (err as Error).message }, 'confirmation refused: state store unavailable');
    audit('unavailable', 'state store');
    return {
      kind: 'unavailable',
      html: html`State store unavailable: actions that need a confirmation are refused until Redis is back. Read-only commands still work.`,
    };
  }

  private async refuseAdmission(
    admission: Extract<Admission, { ok: false }>,
    envelope: Envelope,
    line: ParsedLine,
    audit: (result: string, detail?: string) => void,
  ): Promise<Outcome> {
    this.log.warn({ reason: admission.reason, userId: admission.userId, chatId: envelope.chatId, command: line.name }, 'command refused');
    audit('refused', admission.reason);
    if (admission.reason === 'stale' && admission.user) {
      const age = formatDuration(this.env.now() - envelope.sentAt);
      return {
        kind: 'stale',
        html: html`Skipped /${line.name}: it was sent ${age} ago, while I was away. Commands older than ${formatDuration(this.policy.max_command_age)} are not run. Send it again if you still want it.`,
      };
    }
    if (admission.reason === 'future' && admission.user) {
      return {
        kind: 'stale',
        html: html`Skipped /${line.name}: its date is ${formatDuration(envelope.sentAt - this.env.now())} ahead of my clock. Check the time on your device (or mine), then send it again.`,
      };
    }
    if (admission.reason === 'stranger' && this.policy.stranger_reply === 'hourly' && admission.userId !== undefined) {
      const first = await this.env.store.setIfAbsent(`stranger:${admission.userId}`, '1', HOUR_MS).catch(() => false);
      if (first) return { kind: 'denied', html: STRANGER_REPLY };
    }
    return { kind: 'silent', reason: admission.reason };
  }

  private async execute(
    spec: CommandSpec,
    args: unknown,
    user: KnownUser,
    envelope: Envelope,
    audit: (result: string, detail?: string, ref?: string) => void,
    progress: Progress,
  ): Promise<Outcome> {
    const deadline = spec.deadline?.(args, this.env) ?? this.policy.command_deadline;
    // Made when the command first reads its signal: most never do, and a controller per command is not free.
    let controller: AbortController | undefined;
    let timedOut = false;
    const abortable = {
      abort: () => {
        timedOut = true;
        controller?.abort();
      },
    };
    try {
      const reply = await withTimeout<Reply>(
        spec.run({
          args,
          user,
          envelope,
          env: this.env,
          get signal() {
            if (!controller) {
              controller = new AbortController();
              if (timedOut) controller.abort();
            }
            return controller.signal;
          },
          progress,
        }),
        deadline,
        () => new OpsError('timeout', `/${spec.name} did not finish within ${formatDuration(deadline)}`),
        abortable,
      );
      // An action that ran but did not do what was asked is a failure in the audit and the metrics too.
      if (reply.failed === undefined) audit('ok');
      else audit('failed', reply.failed);
      return {
        kind: 'reply',
        html: reply.html,
        ...(reply.buttons && { buttons: reply.buttons }),
        ...(reply.document && { document: reply.document }),
        ...(reply.photo && { photo: reply.photo }),
        ...(reply.failed !== undefined && { failed: reply.failed }),
      };
    } catch (err) {
      return this.failure(spec, err, audit);
    }
  }

  /** A failure as the chat sees it: an OpsError's words and hint, anything else only a reference to the log. */
  private failure(spec: CommandSpec, err: unknown, audit: (result: string, detail?: string, ref?: string) => void): Outcome {
    const ref = randomBytes(4).toString('hex');
    if (err instanceof OpsError) {
      this.log.warn({ ref, code: err.code, err: err.message, cause: String(err.cause ?? '') }, `/${spec.name} failed`);
      audit('error', `${err.code}: ${err.message}`, ref);
      return {
        kind: 'error',
        html: lines([html`${bold('Failed')}: ${err.message}`, ...(err.hint ? [html`Next: ${err.hint}`] : []), html`<i>ref ${ref}</i>`]),
      };
    }
    this.log.error({ ref, err }, `/${spec.name} crashed`);
    audit('error', (err as Error)?.message ?? String(err), ref);
    return { kind: 'error', html: html`Something went wrong running /${spec.name}. The log has the details under ref ${code(ref)}.` };
  }

  /** A Confirm or Cancel press. Cheap: it only claims the nonce; the work is in the returned `execute`. */
  async press(envelope: Envelope, nonce: string, decision: 'confirm' | 'cancel'): Promise<PressOutcome> {
    const started = this.env.now();
    // A press is fresh by definition; the envelope's other checks (anonymous, chat, allowlist) still apply.
    const admission = this.admit({ ...envelope, sentAt: this.env.now(), forwarded: false, edited: false });
    const outsider = !admission.ok && admission.user === undefined;
    const record = this.recorder(envelope, started, outsider ? 'outsiders' : 'users');
    const audit = (action: PendingAction | undefined, result: string, detail?: string, ref?: string) => {
      const name = `${decision}:${action?.command ?? '?'}`;
      return record({ action: name, label: name, args: action?.line ?? nonce }, result, detail, ref);
    };
    if (!admission.ok && outsider) {
      if (this.noteOutsider(envelope, started)) audit(undefined, 'refused', admission.reason);
      return { kind: 'popup', popup: 'Not allowed.' };
    }
    const user = admission.ok ? admission.user : (admission.user as KnownUser);
    // Presses count against the same limit as commands: a held-down button is no way around it.
    const rate = await this.limiter.check(user.id);
    if (!rate.ok) {
      if (rate.first) audit(undefined, 'rate_limited');
      return { kind: 'popup', popup: `Too many presses. Try again in ${formatDuration(rate.retryInMs)}.` };
    }
    if (!admission.ok) {
      audit(undefined, 'refused', admission.reason);
      return { kind: 'popup', popup: 'Not allowed.' };
    }
    let claim;
    try {
      claim = await this.confirmations.claim(nonce, user.id, envelope.chatId, decision === 'confirm' ? 'confirmed' : 'cancelled');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'press refused: state store unavailable');
      audit(undefined, 'unavailable');
      return { kind: 'popup', popup: 'State store unavailable: nothing was run. Try again when Redis is back.' };
    }
    switch (claim.status) {
      case 'not_yours':
        audit(claim.action, 'not_yours');
        return { kind: 'popup', popup: 'Not yours: only the person who asked can confirm this.' };
      case 'expired':
        audit(undefined, 'expired');
        return { kind: 'final', popup: 'Expired: nothing was run.', html: EXPIRED_CONFIRMATION };
      case 'used': {
        // The message already shows what happened; only the presser is told.
        audit(undefined, 'replayed', claim.decision);
        const when = `${this.env.catalog.time.hms(claim.at)} ${this.env.catalog.time.zoneName(claim.at)}`;
        return { kind: 'popup', popup: `Already ${claim.decision} at ${when}: nothing more was run.` };
      }
      case 'ok':
        break;
    }
    const action = claim.action;
    if (decision === 'cancel') {
      audit(action, 'cancelled');
      return { kind: 'final', popup: 'Cancelled.', html: html`Cancelled: ${code(action.line)}. Nothing was run.` };
    }
    const spec = this.registry.find(action.command);
    const sub = spec && subcommandOf(spec, this.parse(action.line) ?? { positional: [] });
    if (!spec || !roleAllows(user.role, spec.role) || (sub && !roleAllows(user.role, sub.role))) {
      audit(action, 'denied', 'role changed');
      return { kind: 'final', popup: 'Not allowed any more.', html: html`Not run: your role no longer allows /${action.command}.` };
    }
    // The raw input is validated again, which also resolves names against the estate as it is now.
    const again = this.schemaOf(spec, user).safeParse(action.args);
    const refusal = again.success ? spec.permit?.(again.data, user, this.env) : 'the arguments are no longer valid';
    if (!again.success || refusal) {
      audit(action, 'denied', refusal);
      return { kind: 'final', popup: 'Not allowed.', html: html`Not run: ${refusal ?? ''}` };
    }
    const missing = spec.ready?.(again.data, this.env);
    if (missing) return { kind: 'final', popup: 'Not run.', html: this.notReady(spec, missing, (result, detail) => audit(action, result, detail)) };
    audit(action, 'confirmed');
    return {
      kind: 'run',
      popup: 'Confirmed: running…',
      progress: spec.progress?.(again.data) ?? html`⏳ Running ${code(action.line)}…`,
      execute: (progress = NO_PROGRESS) =>
        this.execute(spec, again.data, user, envelope, (result, detail, ref) => audit(action, result, detail, ref), progress),
    };
  }
}
