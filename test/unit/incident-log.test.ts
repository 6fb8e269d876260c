import { describe, expect, it } from 'vitest';
import { IncidentLog } from '../../src/estate/incident-log';
import { MemoryStore } from '../../src/ops/state/memory-store';

describe('incidents:log, the markers of charts', () => {
  it('a storm of 250 checks firing at one instant is three entries, and every one of its marks reads back', async () => {
    const store = new MemoryStore();
    const log = new IncidentLog(store);
    const ids = Array.from({ length: 250 }, (_, i) => `svc-${i}:http`);
    await log.note([...ids.map((checkId) => ({ checkId, kind: 'fired' as const, at: 1_000 })), { checkId: 'svc-7:http', kind: 'resolved', at: 2_000 }]);
    const entries = await store.tail('incidents:log', 100);
    expect(entries).toHaveLength(4);
    expect(entries.map((e) => e.fields.check ?? JSON.parse(e.fields.checks ?? '[]').length).sort()).toEqual([100, 100, 50, 'svc-7:http'].sort());
    const marks = await log.between(ids, 0, 3_000);
    expect(marks).toHaveLength(251);
    expect(marks.filter((m) => m.checkId === 'svc-7:http')).toEqual([
      { checkId: 'svc-7:http', kind: 'fired', at: 1_000 },
      { checkId: 'svc-7:http', kind: 'resolved', at: 2_000 },
    ]);
    expect(await log.between(['svc-3:http'], 1_500, 3_000)).toEqual([]);
  });

  it('reads entries of one check as older versions wrote them, and skips a list that does not read as one', async () => {
    const store = new MemoryStore();
    await store.appendMany('incidents:log', [
      { check: 'web:http', kind: 'fired', at: '10' },
      { checks: '["web:http", 5, "db:tcp"', kind: 'resolved', at: '20' },
      { checks: '{"web:http":1}', kind: 'resolved', at: '30' },
      { checks: '["web:http", 5]', kind: 'resolved', at: '40' },
    ], 100);
    expect(await new IncidentLog(store).between(['web:http', 'db:tcp'], 0, 100)).toEqual([
      { checkId: 'web:http', kind: 'fired', at: 10 },
      { checkId: 'web:http', kind: 'resolved', at: 40 },
    ]);
  });
});
