import type { Alertmanager } from '../../test/support/alertmanager';
import type { TelegramEmulator } from '../../test/support/telegram-emulator';

/**
 * The alert storm both storm benchmarks play: N distinct alerts posted to real Alertmanagers within 10 s, held
 * until `resolveAfterMs` after the first post, then resolved. Firing alerts carry an end an hour ahead, as
 * vmalert's do while it keeps sending them: otherwise Alertmanager would resolve them by itself after its
 * resolve_timeout (5 minutes), in the middle of an outage run.
 */
export interface StormTimes {
  t0: number;
  tResolve: number;
  /** When the bot's chat first named every alert, if it did before the resolve. */
  allNamedAt: number | undefined;
  /** From the resolve until every message naming storm alerts in the bot's chat shows ✅. */
  currentAfterMs: number;
}

const alert = (i: number, endsAt = new Date(Date.now() + 3_600_000).toISOString()) => ({
  labels: { alertname: `Storm${i}`, instance: `svc-${i % 63}:80`, severity: 'critical' },
  annotations: { summary: `probe ${i} failed` },
  endsAt,
});

/** Which alerts (by number) a chat's messages and edits have named so far. */
export const namedIn = (emu: TelegramEmulator, chat: number) =>
  new Set(emu.history.filter((h) => h.chatId === chat).flatMap((h) => [...h.text.matchAll(/Storm(\d+)/g)].map((m) => m[1])));

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
  for (let b = 0; b < 10; b++) {
    await postAll(Array.from({ length: n / 10 }, (_, k) => alert(b * (n / 10) + k)));
    await sleep(1_000);
  }
  let allNamedAt: number | undefined;
  while (Date.now() - t0 < o.resolveAfterMs) {
    if (allNamedAt === undefined && namedIn(emu, botChat).size === n) allNamedAt = Date.now();
    await sleep(1_000);
  }
  const past = new Date(Date.now() - 1_000).toISOString();
  const tResolve = Date.now();
  for (let b = 0; b < 10; b++) await postAll(Array.from({ length: n / 10 }, (_, k) => alert(b * (n / 10) + k, past)));
  // Current: every message that ever named storm alerts now shows them resolved (the bot's start notice is no
  // alert; a resolved digest may no longer name them).
  const stormMessages = () => {
    const ids = new Set(emu.history.filter((h) => h.chatId === botChat && /Storm\d+/.test(h.text)).map((h) => h.messageId));
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
