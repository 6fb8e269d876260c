import type { Alertmanager } from '../../test/support/alertmanager';
import type { TelegramEmulator } from '../../test/support/telegram-emulator';

/**
 * The alert storm both storm benchmarks play: N distinct alerts posted to real Alertmanagers within 10 s, held
 * until `resolveAfterMs` after the first post, then resolved. They are shaped like the estate's vmalert alerts: a
 * handful of alert names over the estate's services, summaries of about 200 characters full of `< > & "`, a
 * generatorURL; each alert is one alertname on one service. Firing alerts carry an end an hour ahead, as vmalert's
 * do while it keeps sending them: otherwise Alertmanager would resolve them by itself after its resolve_timeout.
 */
export interface StormTimes {
  t0: number;
  tResolve: number;
  /** When the bot's chat first named every alert, if it did before the resolve. */
  allNamedAt: number | undefined;
  /** From the resolve until every message naming storm alerts in the bot's chat shows ✅. */
  currentAfterMs: number;
}

/** Alertmanager's route for the storm, as the estate would have it: grouped by alertname and service. */
export const STORM_ROUTE = { groupBy: ['alertname', 'service'], groupWait: '10s', groupInterval: '30s' };

const NAMES = [
  'ProbeFailed', 'HighLatency', 'ContainerDown', 'HighMemory', 'DiskFilling', 'TargetDown', 'HTTP5xxRate', 'SlowQueries',
  'CertExpiring', 'QueueBacklog', 'RestartLoop', 'OOMKilled', 'ReplicaLag', 'CacheMissRate', 'TunnelDegraded', 'GPUHot',
  'ConnPoolFull', 'CronMissed', 'BackupStale', 'SyncBehind', 'WebsocketDrops', 'AuthErrors', 'RateLimited', 'DNSFailures', 'ClockSkew',
];
const SERVICES = 63;

/** Alert i: which alertname on which service (unique for i below 25 × 63 / gcd = 1,575). */
export const stormAlert = (i: number) => ({ name: NAMES[i % NAMES.length] as string, service: `svc-${i % SERVICES}` });

const alert = (i: number, endsAt = new Date(Date.now() + 3_600_000).toISOString()) => {
  const { name, service } = stormAlert(i);
  return {
    labels: { alertname: name, service, instance: `${service}:8080`, job: 'blackbox', severity: 'critical' },
    annotations: {
      summary: `${name} on ${service}: probe of "https://${service}.mana.how/health?check=<deep>&from=vm" answered HTTP 502 <Bad Gateway> & the upstream "${service}-backend" refused; p95 latency 2.4 s > 1 s for 5 m (run ${i})`,
      description: `See the runbook for ${name}.`,
    },
    generatorURL: `http://127.0.0.1:8880/vmalert/alert?group_id=${i % 7}&alert_id=${1_000_000 + i}`,
    endsAt,
  };
};

/** One pattern per alert: its alertname and its service (not a longer one: svc-3 is not svc-31) in the same text. */
const built = new Map<number, { name: string; service: RegExp }[]>();
const patterns = (n: number) => {
  let all = built.get(n);
  if (!all) {
    all = Array.from({ length: n }, (_, i) => {
      const { name, service } = stormAlert(i);
      return { name, service: new RegExp(`\\b${service}(?!\\d)`) };
    });
    built.set(n, all);
  }
  return all;
};

/** The alerts (by number) one text names: alertname and service together. */
export function alertsNamedBy(text: string, n: number): number[] {
  return patterns(n).flatMap((p, i) => (text.includes(p.name) && p.service.test(text) ? [i] : []));
}

/** Which alerts (by number) a chat's messages and edits have named so far. */
export function namedIn(emu: TelegramEmulator, chat: number, n: number): Set<number> {
  const named = new Set<number>();
  for (const h of emu.history) if (h.chatId === chat) for (const i of alertsNamedBy(h.text, n)) named.add(i);
  return named;
}

export async function playStorm(o: {
  emu: TelegramEmulator;
  botChat: number;
  alertmanagers: Alertmanager[];
  n: number;
  resolveAfterMs: number;
  /** Called at the first post (an outage starts here). */
  onStart?: () => void;
}): Promise<StormTimes> {
  const { emu, botChat, n } = o;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const postAll = (batch: ReturnType<typeof alert>[]) => Promise.all(o.alertmanagers.map((am) => am.post(batch)));
  const t0 = Date.now();
  o.onStart?.();
  // Ten batches a second apart; the last may be smaller when n is not a multiple of ten.
  const per = Math.ceil(n / 10);
  const batch = (b: number, endsAt?: string) => Array.from({ length: Math.max(0, Math.min(per, n - b * per)) }, (_, k) => alert(b * per + k, endsAt));
  for (let b = 0; b < 10; b++) {
    await postAll(batch(b));
    await sleep(1_000);
  }
  let allNamedAt: number | undefined;
  while (Date.now() - t0 < o.resolveAfterMs) {
    if (allNamedAt === undefined && namedIn(emu, botChat, n).size === n) allNamedAt = Date.now();
    await sleep(1_000);
  }
  const past = new Date(Date.now() - 1_000).toISOString();
  const tResolve = Date.now();
  for (let b = 0; b < 10; b++) await postAll(batch(b, past));
  // Current: every message that ever named storm alerts (a service) now shows them resolved.
  const stormMessages = () => {
    const ids = new Set(emu.history.filter((h) => h.chatId === botChat && /\bsvc-\d+/.test(h.text)).map((h) => h.messageId));
    return emu.messagesTo(botChat).filter((m) => ids.has(m.message_id));
  };
  const current = () => {
    const msgs = stormMessages();
    return msgs.length > 0 && msgs.every((m) => m.text.startsWith('✅'));
  };
  while (!current() && Date.now() - tResolve < Number(process.env.STORM_CURRENT_WAIT_MS ?? 10 * 60_000)) await sleep(1_000);
  for (const m of stormMessages().filter((x) => !x.text.startsWith('✅'))) {
    console.log(`not current: message ${m.message_id}: ${m.text.slice(0, 160).replace(/\n/g, ' | ')}`);
  }
  return { t0, tResolve, allNamedAt, currentAfterMs: Date.now() - tResolve };
}
