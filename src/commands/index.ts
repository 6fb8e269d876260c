import { audit } from './audit';
import { cancel } from './cancel';
import { help } from './help';
import { ping } from './ping';
import { restart } from './restart';
import type { CommandSpec } from './types';
import { whoami } from './whoami';

/** Every command the bot knows, in the order /help lists them. */
export function builtinCommands(): CommandSpec[] {
  return [help, whoami, ping, restart, audit, cancel];
}
