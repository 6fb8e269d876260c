import { ack, alerts, silence, silences, unsilence } from './alerting';
import { audit } from './audit';
import { cancel } from './cancel';
import { deploy } from './deploy';
import { disk } from './disk';
import { gpu } from './gpu';
import { graph } from './graph';
import { help } from './help';
import { host } from './host';
import { logs } from './logs';
import { mem } from './mem';
import { ping } from './ping';
import { reload } from './reload';
import { restart } from './restart';
import { status } from './status';
import { tunnel } from './tunnel';
import { up } from './up';
import type { CommandSpec } from './types';
import { whoami } from './whoami';

/** Every command the bot knows, in the order /help lists them. */
export function builtinCommands(): CommandSpec[] {
  return [help, whoami, status, graph, alerts, restart, up, deploy, logs, mem, disk, gpu, host, tunnel, silence, silences, unsilence, ack, ping, audit, reload, cancel];
}
