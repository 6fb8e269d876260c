import { z } from 'zod';
import type { Catalog } from '../config/catalog';
import type { Service } from '../config/schema';

/** A service named by short name, alias or container name, resolved against the estate file. */
export function serviceArg(catalog: Catalog, accept?: (svc: Service) => string | undefined, mayActOn?: (svc: Service) => boolean) {
  return z.string().transform((name, ctx): Service => {
    const svc = catalog.findService(name);
    if (!svc) {
      // Only what the caller could pick anyway: an operator's typo never suggests an admin-only service.
      const guess = catalog.suggestService(name, (s) => !accept?.(s) && (mayActOn?.(s) ?? true));
      ctx.addIssue({
        code: 'custom',
        message: guess ? `unknown service "${name}". Did you mean ${guess}?` : `unknown service "${name}" (see the estate file)`,
      });
      return z.NEVER;
    }
    const refusal = accept?.(svc);
    if (refusal) {
      ctx.addIssue({ code: 'custom', message: refusal });
      return z.NEVER;
    }
    return svc;
  });
}

/** A whole number from text, within bounds. */
export function countArg(min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}
