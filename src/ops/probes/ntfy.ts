import { OpsError, type FallbackChannel } from '../ports';

/** Posts to an ntfy topic URL (https://ntfy.sh/<topic> or a self-hosted one): plain text, high priority. */
export class NtfyChannel implements FallbackChannel {
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async notify(title: string, text: string): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { title, priority: 'high', tags: 'rotating_light' },
      body: text,
      signal: AbortSignal.timeout(this.timeoutMs),
    }).catch((err: Error) => {
      throw new OpsError('unreachable', `ntfy did not answer: ${err.message}`);
    });
    if (!res.ok) throw new OpsError('failed', `ntfy answered HTTP ${res.status}`);
  }
}
