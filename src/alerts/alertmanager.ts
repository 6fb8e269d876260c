import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Catalog } from '../config/catalog';
import type { Notifier, StateStore } from '../ops/ports';
import { escapeHtml } from '../util/html';
import { fitLines } from '../util/fit-lines';

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

interface GroupState {
  messages: { chatId: number; messageId: number }[];
  alerts: Record<string, { status: 'firing' | 'resolved'; name: string; where: string; summary: string; startsAt: string }>;
  shown?: string;
}

const groupKeyOf = (groupKey: string) => `am:group:${createHash('sha256').update(groupKey).digest('hex').slice(0, 24)}`;

/**
 * Alertmanager's notifications as living messages: one per alert group (groupKey), edited as alerts of the
 * group fire and resolve, closed when all have resolved. Delivery failures are thrown so the HTTP answer is
 * an error and Alertmanager retries.
 */
export class AlertmanagerIntake {
  constructor(
    private readonly store: StateStore,
    private readonly notifier: Notifier,
    private readonly catalog: Catalog,
  ) {}

  async receive(hook: Webhook): Promise<void> {
    const key = groupKeyOf(hook.groupKey);
    const raw = await this.store.get(key);
    const group: GroupState = raw ? (JSON.parse(raw) as GroupState) : { messages: [], alerts: {} };
    for (const a of hook.alerts) {
      group.alerts[a.fingerprint] = {
        status: a.status,
        name: a.labels.alertname ?? 'alert',
        where: a.labels.instance ?? a.labels.service ?? a.labels.job ?? '',
        summary: a.annotations.summary ?? a.annotations.description ?? '',
        startsAt: a.startsAt,
      };
    }
    const all = Object.values(group.alerts);
    const firing = all.filter((a) => a.status === 'firing');
    const title = Object.entries(hook.groupLabels).map(([k, v]) => `${k}=${v}`).join(', ') || hook.receiver;
    const text = firing.length
      ? fitLines([
          `🔥 <b>${escapeHtml(title)}</b> · ${firing.length} firing${all.length > firing.length ? `, ${all.length - firing.length} resolved` : ''} (Alertmanager)`,
          ...(hook.truncatedAlerts ? [`(${hook.truncatedAlerts} more not sent by Alertmanager)`] : []),
          ...all
            .sort((a, b) => a.startsAt.localeCompare(b.startsAt))
            .map((a) => `${a.status === 'firing' ? '🔴' : '✅'} ${escapeHtml(a.name)}${a.where ? ` · ${escapeHtml(a.where)}` : ''}${a.summary ? `: ${escapeHtml(a.summary)}` : ''}`),
        ])
      : `✅ <b>${escapeHtml(title)}</b> resolved · ${all.length} alert${all.length === 1 ? '' : 's'} (Alertmanager)`;
    const service = this.catalog.findService(hook.commonLabels.service ?? hook.commonLabels.container ?? '');
    const buttons = firing.length && service?.container ? [[{ text: '📜 Logs', data: `s:/logs ${service.name}` }, { text: '🔁 Restart', data: `s:/restart ${service.name}` }]] : [];
    if (group.messages.length === 0) {
      if (!firing.length) return; // resolved before we ever told it
      for (const chatId of this.catalog.estate.chats.alerts) {
        group.messages.push({ chatId, messageId: await this.notifier.send(chatId, text, buttons) });
        await this.store.set(key, JSON.stringify(group)); // a retry after a partial failure must not send twice
      }
    } else if (group.shown !== text) {
      for (const m of group.messages) await this.notifier.edit(m.chatId, m.messageId, text, buttons);
    }
    group.shown = text;
    if (!firing.length) await this.store.del(key);
    else await this.store.set(key, JSON.stringify(group));
  }
}
