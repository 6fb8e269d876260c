import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { builtinCommands } from '../../src/commands/index';
import { CommandRegistry } from '../../src/commands/registry';
import { defineCommand } from '../../src/commands/types';
import { html } from '../../src/util/html';

const cmd = (name: string, aliases: string[] = []) =>
  defineCommand({ name, aliases, summary: name, usage: `/${name}`, role: 'viewer', confirm: 'never', args: z.object({}), run: async () => ({ html: html`ok` }) });

describe('command registry', () => {
  it('refuses a name or alias that collides with another command', () => {
    expect(() => new CommandRegistry([cmd('status', ['st']), cmd('start', ['st'])])).toThrow('command "st" of /start collides with /status');
    expect(() => new CommandRegistry([...builtinCommands(), cmd('help')])).toThrow(/collides with \/help/);
  });

  it('refuses names Telegram would not accept', () => {
    expect(() => new CommandRegistry([cmd('Restart-Now')])).toThrow(/not a valid Telegram command/);
  });

  it('finds by alias and lists by role', () => {
    const reg = new CommandRegistry(builtinCommands());
    expect(reg.find('start')?.name).toBe('help');
    expect(reg.allowedFor('viewer').map((s) => s.name)).toEqual(['help', 'whoami', 'status', 'graph', 'alerts', 'logs', 'mem', 'disk', 'gpu', 'host', 'tunnel', 'silences', 'ping', 'cancel']);
    expect(reg.allowedFor(undefined).map((s) => s.name)).toEqual(['whoami']);
  });
});
