/** Docker-compose style sizes: `128m`, `1g`, `512M`, `1.5g`, `64k`, plain bytes. */
const UNIT = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as const;

export function parseBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg])?b?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = (m[2]?.toLowerCase() ?? 'b') as keyof typeof UNIT;
  return Math.round(Number(m[1]) * UNIT[unit]);
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 4) return `${(n / 1024 ** 4).toFixed(1)} TiB`;
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${Math.round(n / 1024 ** 2)} MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} B`;
}
