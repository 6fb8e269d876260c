import { describe, expect, it } from 'vitest';
import { AuditLog, type AuditEntry } from '../../src/auth/audit';
import { MemoryStore } from '../../src/ops/state/memory-store';
import { capturingLogger, countingStore, DownStore, silentLogger } from '../support/fakes';

const entry = (i: number): AuditEntry => ({ at: 1_000 + i, userId: 100, chatId: 100, action: 'ping', args: String(i), result: 'ok', ms: 1 });

describe('the audit log', () => {
  it('writes a run of entries in one round trip, in order, and a reader sees them all', async () => {
    const { store, calls } = countingStore(new MemoryStore());
    const audit = new AuditLog(store, silentLogger());
    for (let i = 0; i < 30; i++) audit.note(entry(i));
    audit.note({ ...entry(99), action: 'whoami', userId: undefined }, 'outsiders');
    expect(calls).toEqual([]);
    const recent = await audit.recent(50);
    expect(recent.map((e) => e.args)).toEqual(Array.from({ length: 30 }, (_, i) => String(29 - i)));
    expect((await audit.recent(5, 'outsiders')).map((e) => e.action)).toEqual(['whoami']);
    // One write per book, then the reads.
    expect(calls).toEqual(['appendMany', 'appendMany', 'tail', 'tail']);
  });

  it('writes by itself shortly after, without anyone asking', async () => {
    const store = new MemoryStore();
    const audit = new AuditLog(store, silentLogger(), 5);
    audit.note(entry(1));
    await expect.poll(async () => (await store.tail('audit', 5)).length, { timeout: 2_000, interval: 5 }).toBe(1);
  });

  it('keeps every entry in the log when the store cannot take them', async () => {
    const { log, lines } = capturingLogger();
    const audit = new AuditLog(new DownStore(), log);
    for (let i = 0; i < 3; i++) audit.note(entry(i));
    await audit.flush();
    const kept = lines.filter((l) => l.msg === 'audit entry kept in the log only: state store unavailable');
    expect(kept.map((l) => (l.audit as Record<string, string>).args)).toEqual(['0', '1', '2']);
    expect(kept[0]?.level).toBe(40);
  });
});
