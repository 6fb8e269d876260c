import { distance } from 'fastest-levenshtein';
import { LocalTime } from '../util/local-time';
import type { Estate, Role, Service } from './schema';

export type Tunnel = Estate['tunnels'][number];

export interface WindowsUnit {
  kind: 'task' | 'service';
  name: string;
}

/** The Scheduled Task or Windows Service behind a GPU-box service. */
export function windowsUnitOf(svc: Service): WindowsUnit | undefined {
  if (!svc.windows) return undefined;
  return 'scheduled_task' in svc.windows ? { kind: 'task', name: svc.windows.scheduled_task } : { kind: 'service', name: svc.windows.windows_service };
}

/** "Scheduled Task ManaSTT" / "Windows Service Cloudflared", for messages. */
export function describeUnit(unit: WindowsUnit): string {
  return `${unit.kind === 'task' ? 'Scheduled Task' : 'Windows Service'} ${unit.name}`;
}

export interface KnownUser {
  id: number;
  name: string;
  role: Role;
}

/**
 * Edits between two words, a swap of two neighbours counting as one (`stauts` is one edit from `status`, two from
 * `start`): Levenshtein's distance (fastest-levenshtein) with the transpositions it cannot see taken off.
 */
function typoDistance(a: string, b: string): number {
  const plain = distance(a, b);
  if (a.length !== b.length) return plain;
  let swaps = 0;
  for (let i = 0; i + 1 < a.length; i++) {
    if (a[i] !== b[i] && a[i] === b[i + 1] && a[i + 1] === b[i]) {
      swaps++;
      i++;
    }
  }
  return plain - swaps;
}

/** Whether score `x` beats `y`: the first place they differ is lower. */
const ahead = (x: number[], y: number[]) => {
  const i = x.findIndex((v, k) => v !== y[k]);
  return i >= 0 && (x[i] as number) < (y[i] as number);
};

const commonPrefix = (a: string, b: string) => {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
};

/**
 * Suggests the nearest candidate when it is close enough to be a typo, not a different word. A word that one starts
 * with the other (`memory`, `mem`) counts as one edit. Ties go to the one with the same first letter, then the
 * longer common start (`rstart`: restart, not start), then the earlier candidate.
 */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  const word = input.toLowerCase();
  if (candidates.length === 0 || word === '') return undefined;
  let best: { candidate: string; score: number[] } | undefined;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    const prefix = Math.min(word.length, c.length) >= 3 && (word.startsWith(c) || c.startsWith(word));
    const d = prefix ? 1 : typoDistance(word, c);
    if (d > Math.max(2, Math.floor(c.length / 3))) continue;
    const score = [d, c[0] === word[0] ? 0 : 1, -commonPrefix(word, c)];
    if (!best || ahead(score, best.score)) best = { candidate, score };
  }
  return best?.candidate;
}

/**
 * Look-ups over the estate file: services by any of their names, dependants, users, chats. It is the one holder
 * of the estate in force: a reload replaces it here and every reader sees the new file from its next look-up.
 */
export class Catalog {
  private byKey = new Map<string, Service>();
  private users = new Map<number, KnownUser>();
  private current!: Estate;
  /** The estate's wall clock, for every time shown and every maintenance window. */
  time!: LocalTime;

  constructor(estate: Estate) {
    this.adopt(estate);
  }

  get estate(): Estate {
    return this.current;
  }

  /** Puts a new (already validated) estate file in force. */
  adopt(estate: Estate): void {
    const byKey = new Map<string, Service>();
    for (const svc of estate.services) {
      for (const key of [svc.name, ...svc.aliases, ...(svc.container ? [svc.container] : [])]) {
        if (!byKey.has(key.toLowerCase())) byKey.set(key.toLowerCase(), svc);
      }
    }
    this.byKey = byKey;
    this.users = new Map(estate.users.map((u) => [u.id, { ...u }]));
    if (this.time?.zone !== estate.timezone) this.time = new LocalTime(estate.timezone);
    this.current = estate;
  }

  get services(): readonly Service[] {
    return this.estate.services;
  }

  /** By short name, alias or container name, case-insensitive. */
  findService(name: string): Service | undefined {
    return this.byKey.get(name.trim().toLowerCase());
  }

  /** The service a typo most likely meant, among those `among` allows (all by default). */
  suggestService(name: string, among: (svc: Service) => boolean = () => true): string | undefined {
    const key = suggest(name, [...this.byKey].filter(([, svc]) => among(svc)).map(([k]) => k));
    return key ? this.byKey.get(key)?.name : undefined;
  }

  /** Services that list `name` in depends_on, directly or through others. */
  dependantsOf(name: string): Service[] {
    const out: Service[] = [];
    const seen = new Set<string>([name]);
    const queue = [name];
    while (queue.length > 0) {
      const current = queue.shift() as string;
      for (const svc of this.estate.services) {
        if (svc.depends_on.includes(current) && !seen.has(svc.name)) {
          seen.add(svc.name);
          out.push(svc);
          queue.push(svc.name);
        }
      }
    }
    return out;
  }

  /** The given services with every dependency before what depends on it (depends_on, transitively). */
  inDependencyOrder(services: readonly Service[]): Service[] {
    const wanted = new Set(services.map((s) => s.name));
    const out: Service[] = [];
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (svc: Service) => {
      if (done.has(svc.name) || visiting.has(svc.name)) return; // a cycle is broken where it is met
      visiting.add(svc.name);
      for (const dep of svc.depends_on) {
        const d = this.findService(dep);
        if (d) visit(d);
      }
      visiting.delete(svc.name);
      done.add(svc.name);
      if (wanted.has(svc.name)) out.push(svc);
    };
    services.forEach(visit);
    return out;
  }

  /** The tunnel the estate file assigns to a full public hostname. */
  tunnelFor(hostname: string): Tunnel | undefined {
    const h = hostname.toLowerCase();
    return this.estate.tunnels.find((t) => t.hostnames.some((x) => x.toLowerCase() === h));
  }

  /** A tunnel by its name or UUID. */
  findTunnel(nameOrUuid: string): Tunnel | undefined {
    const k = nameOrUuid.toLowerCase();
    return this.estate.tunnels.find((t) => t.name === k || t.uuid.toLowerCase() === k);
  }

  /** The service behind a public hostname (its origin). */
  serviceForHostname(hostname: string): Service | undefined {
    const h = hostname.toLowerCase();
    return this.estate.services.find((s) => s.public_hostnames.some((x) => x.toLowerCase() === h));
  }

  publicHostnames(): string[] {
    return this.estate.tunnels.flatMap((t) => t.hostnames.map((h) => h.toLowerCase()));
  }

  categories(): string[] {
    return [...new Set(this.estate.services.map((s) => s.category))];
  }

  servicesIn(category: string): Service[] {
    return this.estate.services.filter((s) => s.category === category);
  }

  user(id: number): KnownUser | undefined {
    return this.users.get(id);
  }

  isCommandGroup(chatId: number): boolean {
    return this.estate.chats.commands.includes(chatId);
  }
}
