import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { NodeSSH } from 'node-ssh';
import pLimit from 'p-limit';
import { withTimeout } from '../../util/with-timeout';
import { OpsError, type RemoteShell, type ShellResult } from '../ports';

export interface SshShellOptions {
  host: string;
  port: number;
  username: string;
  privateKeyPath: string;
  /** OpenSSH form, `SHA256:` + unpadded base64 of the key's SHA-256. */
  hostKeyFingerprint: string;
  connectTimeoutMs?: number;
  keepaliveMs?: number;
  concurrency?: number;
  /** How messages name the machine and where its key is set: the GPU box (default) or the Mac Mini. */
  machine?: { name: string; keyVariable: string; authorizedKeys: string };
}

const GPU_BOX = { name: 'the GPU box', keyVariable: 'GPU_SSH_KEY_PATH', authorizedKeys: "the box's administrators_authorized_keys" };

export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/**
 * One SSH connection (node-ssh), reused and re-established when it drops. The host key is pinned; every
 * other key refuses the connection. node-ssh has no timeout of its own, so each command gets a deadline
 * after which its channel is closed.
 */
export class SshShell implements RemoteShell {
  private ssh: NodeSSH | undefined;
  private connecting: Promise<NodeSSH> | undefined;
  private readonly limit: ReturnType<typeof pLimit>;
  private seenKey: string | undefined;

  constructor(private readonly options: SshShellOptions) {
    this.limit = pLimit(options.concurrency ?? 4);
  }

  private get machine() {
    return this.options.machine ?? GPU_BOX;
  }

  private get where(): string {
    return `${this.options.username}@${this.options.host}:${this.options.port}`;
  }

  private async connect(): Promise<NodeSSH> {
    if (this.ssh?.isConnected()) return this.ssh;
    this.connecting ??= (async () => {
      const { NodeSSH } = await import('node-ssh');
      let privateKey: string;
      try {
        privateKey = await readFile(this.options.privateKeyPath, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        throw new OpsError('failed', `cannot read the SSH key ${this.options.privateKeyPath} (${code})`, `set ${this.machine.keyVariable} to the private key for ${this.machine.name}, readable by the bot`, { cause: err });
      }
      const ssh = new NodeSSH();
      this.seenKey = undefined;
      try {
        await ssh.connect({
          host: this.options.host,
          port: this.options.port,
          username: this.options.username,
          privateKey,
          readyTimeout: this.options.connectTimeoutMs ?? 5_000,
          keepaliveInterval: this.options.keepaliveMs ?? 15_000,
          keepaliveCountMax: 3,
          hostVerifier: (key: Buffer) => {
            this.seenKey = fingerprintOf(key);
            return this.seenKey === this.options.hostKeyFingerprint;
          },
        });
      } catch (err) {
        ssh.dispose();
        throw this.translate(err);
      }
      const drop = () => {
        if (this.ssh === ssh) this.ssh = undefined;
      };
      ssh.connection?.on('close', drop);
      ssh.connection?.on('end', drop);
      ssh.connection?.on('error', drop);
      this.ssh = ssh;
      return ssh;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private translate(err: unknown): OpsError {
    if (err instanceof OpsError) return err;
    const e = err as Error & { code?: string; level?: string };
    if (this.seenKey && this.seenKey !== this.options.hostKeyFingerprint) {
      return new OpsError(
        'denied',
        `HOST KEY MISMATCH for ${this.machine.name} at ${this.where}: it presented ${this.seenKey}, the estate file pins ${this.options.hostKeyFingerprint}. Not connecting.`,
        'someone may be in between, or the machine was reinstalled: compare with `ssh-keyscan` on the LAN before changing host_key_fingerprint',
        { cause: err },
      );
    }
    if (e.level === 'client-authentication') {
      return new OpsError('denied', `${this.machine.name} refused the bot's key (${this.where})`, `add the bot's public key to ${this.machine.authorizedKeys}`, { cause: err });
    }
    if (/Timed out while waiting for handshake/i.test(e.message)) {
      return new OpsError('timeout', `${this.machine.name} did not answer SSH at ${this.where} in time`, 'is it on and on the LAN? (Wake-on-LAN, power)', { cause: err });
    }
    if (e.code === 'ECONNREFUSED' || e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH' || e.code === 'ETIMEDOUT') {
      return new OpsError('unreachable', `${this.machine.name} is unreachable at ${this.where} (${e.code})`, 'is it on, and is its OpenSSH server running?', { cause: err });
    }
    return new OpsError('failed', `SSH to ${this.machine.name} failed: ${e.message}`, undefined, { cause: err });
  }

  exec(command: string, options: { timeoutMs: number; onOutput?: (text: string, stream: 'stdout' | 'stderr') => void }): Promise<ShellResult> {
    return this.limit(async () => {
      const ssh = await this.connect();
      let channel: { close(): void } | undefined;
      // node-ssh has no timeout: at the deadline the channel is closed, which ends the remote command.
      const abort = new AbortController();
      abort.signal.addEventListener('abort', () => channel?.close(), { once: true });
      try {
        const res = await withTimeout(
          ssh.execCommand(command, {
            onChannel: (c) => (channel = c),
            ...(options.onOutput && {
              onStdout: (chunk: Buffer) => options.onOutput?.(chunk.toString('utf8'), 'stdout'),
              onStderr: (chunk: Buffer) => options.onOutput?.(chunk.toString('utf8'), 'stderr'),
            }),
          }),
          options.timeoutMs,
          () => new OpsError('timeout', `${this.machine.name} did not finish within ${options.timeoutMs / 1000} s`, 'it may be busy; try again'),
          abort,
        );
        if (res.code === null) {
          // No exit status: the channel ended without one, which is the connection going away.
          if (!ssh.isConnected()) this.ssh = undefined;
          throw new OpsError('unreachable', `the connection to ${this.machine.name} dropped before the command finished`, 'it may have rebooted or left the network; try again');
        }
        return { stdout: res.stdout, stderr: res.stderr, code: res.code };
      } catch (err) {
        if (!(err instanceof OpsError)) {
          this.ssh = undefined; // the connection is suspect: the next command reconnects
          throw new OpsError('unreachable', `the connection to ${this.machine.name} dropped: ${(err as Error).message}`, 'it may have rebooted or left the network; try again', { cause: err });
        }
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    this.ssh?.dispose();
    this.ssh = undefined;
  }
}
