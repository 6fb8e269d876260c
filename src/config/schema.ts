import { z } from 'zod';
import { parseBytes } from '../util/bytes';
import { parseDuration } from '../util/duration';
import { isTimeZone } from '../util/local-time';

/** The estate file: what the bot administers and who may ask it to. Pure schema, no I/O. */

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export const roleSchema = z.enum(ROLES);

export const CATEGORIES = [
  'infra', 'core', 'backend', 'web', 'sync', 'llm', 'monitoring', 'gpu', 'mirror', 'games', 'tooling',
] as const;

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes (like chat-web)');

export const durationSchema = z.string().transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid duration "${s}" (use 90s, 15m, 1h, 2d)` });
    return z.NEVER;
  }
  return ms;
});

const bytesSchema = z.union([z.number().int().positive(), z.string()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : parseBytes(v);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid size "${String(v)}" (use 128m, 1g)` });
    return z.NEVER;
  }
  return n;
});

const url = z.url({ message: 'invalid URL' });
const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/i, 'must be a full hostname like gpu-stt.mana.how');

const httpCheck = z.strictObject({
  type: z.literal('http'),
  url,
  expect_status: z.number().int().min(100).max(599).default(200),
  body_contains: z.string().optional(),
  timeout: durationSchema.default(5_000),
  max_latency: durationSchema.optional(),
  interval: durationSchema.optional(),
});
const tcpCheck = z.strictObject({
  type: z.literal('tcp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  timeout: durationSchema.default(3_000),
  interval: durationSchema.optional(),
});
const dockerCheck = z.strictObject({ type: z.literal('docker'), interval: durationSchema.optional() });
const redisCheck = z.strictObject({
  type: z.literal('redis'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  interval: durationSchema.optional(),
});
const postgresCheck = z.strictObject({
  type: z.literal('postgres'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  interval: durationSchema.optional(),
});
export const checkSchema = z.discriminatedUnion('type', [httpCheck, tcpCheck, dockerCheck, redisCheck, postgresCheck]);

const windowsUnit = z.union([
  z.strictObject({ scheduled_task: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a task name like ManaSTT') }),
  z.strictObject({ windows_service: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a service name like Cloudflared') }),
]);

export const serviceSchema = z.strictObject({
  name,
  aliases: z.array(name).default([]),
  description: z.string().optional(),
  category: z.enum(CATEGORIES),
  /** Where it runs: a docker host's name, or `gpu` for the Windows box. */
  host: z.string().default('mac-mini'),
  container: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'not a valid container name').optional(),
  windows: windowsUnit.optional(),
  port: z.number().int().min(1).max(65535).optional(),
  public_hostnames: z.array(hostname).default([]),
  /** What the Blackbox Exporter probes for it ({target} in victoria_metrics.probe_success); default: its first http check's URL. */
  probe_target: z.string().min(1).optional(),
  /** Its service in the estate's docker-compose.macmini.yml, for /up (default: the short name). */
  compose_service: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a compose service name: a-z, 0-9 and -').optional(),
  mem_limit: bytesSchema.optional(),
  depends_on: z.array(name).default([]),
  restart: z
    .strictObject({
      allowed: z.boolean().default(true),
      role: roleSchema.default('operator'),
      /** How long Docker waits after SIGTERM before it kills (docker restart -t). */
      stop_timeout: durationSchema.pipe(z.number().max(50_000, 'at most 50s')).default(10_000),
      /** How long the bot waits for the service to be running and healthy again. */
      verify_timeout: durationSchema.default(60_000),
      /** How long it must then stay up and healthy: a service that falls over within it did not recover. */
      stable_for: durationSchema.default(3_000),
    })
    .default({ allowed: true, role: 'operator', stop_timeout: 10_000, verify_timeout: 60_000, stable_for: 3_000 }),
  checks: z.array(checkSchema).default([]),
});

export const tunnelSchema = z.strictObject({
  name,
  uuid: z.uuid({ message: 'must be the tunnel UUID (cloudflared tunnel list shows it)' }),
  runs_on: z.string(),
  managed: z.enum(['local-config', 'dashboard']).default('dashboard'),
  hostnames: z.array(hostname).min(1),
});

const fingerprint = z
  .string()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'must be an OpenSSH fingerprint like SHA256:… (ssh-keygen -lf key.pub)');

export const estateSchema = z
  .strictObject({
    version: z.literal(1),
    /** The estate's wall clock: every time the bot shows, and maintenance windows, are in it (daylight saving included). */
    timezone: z.string().refine(isTimeZone, 'use an IANA time zone like Europe/Berlin or UTC').default('UTC'),
    docker_hosts: z
      .array(
        z.strictObject({
          name,
          endpoint: z
            .string()
            .regex(/^(unix:\/\/\/.+|tcp:\/\/[^\s/]+:\d+)$/, 'use unix:///path/docker.sock or tcp://host:port'),
        }),
      )
      .min(1),
    gpu_box: z
      .strictObject({
        name,
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(22),
        user: z.string().min(1),
        host_key_fingerprint: fingerprint,
        /** Ollama's API on the box, for the loaded models in /gpu. */
        ollama_url: url.optional(),
        /** How long each part of /gpu may take before it shows as "timed out". */
        query_timeout: durationSchema.default(8_000),
      })
      .optional(),
    /** The estate's VictoriaMetrics (the Blackbox Exporter's probe_success): uptime in /status <service>. */
    victoria_metrics: z
      .strictObject({
        url: z.url({ message: 'invalid URL' }),
        /** The series of one service; {target} is replaced by its probe_target. */
        probe_success: z.string().includes('{target}', { message: 'must contain {target}' }).default('probe_success{instance="{target}"}'),
        /** How long each probe took, charted by /graph; {target} as above. */
        probe_duration: z.string().includes('{target}', { message: 'must contain {target}' }).default('probe_duration_seconds{instance="{target}"}'),
        query_timeout: durationSchema.default(5_000),
      })
      .optional(),
    /** The Mac Mini itself, over SSH to its forced-command wrapper (mac/mana-ops-wrapper): /host, the backup check. */
    mac_host: z
      .strictObject({
        name: name.default('mana-server'),
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(22),
        user: z.string().min(1).default('mana'),
        host_key_fingerprint: fingerprint,
        /** How long one operation (the status, the backups) may take. */
        query_timeout: durationSchema.default(8_000),
        /** How long a restarted cloudflared may take to run again on the Mac, and again to be connected in Cloudflare. */
        verify_timeout: durationSchema.default(30_000),
        /** The nightly PostgreSQL dump: alert when the newest is older than max_age, or smaller than min_ratio of the one before. */
        backups: z
          .strictObject({ max_age: durationSchema.default(26 * 3_600_000), min_ratio: z.number().gt(0).max(1).default(0.5) })
          .default({ max_age: 26 * 3_600_000, min_ratio: 0.5 }),
      })
      .optional(),
    cloudflare: z
      .strictObject({
        account_id: z.string().min(1),
        zone_id: z.string().min(1),
        /** How /tunnel probes a public hostname; {hostname} is replaced. */
        probe_url: z.string().includes('{hostname}', { message: 'must contain {hostname}' }).default('https://{hostname}/health'),
      })
      .optional(),
    tunnels: z.array(tunnelSchema).default([]),
    /** Paths mounted into the bot whose usage /disk reports, with the handbook's thresholds. */
    disks: z
      .array(z.strictObject({ path: z.string().startsWith('/', 'must be an absolute path'), label: z.string().min(1) }))
      .default([]),
    disk_thresholds: z
      .strictObject({ warn: z.number().min(1).max(100).default(80), critical: z.number().min(1).max(100).default(90) })
      .default({ warn: 80, critical: 90 }),
    /** Planned work: alerts of these services are silenced inside the window (times on the estate's `timezone` clock). */
    maintenance: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          services: z.array(z.string()).min(1, 'name the services, or [all]'),
          /** A recurring window: every day, or on the named weekdays. */
          days: z.array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun', 'daily'])).default(['daily']),
          from: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use HH:MM (local time)').optional(),
          to: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use HH:MM (local time)').optional(),
          /** Or a one-off window: local time (2026-12-01T03:00), or with an offset (…T03:00+01:00, …T02:00Z). */
          start: z.iso.datetime({ offset: true, local: true, message: 'use an ISO time like 2026-12-01T03:00' }).optional(),
          end: z.iso.datetime({ offset: true, local: true, message: 'use an ISO time like 2026-12-01T05:00' }).optional(),
        }).refine((m) => (m.from && m.to) || (m.start && m.end), { message: 'needs from/to (recurring) or start/end (one-off)' }),
      )
      .default([]),
    /** Memory budget per category (the handbook's table); /mem compares usage against it. */
    memory_budgets: z.partialRecord(z.enum(CATEGORIES), bytesSchema).default({}),
    services: z.array(serviceSchema).min(1),
    users: z
      .array(z.strictObject({ id: z.number().int().positive(), name: z.string().min(1), role: roleSchema }))
      .min(1, 'add at least one user (send /whoami to the bot to learn your id)'),
    chats: z
      .strictObject({
        alerts: z.array(z.number().int()).default([]),
        /** Group chats where allowlisted users may give commands. */
        commands: z.array(z.number().int()).default([]),
      })
      .default({ alerts: [], commands: [] }),
    policy: z
      .strictObject({
        max_command_age: durationSchema.default(60_000),
        confirm_ttl: durationSchema.default(120_000),
        rate_limit: z
          .strictObject({ commands: z.number().int().positive().default(20), window: durationSchema.default(60_000) })
          .default({ commands: 20, window: 60_000 }),
        stranger_reply: z.enum(['none', 'hourly']).default('none'),
        command_deadline: durationSchema.default(60_000),
        /** How long Telegram may take nothing before firing incidents also go to NTFY_URL. */
        fallback_after: durationSchema.default(300_000),
      })
      .default({
        max_command_age: 60_000,
        confirm_ttl: 120_000,
        rate_limit: { commands: 20, window: 60_000 },
        stranger_reply: 'none',
        command_deadline: 60_000,
        fallback_after: 300_000,
      }),
  })
  // Cross-references are checked even when other parts failed, so a broken file is reported in one go.
  .superRefine((estate, ctx) => crossCheck(estate as unknown as LooseEstate, ctx), {
    when: (payload) => typeof payload.value === 'object' && payload.value !== null,
  });

interface LooseService {
  name?: unknown;
  aliases?: unknown;
  container?: unknown;
  windows?: unknown;
  host?: unknown;
  depends_on?: unknown;
}
interface LooseEstate {
  maintenance?: unknown;
  services?: unknown;
  users?: unknown;
  tunnels?: unknown;
  docker_hosts?: unknown;
  gpu_box?: unknown;
}
const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
const strings = (v: unknown): string[] => list<unknown>(v).filter((x): x is string => typeof x === 'string');

function crossCheck(estate: LooseEstate, ctx: z.RefinementCtx): void {
  const services = list<LooseService>(estate.services).filter((s) => typeof s === 'object' && s !== null);
  const hosts = new Set(list<{ name?: unknown }>(estate.docker_hosts).map((h) => h?.name));
  const hostKnown = (host: unknown) => (host === 'gpu' ? !!estate.gpu_box : hosts.has(host ?? 'mac-mini'));
  const owner = new Map<string, number>();
  const serviceNames = new Set(services.map((s) => s.name));
  services.forEach((svc, i) => {
    const keys: [string, string][] = [
      ...(typeof svc.name === 'string' ? [[svc.name, 'name'] as [string, string]] : []),
      ...strings(svc.aliases).map((a): [string, string] => [a, 'aliases']),
    ];
    for (const [key, label] of keys) {
      const other = owner.get(key);
      if (other !== undefined && other !== i) {
        const otherName = String(services[other]?.name);
        ctx.addIssue({ code: 'custom', path: ['services', i, label], message: `"${key}" is already used by services[${other}] (${otherName})` });
      } else owner.set(key, i);
    }
    if (!svc.container && !svc.windows) ctx.addIssue({ code: 'custom', path: ['services', i], message: 'needs a container or a windows unit' });
    if (!hostKnown(svc.host)) {
      ctx.addIssue({ code: 'custom', path: ['services', i, 'host'], message: `unknown host "${String(svc.host)}" (a docker_hosts name, or gpu with a gpu_box section)` });
    }
    strings(svc.depends_on).forEach((dep, j) => {
      if (!serviceNames.has(dep)) ctx.addIssue({ code: 'custom', path: ['services', i, 'depends_on', j], message: `unknown service "${dep}"` });
    });
  });
  const ids = new Set<unknown>();
  list<{ id?: unknown }>(estate.users).forEach((u, i) => {
    if (ids.has(u?.id)) ctx.addIssue({ code: 'custom', path: ['users', i, 'id'], message: `duplicate user id ${String(u?.id)}` });
    ids.add(u?.id);
  });
  list<{ services?: unknown }>(estate.maintenance).forEach((m, i) =>
    strings(m?.services).forEach((name, j) => {
      if (name !== 'all' && !serviceNames.has(name)) ctx.addIssue({ code: 'custom', path: ['maintenance', i, 'services', j], message: `unknown service "${name}"` });
    }),
  );
  list<{ runs_on?: unknown }>(estate.tunnels).forEach((t, i) => {
    if (!hostKnown(t?.runs_on)) ctx.addIssue({ code: 'custom', path: ['tunnels', i, 'runs_on'], message: `unknown host "${String(t?.runs_on)}"` });
  });
}

export type Estate = z.output<typeof estateSchema>;
export type Service = Estate['services'][number];
export type Role = z.output<typeof roleSchema>;
export type Check = z.output<typeof checkSchema>;
