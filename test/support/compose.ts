import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { parse } from 'yaml';

export const TEST_REDIS_PASSWORD = '5f0c1a9e7b2d4c6e8a0b1c2d3e4f5a6b';

/** One service of `docker-compose config` output: the keys docker-compose.bot.yml uses. */
export interface ComposeService {
  image?: string;
  command?: string[] | string;
  user?: string;
  network_mode?: string;
  read_only?: boolean;
  tmpfs?: string[];
  cap_drop?: string[];
  security_opt?: string[];
  mem_limit?: string;
  memswap_limit?: string;
  restart?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  logging?: { driver: string; options?: Record<string, string> };
  healthcheck?: { test?: string[]; interval?: string; start_period?: string };
  depends_on?: Record<string, unknown>;
}
export interface ComposeConfig {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/**
 * docker-compose.bot.yml as Debian's docker-compose resolves it (`config`): validated, anchors merged, .env
 * read. Run in a copy with .env.example as .env so host paths resolve to a known place.
 */
export function composeConfig(
  env: string | null = `REDIS_PASSWORD=${TEST_REDIS_PASSWORD}\n`,
  shell: Record<string, string> = {},
): { config: ComposeConfig; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mo-compose-'));
  copyFileSync('docker-compose.bot.yml', join(dir, 'docker-compose.bot.yml'));
  // The README's first step: .env from the example, with the one value compose cannot do without (null: no .env).
  if (env !== null) writeFileSync(join(dir, '.env'), `${readFileSync('.env.example', 'utf8')}\n${env}`);
  const out = execFileSync('docker-compose', ['-f', join(dir, 'docker-compose.bot.yml'), 'config'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: '/home/admin', ...shell },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { config: parse(out) as ComposeConfig, dir };
}

/** A compose string as the container gets it: `$$` is compose's escape for a literal `$`. */
export const unescapeCompose = (text: string) => text.replaceAll('$$', '$');

export function bytesOf(limit: string): number {
  const m = /^(\d+)([bkmg]?)$/i.exec(limit);
  if (!m) throw new Error(`not a compose memory limit: ${limit}`);
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Number(m[1]) * unit;
}

/**
 * Creates a container the way `docker compose up` would for that service (user, network, read-only root,
 * tmpfs, capabilities, security options, memory, logging, volumes, command, environment), with host paths
 * and named volumes mapped for the test, and extra environment on top.
 */
export async function createFromCompose(
  docker: Docker,
  service: ComposeService,
  o: { name: string; image: string; mapSource: (source: string) => string; env?: Record<string, string>; healthIntervalMs?: number },
): Promise<Docker.Container> {
  await docker.getContainer(o.name).remove({ force: true }).catch(() => undefined);
  const env = { ...service.environment, ...o.env };
  const tmpfs = Object.fromEntries((service.tmpfs ?? []).map((t) => {
    const [path, opts] = t.split(':');
    return [path as string, opts ?? ''];
  }));
  const binds = (service.volumes ?? []).map((v) => {
    const [source, target, mode] = v.split(':');
    return `${o.mapSource(source as string)}:${target}${mode ? `:${mode}` : ''}`;
  });
  const command = typeof service.command === 'string' ? service.command.split(' ') : service.command;
  return docker.createContainer({
    name: o.name,
    Image: o.image,
    ...(command && { Cmd: command }),
    ...(service.user && { User: service.user }),
    Env: Object.entries(env).filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}`),
    // `disable: true` comes out of `config` as test [NONE]; an empty test inherits the image's HEALTHCHECK.
    ...((service.healthcheck || o.healthIntervalMs) && {
      Healthcheck: {
        Test: service.healthcheck?.test ?? [],
        ...(o.healthIntervalMs && { Interval: o.healthIntervalMs * 1_000_000, StartPeriod: 0, Retries: 2, Timeout: 5_000_000_000 }),
      },
    }),
    HostConfig: {
      ...(service.network_mode && { NetworkMode: service.network_mode }),
      ReadonlyRootfs: service.read_only ?? false,
      Tmpfs: tmpfs,
      CapDrop: service.cap_drop ?? [],
      SecurityOpt: service.security_opt ?? [],
      ...(service.mem_limit && { Memory: bytesOf(service.mem_limit) }),
      ...(service.memswap_limit && { MemorySwap: bytesOf(service.memswap_limit) }),
      ...(service.logging && { LogConfig: { Type: service.logging.driver, Config: service.logging.options ?? {} } }),
      Binds: binds,
    },
  });
}
