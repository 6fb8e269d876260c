/**
 * How the example estate file marks what must be filled in: REPLACE in the value, or a made-up UUID that starts
 * with zeros (YAML drops the comment that says so; no real tunnel's id looks like that).
 */
const PLACEHOLDERS = [/REPLACE/i, /^0{8}-0{4}-[0-9a-f]{4}-[0-9a-f]{4}-0{8}[0-9a-f]{4}$/i];

/**
 * Where an estate still holds one of the example's placeholders (`SHA256:REPLACE…`, `REPLACE-with-…`), as paths
 * like `gpu_box.host_key_fingerprint`. Telegram mode refuses to start on them: a placeholder fingerprint would
 * otherwise surface much later as "host key mismatch, someone may be in between".
 */
export function placeholdersIn(value: unknown, path = ''): string[] {
  if (typeof value === 'string') return PLACEHOLDERS.some((p) => p.test(value)) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => placeholdersIn(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => placeholdersIn(v, path ? `${path}.${k}` : k));
  return [];
}
