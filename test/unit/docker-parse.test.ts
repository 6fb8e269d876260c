import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toEvent } from '../../src/ops/docker/docker-runtime';
import { demultiplex, rawLines } from '../../src/ops/docker/log-stream';
import { computeStats, parseStatusText, summariseDiskUsage } from '../../src/ops/docker/parse';

const fixture = (name: string) => readFileSync(`test/fixtures/docker/${name}`);
const json = (name: string) => JSON.parse(fixture(name).toString()) as Record<string, unknown>;

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Feeds a buffer in uneven slices, as a socket would: frames and lines split anywhere. */
async function* sliced(buf: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (let i = 0; at < buf.length; i++) {
    const n = sizes[i % sizes.length] as number;
    yield buf.subarray(at, at + n);
    at += n;
  }
}

describe('Docker wire shapes (real daemon captures)', () => {
  it('reads health and exit code from the list status text', () => {
    expect(parseStatusText('Up 2 hours (healthy)')).toEqual({ health: 'healthy' });
    expect(parseStatusText('Up 3 seconds (health: starting)')).toEqual({ health: 'starting' });
    expect(parseStatusText('Up 5 minutes (unhealthy)')).toEqual({ health: 'unhealthy' });
    expect(parseStatusText('Exited (137) 38 seconds ago')).toEqual({ health: 'none', exitCode: 137 });
    expect(parseStatusText('Restarting (3) 2 seconds ago')).toEqual({ health: 'none', exitCode: 3 });
    const rows = json('containers-json-all-4-states.captured.json') as unknown as { Status: string; State: string }[];
    expect(rows.map((r) => parseStatusText(r.Status).exitCode)).toEqual(expect.arrayContaining([3, 137]));
  });

  it('computes memory and CPU the way docker stats does, for cgroup v1 and v2', () => {
    const v1 = computeStats(json('container-stats-cgroupv1-busy.json'), true);
    expect(v1.cpuPercent).toBeCloseTo(100.55, 1);
    expect(v1.memoryLimit).toBe(536_870_912);
    const idle = computeStats(json('container-stats-cgroupv1-idle.json'), true);
    expect(idle.cpuPercent).toBe(0);
    expect(idle.memoryUsed).toBe(593_920);
    const v2 = computeStats(json('container-stats-cgroupv2-busy.json'), true);
    expect(v2.memoryUsed).toBe(28_557_312 - 11_882_496);
    expect(v2.cpuPercent).toBeCloseTo(100.55, 1);
    expect(computeStats(json('container-stats-not-running.json'), false)).toEqual({ memoryUsed: 0 });
  });

  it('summarises system df with what a prune would reclaim', () => {
    const df = summariseDiskUsage(json('system-df.json'));
    expect(df.images).toMatchObject({ count: 1, bytes: 1_984_135, reclaimable: 0 });
    expect(df.volumes.count).toBe(1);
    expect(df.buildCache).toEqual({ count: 0, bytes: 0, reclaimable: 0 });
  });

  it('demultiplexes stdout and stderr, whatever the chunking', async () => {
    const buf = fixture('container-logs-multiplexed.bin');
    for (const sizes of [[buf.length], [1], [3, 7, 11], [9]]) {
      const lines = await collect(demultiplex(sliced(buf, sizes), false));
      expect(lines).toHaveLength(15);
      expect(lines[0]).toEqual({ stream: 'stderr', text: 'warn: redis slow' });
      expect(lines[1]).toEqual({ stream: 'stdout', text: 'chat-backend listening on :3002' });
    }
  });

  it('splits the timestamp from each line', async () => {
    const lines = await collect(demultiplex(sliced(fixture('container-logs-multiplexed-timestamps.bin'), [5, 50]), true));
    expect(lines[0]).toEqual({ stream: 'stdout', text: 'sync up', at: new Date('2026-11-27T09:34:52.153Z') });
    expect(lines[1]).toMatchObject({ stream: 'stderr', text: 'fatal' });
  });

  it('reads TTY logs raw, with CRLF, and cuts a runaway line', async () => {
    const raw = Buffer.from(`2026-11-27T10:00:00.000000000Z \u001b[31mred\u001b[0m\r\n2026-11-27T10:00:01.000000000Z ${'x'.repeat(10_000)}\r\n`);
    const lines = await collect(rawLines(sliced(raw, [13]), true));
    expect(lines[0]).toMatchObject({ text: '\u001b[31mred\u001b[0m' });
    expect(lines[1]?.text.length).toBe(4_001);
  });

  it('turns the event stream into the events alerts need', () => {
    const events = fixture('events-sample.ndjson')
      .toString()
      .trim()
      .split('\n')
      .map((l) => toEvent(JSON.parse(l)))
      .filter((e) => e !== undefined);
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['oom', 'die', 'health_status', 'start', 'restart']));
    expect(events.find((e) => e.action === 'die')).toMatchObject({ exitCode: 137 });
    expect(events.filter((e) => e.action === 'health_status').map((e) => e.health)).toEqual(['healthy', 'unhealthy']);
    expect(events.some((e) => (e.action as string).startsWith('exec'))).toBe(false);
  });
});
