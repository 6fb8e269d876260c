import { describe, expect, it } from 'vitest';
import { parseCommandLine, ParseError } from '../../src/commands/parse';

describe('parseCommandLine', () => {
  it('splits words, honours quotes and key=value', () => {
    const p = parseCommandLine('/logs chat-web lines=100 grep="connection refused" since=15m');
    expect(p).toMatchObject({ name: 'logs', positional: ['chat-web'], named: { lines: '100', grep: 'connection refused', since: '15m' } });
  });

  it('strips the @botname and lower-cases the command', () => {
    expect(parseCommandLine('/Restart@alerts_mana_bot chat-web')).toMatchObject({ name: 'restart', mention: 'alerts_mana_bot', positional: ['chat-web'] });
  });

  it('reads phone curly quotes as quotes', () => {
    expect(parseCommandLine('/silence chat-web 1h “deploy in progress”')?.positional).toEqual(['chat-web', '1h', 'deploy in progress']);
  });

  it('keeps an = inside quotes as part of a positional word', () => {
    expect(parseCommandLine(`/note "a=b" 'c d'`)).toMatchObject({ positional: ['a=b', 'c d'], named: {} });
  });

  it('rejects an unclosed quote and a key given twice', () => {
    expect(() => parseCommandLine('/logs chat-web grep="oops')).toThrow(ParseError);
    expect(() => parseCommandLine('/logs x lines=1 lines=2')).toThrow(/given twice/);
  });

  it('is not a command without a leading slash', () => {
    expect(parseCommandLine('restart chat-web')).toBeUndefined();
    expect(parseCommandLine('/')).toBeUndefined();
  });
});
