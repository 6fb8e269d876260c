/** A log line in plain words for the console's screen: "⚠️ what happened: why". */
export function plainLogLine(json: string): string | undefined {
  let entry: { level?: number; msg?: string; err?: unknown; ref?: unknown; [k: string]: unknown };
  try {
    entry = JSON.parse(json) as typeof entry;
  } catch {
    return json.trim() || undefined;
  }
  // A command's failure is in its reply already, with the same ref: printed once, there.
  if (entry.ref !== undefined) return undefined;
  const level = entry.level ?? 30;
  const icon = level >= 50 ? '❌' : level >= 40 ? '⚠️' : 'ℹ️';
  const err = typeof entry.err === 'string' ? entry.err : entry.err && typeof entry.err === 'object' ? (entry.err as { message?: string }).message : undefined;
  return `${icon} ${entry.msg ?? ''}${err ? `: ${err}` : ''}`;
}

/**
 * The console's log destination (pino writes JSON lines to it): each becomes a plain line above the prompt, so
 * none lands in the middle of what the admin types. Until the console is up, lines go to `early` as they are.
 */
export class ConsoleLog {
  private above: ((line: string) => void) | undefined;

  constructor(private readonly early: { write(text: string): unknown }) {}

  write(json: string): void {
    const line = plainLogLine(json);
    if (line === undefined) return;
    if (this.above) this.above(line);
    else this.early.write(`${line}\n`);
  }

  /** The console is up: lines go above its prompt from now on. */
  attach(above: (line: string) => void): void {
    this.above = above;
  }
}
