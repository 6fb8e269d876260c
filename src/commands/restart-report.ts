import type { RestartResult } from '../estate/restart';
import { formatDuration } from '../util/duration';
import { bold, html, type Html } from '../util/html';

/** One restart as the chat reads it, for /restart and /gpu restart alike. */
export function restartLine(r: RestartResult): Html {
  const name = bold(r.service.name);
  if (r.outcome === 'busy') {
    const since = r.sinceMs !== undefined ? ` ${formatDuration(r.sinceMs)} ago` : '';
    return html`⏳ ${name}: already restarting (started by ${r.by ?? 'someone'}${since}).`;
  }
  const killed = r.killedAfterMs !== undefined ? html` It ignored SIGTERM and was killed after the ${formatDuration(r.killedAfterMs)} stop timeout.` : html``;
  const took = formatDuration(r.tookMs);
  if (r.outcome === 'recovered') return html`✅ ${name} healthy after ${took} (${r.how}).${killed}`;
  if (r.notDone) return html`❌ ${name}: ${r.reason}`;
  return html`❌ ${name} still failing after ${took}: ${r.reason}${killed}`;
}

/** Why a run of restarts failed, for the audit and the metrics; undefined when all recovered (or were busy). */
export function restartFailure(results: readonly RestartResult[]): string | undefined {
  const failed = results.filter((r): r is Extract<RestartResult, { outcome: 'failed' }> => r.outcome === 'failed');
  return failed.length ? failed.map((r) => `${r.service.name}: ${r.reason}`).join('; ') : undefined;
}
