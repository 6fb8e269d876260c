import { describe, expect, it } from 'vitest';
import { timed } from '../../src/ops/timed';

class Adapter {
  private readonly prefix = 'v';
  calls = 0;
  async read(id: string): Promise<string> {
    this.calls++;
    return `${this.prefix}:${id}:${await this.inner()}`;
  }
  async fail(): Promise<never> {
    throw new Error('socket gone');
  }
  private async inner(): Promise<number> {
    return 1;
  }
  name(): string {
    return 'sync';
  }
}

describe('timed: call latencies for /metrics without the adapter knowing', () => {
  it('reports each asynchronous call once, with its outcome, and passes results and errors through', async () => {
    const seen: [string, boolean][] = [];
    const adapter = new Adapter();
    const wrapped = timed(adapter, (op, ok, ms) => {
      expect(ms).toBeGreaterThanOrEqual(0);
      seen.push([op, ok]);
    });
    expect(await wrapped.read('a')).toBe('v:a:1');
    await expect(wrapped.fail()).rejects.toThrow('socket gone');
    expect(wrapped.name()).toBe('sync');
    expect(wrapped.calls).toBe(1);
    // The adapter's own inner call is not counted: only what the bot asked for.
    expect(seen).toEqual([
      ['read', true],
      ['fail', false],
    ]);
  });
});
