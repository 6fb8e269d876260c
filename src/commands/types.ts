import type { z } from 'zod';
import type { AuditLog } from '../auth/audit';
import type { Envelope } from '../auth/gate';
import type { RequiredRole } from '../auth/roles';
import type { Catalog, KnownUser } from '../config/catalog';
import type { Restarter } from '../estate/restart';
import type { ContainerRuntime, DiskProbe, GpuHost, MacHost, Metrics, MetricsHistory, OpsError, PictureRenderer, Prober, StateStore, TunnelApi } from '../ops/ports';
import type { CheckHistory } from '../estate/check-history';
import type { Service } from '../config/schema';
import type { Html } from '../util/html';

export interface Button {
  text: string;
  /** Callback data, at most 64 bytes. */
  data: string;
}

/** A file that comes with a reply (a long log as .txt). */
export interface Document {
  filename: string;
  content: string;
  caption?: string;
}

/** A picture that comes with a reply (a chart): the reply's text is its caption where it fits one. */
export interface Photo {
  filename: string;
  png: Uint8Array;
  /** What it shows, for a screen reader and the console. */
  alt: string;
}

export interface Reply {
  html: Html;
  buttons?: Button[][];
  document?: Document;
  photo?: Photo;
  /** Set when the action ran but did not achieve what was asked (a restart still failing): the reason, for the audit and the metrics. */
  failed?: string;
}

/** How the guided conversation offers a value for an argument, so nothing needs typing on a phone. */
export type ArgGuide =
  /** Category first, then service; `offer` hides what this user could not pick anyway. */
  | { kind: 'service'; offer?: (svc: Service, user: KnownUser) => boolean }
  | { kind: 'duration'; presets: string[] }
  | { kind: 'choice'; options: string[] };

export interface ParamSpec {
  name: string;
  /** Takes every remaining positional word (a list). */
  variadic?: boolean;
  /** Only as key=value, never positional. */
  namedOnly?: boolean;
  required?: boolean;
  guide?: ArgGuide;
  prompt?: string;
}

/** What every command can reach: the estate, the state store, the adapters. Built by the composition root. */
export interface CommandEnv {
  catalog: Catalog;
  store: StateStore;
  audit: AuditLog;
  docker: (host: string) => ContainerRuntime | undefined;
  prober: Prober;
  disk: DiskProbe;
  /** The Windows GPU box, when the estate has one and the bot has its SSH key. */
  gpu: GpuHost | undefined;
  /** The estate's recorded probes (VictoriaMetrics), when the estate has victoria_metrics. */
  history?: MetricsHistory | undefined;
  /** The monitor's own results, kept in memory: history where the estate has no VictoriaMetrics. */
  checkHistory?: CheckHistory | undefined;
  /** Turns charts into pictures. */
  pictures?: PictureRenderer | undefined;
  /** The Mac Mini's host side (its forced-command wrapper), when the estate has mac_host and the bot its key. */
  mac: MacHost | undefined;
  /** The one restart action (containers and GPU-box units): lock, silence, verification. */
  restarts: Restarter;
  metrics: Metrics;
  /** The ids of the monitor's checks (service:http, disk:ManaData, gpu-box, …), for /silence and /ack. */
  checkIds: () => string[];
  /** Cloudflare's DNS and tunnels, when the estate has a cloudflare section and the bot a token. */
  tunnels: TunnelApi | undefined;
  now: () => number;
  /** Help lists the registry; set once the registry exists. */
  help: (user: KnownUser | undefined) => CommandSpec[];
  startedAt: number;
  /** Reads the estate file again and puts it in force (set by the composition root where a file is behind it). */
  reload?: (by: string) => Promise<ReloadResult>;
}

/** What a reload did: the changes it put in force, or why the file in force stays. */
export type ReloadResult = { ok: true; file: string; changes: string[] } | { ok: false; file: string; problems: string[] };

export interface RunContext<A> {
  args: A;
  user: KnownUser;
  envelope: Envelope;
  env: CommandEnv;
  /** Aborted at the command deadline: adapters stop waiting. */
  signal: AbortSignal;
  /** Shows how a long action is getting on (the front-end paces these within Telegram's limits). */
  progress: (html: Html) => void;
}

/** A verb of a command (`/gpu restart`, `/tunnel repoint`): its own usage, help and the role it needs. */
export interface SubcommandSpec {
  name: string;
  summary: string;
  usage: string;
  role: RequiredRole;
  examples?: string[];
  /** Asks to confirm before it acts. */
  confirms?: boolean;
}

export interface CommandSpec<A = unknown> {
  name: string;
  aliases?: string[];
  summary: string;
  usage: string;
  /** Who may run the command at all; a sub-command may need more. */
  role: RequiredRole;
  examples?: string[];
  /** Chosen by the first word after the command; the dispatcher checks each one's role. */
  subcommands?: SubcommandSpec[];
  /** Whether it asks first; a function decides by the arguments (`/gpu` reads, `/gpu restart` acts). */
  /** A function may read state (is there anything to roll back?): when it says no, the command runs and says why. */
  confirm: 'never' | 'always' | ((args: A, env: CommandEnv) => boolean | Promise<boolean>);
  /** Where it may be used; `private` keeps, say, the audit out of group chats. */
  scope?: 'any' | 'private';
  params?: ParamSpec[];
  /** Validates `{ param: string | string[] }` into the command's arguments; a factory sees the estate. */
  /** A function gets the caller when there is one, so a did-you-mean names only what they may act on. */
  args: z.ZodType<A> | ((env: CommandEnv, user?: KnownUser) => z.ZodType<A>);
  /** Why it cannot run here at all (a missing SSH key): said before any confirmation, and checked again at confirm. */
  ready?: (args: A, env: CommandEnv) => OpsError | undefined;
  /** A refusal that depends on the arguments (a service only admins may restart); checked again at confirm. */
  permit?: (args: A, user: KnownUser, env: CommandEnv) => string | undefined;
  preview?: (args: A, env: CommandEnv) => Html | Promise<Html>;
  /** How long run may take; the estate's command_deadline when not given. */
  deadline?: (args: A, env: CommandEnv) => number;
  /** What the message shows while a confirmed action runs. */
  progress?: (args: A) => Html;
  run: (ctx: RunContext<A>) => Promise<Reply>;
}

/**
 * Declares a command, typed by its own schema. The registry holds specs of every args type as one type:
 * the dispatcher hands each spec only the args its own schema produced, which is what makes this cast sound.
 */
export function defineCommand<A>(spec: CommandSpec<A>): CommandSpec {
  return spec as unknown as CommandSpec;
}

export type OutcomeKind =
  | 'silent'
  | 'reply'
  | 'confirm'
  | 'denied'
  | 'invalid'
  | 'unknown'
  | 'rate_limited'
  | 'unavailable'
  | 'stale'
  | 'error';

export type Outcome =
  | { kind: 'silent'; reason: string }
  | { kind: 'confirm'; html: Html; nonce: string; expiresAt: number }
  | { kind: Exclude<OutcomeKind, 'silent' | 'confirm'>; html: Html; buttons?: Button[][]; document?: Document; photo?: Photo; failed?: string };

/** What a Confirm/Cancel press leads to. */
export type PressOutcome =
  /** The message stays as it is; only a popup answers (another user's press, store down). */
  | { kind: 'popup'; popup: string }
  /** The message is edited to `html` and loses its keyboard. */
  | { kind: 'final'; popup: string; html: Html }
  /** The action runs: show `progress`, then edit to what `execute` returns. */
  | { kind: 'run'; popup: string; progress: Html; execute: (progress?: (html: Html) => void) => Promise<Outcome> };
