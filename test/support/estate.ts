import type { Estate } from '../../src/config/schema';
import { estateSchema } from '../../src/config/schema';

export const ADMIN = { id: 100, is_bot: false, first_name: 'Ada' } as const;
export const OPERATOR = { id: 200, is_bot: false, first_name: 'Otto' } as const;
export const VIEWER = { id: 300, is_bot: false, first_name: 'Vera' } as const;
export const STRANGER = { id: 999, is_bot: false, first_name: 'Mallory' } as const;
export const OPS_GROUP = { id: -1001234, type: 'supergroup', title: 'ops' } as const;
export const OTHER_GROUP = { id: -1009999, type: 'supergroup', title: 'random' } as const;

/** A small estate on loopback only: containers named with `prefix` so parallel files never collide. */
/** The three allowlisted users of every test estate, as the estate file writes them. */
export const TEST_USERS = [
  { id: ADMIN.id, name: 'ada', role: 'admin' },
  { id: OPERATOR.id, name: 'otto', role: 'operator' },
  { id: VIEWER.id, name: 'vera', role: 'viewer' },
] as const;
/** A rate limit no test reaches, for suites that send many commands. */
export const NO_RATE_LIMIT = { rate_limit: { commands: 1000, window: '1m' } } as const;

type Raw = Record<string, unknown> & { services: Record<string, unknown>[]; docker_hosts: Record<string, unknown>[] };

export function testEstate(
  options: { prefix?: string; dockerSock?: string; overrides?: Record<string, unknown>; extend?: (raw: Raw) => Raw } = {},
): Estate {
  const p = options.prefix ?? 'mo-test';
  const raw: Raw = {
    version: 1,
    docker_hosts: [{ name: 'local', endpoint: `unix://${options.dockerSock ?? '/nonexistent/docker.sock'}` }],
    services: [
      { name: 'postgres', container: `${p}-postgres`, category: 'infra', host: 'local', restart: { role: 'admin' } },
      { name: 'chat-backend', container: `${p}-chat-backend`, category: 'backend', host: 'local', depends_on: ['postgres'] },
      { name: 'chat-web', aliases: ['chat'], container: `${p}-chat-web`, category: 'web', host: 'local', depends_on: ['chat-backend'] },
      { name: 'todo-web', container: `${p}-todo-web`, category: 'web', host: 'local' },
      { name: 'frozen', container: `${p}-frozen`, category: 'tooling', host: 'local', restart: { allowed: false } },
    ],
    users: TEST_USERS,
    chats: { alerts: [ADMIN.id], commands: [OPS_GROUP.id] },
    ...options.overrides,
  };
  return estateSchema.parse(options.extend ? options.extend(raw) : raw);
}
