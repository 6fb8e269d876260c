import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusMetrics } from '../../src/ops/prometheus-metrics';
import { RedisStore } from '../../src/ops/state/redis-store';
import { startBot, type RunningBot } from '../support/bot-harness';
import { capturingLogger } from '../support/fakes';
import { ADMIN, OPS_GROUP, OTHER_GROUP, testEstate } from '../support/estate';
import { RedisServer } from '../support/redis';
import type { TgUser } from '../support/telegram-emulator';

const redis = new RedisServer();
let bot: RunningBot;
let raw: Redis;
const metrics = new PrometheusMetrics();
const captured = capturingLogger();

const FLOOD = 10_000;
const series = async (name: string) => (await metrics.text()).split('\n').filter((l) => l.startsWith(`${name}{`));
const counted = async (outcome: string) => {
  const line = (await series('mana_ops_outsider_messages_total')).find((l) => l.includes(`outcome="${outcome}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
};
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);

beforeAll(async () => {
  await redis.start();
  raw = new Redis(redis.url);
  const store = new RedisStore({ url: redis.url });
  await store.ready();
  bot = await startBot(testEstate({ prefix: 'mo-strangers' }), store, { metrics, log: captured.log });
});

afterAll(async () => {
  await bot?.stop();
  raw?.disconnect();
  await redis.stop();
});

describe('strangers cannot wear the bot down', () => {
  it('10,000 messages from people not on the allowlist leave the audit, Redis memory, the log and /metrics bounded; the admin is answered as before', async () => {
    const emu = bot.emu;
    emu.sendText(ADMIN, '/ping');
    const pong = await emu.nextMessage(ADMIN.id, 0);
    expect(pong.text).toContain('pong');
    // The audit is written behind the reply: the admin's /ping is in the book once it has landed.
    await expect.poll(async () => (await raw.xrevrange('mana-ops:audit', '+', '-', 'COUNT', 1))[0]?.[1].join(' '), { timeout: 5_000, interval: 20 }).toMatch(/action ping .*result ok/);
    const adminBefore = (await raw.xrevrange('mana-ops:audit', '+', '-')).map(([id]) => id);
    const memoryBefore = await usedMemory();
    const keysBefore = await raw.dbsize();
    const logLinesBefore = captured.lines.length;

    // Private chats, the ops group (where commands are allowed) and a group where they are not; made-up
    // command names with 3,000 characters of arguments, /whoami (which strangers may run) and forged presses.
    const payload = 'x'.repeat(3_000);
    for (let i = 0; i < FLOOD; i++) {
      const from: TgUser = { id: 5_000_000 + (i % 2_500), is_bot: false, first_name: `m${i}` };
      const kind = i % 10;
      if (kind === 9) emu.press(from, pong, `cf:forged${i}`);
      else if (kind === 8) emu.sendText(from, '/whoami');
      else if (kind < 4) emu.sendText(from, `/cmd${i} ${payload}`);
      else emu.sendText(from, `/restart${i} chat-web ${payload}`, { chat: kind < 6 ? OPS_GROUP : OTHER_GROUP });
    }
    await expect.poll(async () => (await counted('noted')) + (await counted('muted')), { timeout: 120_000, interval: 250 }).toBe(FLOOD);

    // The users' book still holds exactly what the admin did; outsiders have their own, small and capped.
    expect((await raw.xrevrange('mana-ops:audit', '+', '-')).map(([id]) => id)).toEqual(adminBefore);
    const outsiders = await raw.xrange('mana-ops:audit:outsiders', '-', '+');
    expect(outsiders.length).toBe(await counted('noted'));
    expect(outsiders.length).toBeLessThanOrEqual(60);
    for (const [, fields] of outsiders) expect(fields.join(' ').length).toBeLessThan(700);
    // Nothing per stranger is kept: no rate-limit counters, no conversation state, no reply markers.
    expect((await raw.dbsize()) - keysBefore).toBeLessThanOrEqual(1);
    expect((await usedMemory()) - memoryBefore).toBeLessThan(512 * 1024);
    // One series per registered command and result, made-up names in one bucket.
    const commandSeries = await series('mana_ops_commands_total');
    expect(commandSeries.filter((l) => /command="(cmd|restart)\d/.test(l))).toEqual([]);
    expect(commandSeries.length).toBeLessThanOrEqual(6);
    // The log names the few it noted and says once per limit that it went quiet.
    const logged = captured.lines.slice(logLinesBefore);
    expect(logged.length).toBeLessThanOrEqual(3 * 60 + 10);
    expect(logged.filter((l) => /muted/.test(l.msg)).length).toBeLessThanOrEqual(4);
    // Answers to strangers stay within the overall limit too.
    const toStrangers = emu.messages.filter((m) => m.chat.id >= 5_000_000).length;
    expect(toStrangers).toBeGreaterThan(0);
    expect(toStrangers).toBeLessThanOrEqual(60);

    const before = emu.messagesTo(ADMIN.id).length;
    emu.sendText(ADMIN, '/ping');
    expect((await emu.nextMessage(ADMIN.id, before)).text).toContain('pong');
    const inGroup = emu.messagesTo(OPS_GROUP.id).length;
    emu.sendText(ADMIN, '/ping', { chat: OPS_GROUP });
    expect((await emu.nextMessage(OPS_GROUP.id, inGroup)).text).toContain('pong');
    expect((await raw.xrevrange('mana-ops:audit', '+', '-', 'COUNT', 1))[0]?.[1]).toEqual(expect.arrayContaining([String(ADMIN.id), 'ping', 'ok']));
  });
});
