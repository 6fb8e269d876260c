import { ROLES, type Role } from '../config/schema';

export type { Role };
/** `anyone` is for commands a stranger may run (only /whoami): it is not a role a user can hold. */
export type RequiredRole = Role | 'anyone';

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export function roleAllows(held: Role | undefined, required: RequiredRole): boolean {
  if (required === 'anyone') return true;
  return held !== undefined && RANK[held] >= RANK[required];
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
