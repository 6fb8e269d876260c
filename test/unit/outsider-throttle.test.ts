import { describe, expect, it } from 'vitest';
import { OutsiderThrottle } from '../../src/auth/outsider-throttle';

const limits = { perSender: 2, perChat: 4, overall: 6, windowMs: 60_000, remembered: 3 };
const kinds = (t: OutsiderThrottle, calls: [number, number][], now = 0) => calls.map(([sender, chat]) => t.judge(sender, chat, now).kind);

describe('outsider throttle', () => {
  it('notes a sender a few times per window, names the limit once, then stays quiet until the window ends', () => {
    const t = new OutsiderThrottle(limits);
    expect(kinds(t, [[1, 1], [1, 1], [1, 1], [1, 1]])).toEqual(['note', 'note', 'mute', 'quiet']);
    expect(t.judge(1, 1, 30_000)).toEqual({ kind: 'quiet' });
    expect(t.judge(1, 1, 60_000)).toEqual({ kind: 'note' });
  });

  it('many senders in one chat reach the chat limit; many chats reach the overall one, each named once', () => {
    const t = new OutsiderThrottle(limits);
    expect(kinds(t, [[1, 9], [2, 9], [3, 9], [4, 9], [5, 9], [6, 9]])).toEqual(['note', 'note', 'note', 'note', 'mute', 'quiet']);
    expect(t.judge(7, 9, 0)).toEqual({ kind: 'quiet' });
    expect(kinds(t, [[10, 10], [11, 11], [12, 12], [13, 13]])).toEqual(['note', 'note', 'mute', 'quiet']);
    expect(t.judge(14, 14, 0)).toEqual({ kind: 'quiet' });
  });

  it('forgetting the oldest senders (memory stays bounded) never lets more through than the overall limit', () => {
    const t = new OutsiderThrottle({ ...limits, perSender: 1, perChat: 100, overall: 5 });
    const noted = Array.from({ length: 1_000 }, (_, i) => t.judge(i % 10, 1, 0).kind).filter((k) => k === 'note');
    expect(noted).toHaveLength(5);
  });
});
