import type { ContainerEvent } from '../ops/ports';

export interface RestartLoop {
  container: string;
  dies: number;
  windowMs: number;
  lastExitCode?: number;
}

/**
 * Turns the container event stream into "restart loop" findings: a container that died `threshold` times
 * within `windowMs` (a restart policy bringing it back each time) is reported once, and again only after
 * it has been quiet for a whole window.
 */
export class RestartLoopDetector {
  private readonly dies = new Map<string, number[]>();
  private readonly reported = new Set<string>();

  constructor(
    private readonly threshold = 3,
    private readonly windowMs = 5 * 60_000,
  ) {}

  observe(event: ContainerEvent): RestartLoop | undefined {
    if (event.action !== 'die') return undefined;
    const now = event.at.getTime();
    const recent = (this.dies.get(event.container) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length === 0) this.reported.delete(event.container);
    recent.push(now);
    this.dies.set(event.container, recent);
    if (recent.length < this.threshold || this.reported.has(event.container)) return undefined;
    this.reported.add(event.container);
    return {
      container: event.container,
      dies: recent.length,
      windowMs: this.windowMs,
      ...(event.exitCode !== undefined && { lastExitCode: event.exitCode }),
    };
  }
}
