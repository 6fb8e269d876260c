import type { Catalog, KnownUser } from '../config/catalog';
import type { Service } from '../config/schema';
import type { ArgGuide } from './types';

/** What a guided question offers: the services this user could pick (the guide's `offer`), by category. */
export function offeredServices(catalog: Catalog, guide: Extract<ArgGuide, { kind: 'service' }>, user: KnownUser): { categories: string[]; inCategory: (c: string) => Service[] } {
  const offered = catalog.services.filter((s) => guide.offer?.(s, user) ?? true);
  return { categories: [...new Set(offered.map((s) => s.category))], inCategory: (c) => offered.filter((s) => s.category === c) };
}

/** A value as one word of a command line: quoted when it has spaces or quotes. */
export function quoteArg(value: string): string {
  return /^[A-Za-z0-9_.:-]+$/.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** The command line a guided conversation ends in, as if it had been typed. */
export function completedLine(command: string, rest: string, values: [string, string][]): string {
  return [`/${command}`, rest, ...values.map(([name, value]) => `${name}=${quoteArg(value)}`)].filter(Boolean).join(' ');
}
