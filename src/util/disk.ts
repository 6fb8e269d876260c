/** Share of a volume in use, in whole percent, as `df` shows it. */
export function usedPercent(u: { totalBytes: number; freeBytes: number }): number {
  return u.totalBytes ? Math.round(((u.totalBytes - u.freeBytes) / u.totalBytes) * 100) : 0;
}

/** The handbook's thresholds: warning at 80 %, critical at 90 % (from the estate file). */
export function diskLevel(percent: number, t: { warn: number; critical: number }): 'ok' | 'warning' | 'critical' {
  return percent >= t.critical ? 'critical' : percent >= t.warn ? 'warning' : 'ok';
}
