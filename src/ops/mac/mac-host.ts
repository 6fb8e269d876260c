import type { LocalTime } from '../../util/local-time';
import { OpsError, type BackupFile, type MacHost, type MacStatus, type RemoteShell, type ShellResult } from '../ports';
import { backupLines, parseMacStatus } from './mac-status';

/**
 * The Mac Mini over SSH. Its key is bound to mac/mana-ops-wrapper by a forced command, so what is sent is only the
 * name of one of the wrapper's operations (and a number): never a shell line, never text from the chat.
 */
/** A name as the wrapper takes it (its valid_name): a compose service or an app of build-app.sh. */
const WRAPPER_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** What the wrapper said when it refused an operation (exit 126), or undefined when it ran it. */
function refusal(res: ShellResult): string | undefined {
  return res.code === 126 && /mana-ops-wrapper: refused/.test(res.stderr) ? res.stderr.trim().replace(/^mana-ops-wrapper: refused: /, '') : undefined;
}

export class MacHostOverSsh implements MacHost {
  /** `clock`: the estate's clock, read at each status (a reload may change the time zone); the Mac's clock is the estate's. */
  constructor(
    private readonly o: { shell: RemoteShell; clock: { readonly time: LocalTime }; timeoutMs?: number; restartTimeoutMs?: number; upTimeoutMs?: number },
  ) {}

  private async run(op: string, timeoutMs = this.o.timeoutMs ?? 8_000): Promise<string> {
    const res = await this.o.shell.exec(op, { timeoutMs });
    const refused = refusal(res);
    if (refused) throw new OpsError('denied', `the Mac's wrapper refused "${op}": ${refused}`, 'install the mac/mana-ops-wrapper of this version on the Mac (README, "The Mac host")');
    if (res.code !== 0) {
      const why = (res.stderr.trim() || res.stdout.trim()).split('\n').slice(-3).join(' · ') || `exit ${res.code}`;
      throw new OpsError('failed', `${op} on the Mac failed: ${why}`);
    }
    return res.stdout;
  }

  async status(): Promise<MacStatus> {
    return parseMacStatus(await this.run('status'), this.o.clock.time);
  }

  async restartCloudflared(): Promise<void> {
    await this.run('restart-cloudflared', this.o.restartTimeoutMs ?? 20_000);
  }

  async backups(): Promise<{ files: BackupFile[]; missing?: string }> {
    return backupLines((await this.run('backups')).split('\n').filter((l) => l.trim() !== ''));
  }

  /**
   * `build-app.sh <apps…>` in the monorepo, its output handed to `onOutput` as it comes. The wrapper runs one at a
   * time and refuses a second while one runs.
   */
  async deploy(apps: string[], onOutput: (text: string) => void, timeoutMs: number): Promise<{ ok: boolean; output: string; code: number | null }> {
    if (apps.length === 0 || apps.length > 10 || !apps.every((a) => WRAPPER_NAME.test(a))) throw new OpsError('invalid', 'deploy takes 1 to 10 app names (a-z, 0-9, -)');
    let output = '';
    const res = await this.o.shell.exec(`deploy ${apps.join(' ')}`, {
      timeoutMs,
      onOutput: (text) => {
        output += text;
        onOutput(text);
      },
    });
    const refused = refusal(res);
    if (refused) throw new OpsError('conflict', `the Mac's wrapper refused the deploy: ${refused}`);
    return { ok: res.code === 0, output, code: res.code };
  }

  /** Stops a running deploy: its whole process group, so build-app.sh's trap starts monitoring again. */
  async cancelDeploy(): Promise<string> {
    return (await this.run('deploy-cancel')).trim();
  }

  async up(composeService: string): Promise<string> {
    // Checked here as well as by the wrapper: only a name ever leaves the bot.
    if (!WRAPPER_NAME.test(composeService)) throw new OpsError('invalid', `"${composeService}" is not a compose service name`);
    return this.run(`up ${composeService}`, this.o.upTimeoutMs ?? 180_000);
  }

  async cloudflaredLog(lines: number): Promise<string> {
    if (!Number.isInteger(lines) || lines < 1 || lines > 9_999) throw new OpsError('invalid', 'a line count from 1 to 9999');
    return this.run(`cloudflared-log ${lines}`);
  }
}

