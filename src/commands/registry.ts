import { suggest } from '../config/catalog';
import { roleAllows } from '../auth/roles';
import type { Role } from '../config/schema';
import type { CommandSpec } from './types';

const NAME = /^[a-z][a-z0-9_]{0,31}$/;

/** All commands by name and alias; refuses a collision at start-up instead of letting one shadow another. */
export class CommandRegistry {
  private readonly byName = new Map<string, CommandSpec>();
  private readonly ordered: CommandSpec[] = [];

  constructor(specs: readonly CommandSpec[] = []) {
    for (const spec of specs) this.register(spec);
  }

  register(spec: CommandSpec): void {
    for (const key of [spec.name, ...(spec.aliases ?? [])]) {
      if (!NAME.test(key)) throw new Error(`command name "${key}" is not a valid Telegram command`);
      const other = this.byName.get(key);
      if (other) throw new Error(`command "${key}" of /${spec.name} collides with /${other.name}`);
    }
    for (const key of [spec.name, ...(spec.aliases ?? [])]) this.byName.set(key, spec);
    this.ordered.push(spec);
  }

  find(name: string): CommandSpec | undefined {
    return this.byName.get(name.toLowerCase());
  }

  all(): readonly CommandSpec[] {
    return this.ordered;
  }

  /** What someone with `role` may run, in registration order. */
  allowedFor(role: Role | undefined): CommandSpec[] {
    return this.ordered.filter((spec) => roleAllows(role, spec.role));
  }

  suggest(name: string, role: Role | undefined): string | undefined {
    const names = this.allowedFor(role).flatMap((s) => [s.name, ...(s.aliases ?? [])]);
    const hit = suggest(name, names);
    return hit ? this.find(hit)?.name : undefined;
  }
}
