import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { fingerprintOf } from '../../src/ops/ssh/ssh-shell';
import { freePort } from './redis';

export interface KeyFiles {
  dir: string;
  clientKeyPath: string;
  clientPublic: string;
  hostKeyPrivate: string;
  hostFingerprint: string;
}

/**
 * An ed25519 key pair that OpenSSH and ssh2 both read. ssh2 strips leading zero bytes from the public key, so
 * about 1 pair in 256 comes out malformed (mscdex/ssh2#1513) and sshd refuses it ("error in libcrypto"); such a
 * pair is drawn again. ssh2 is CommonJS: its named exports are reached through the default export under ESM.
 */
function ed25519Pair(): { public: string; private: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    if (!(ssh2.utils.parseKey(pair.public) instanceof Error) && !(ssh2.utils.parseKey(pair.private) instanceof Error)) return pair;
  }
}

/** Fresh ed25519 keys for a test: the bot's client key on disk, a host key with its SHA256 fingerprint. */
export function makeKeys(): KeyFiles {
  const dir = mkdtempSync(join(tmpdir(), 'mo-ssh-'));
  const client = ed25519Pair();
  const host = ed25519Pair();
  const clientKeyPath = join(dir, 'id_ed25519');
  writeFileSync(clientKeyPath, client.private, { mode: 0o600 });
  const blob = Buffer.from(host.public.split(' ')[1] as string, 'base64');
  return { dir, clientKeyPath, clientPublic: client.public, hostKeyPrivate: host.private, hostFingerprint: fingerprintOf(blob) };
}

/** A real OpenSSH server on a free loopback port, key-only, for the transport tests. */
export class Sshd {
  private proc: ChildProcess | undefined;
  port = 0;
  readonly user = userInfo().username;

  /** `forcedCommand`: the client key's authorized_keys line binds it to this command, with `restrict` (as on the Mac). */
  constructor(
    readonly keys: KeyFiles,
    private readonly options: { forcedCommand?: string } = {},
  ) {}

  async start(port?: number): Promise<this> {
    this.port = port ?? (await freePort());
    const { dir } = this.keys;
    mkdirSync('/run/sshd', { recursive: true });
    writeFileSync(join(dir, 'host_key'), this.keys.hostKeyPrivate, { mode: 0o600 });
    const forced = this.options.forcedCommand;
    writeFileSync(join(dir, 'authorized_keys'), `${forced ? `command="${forced.replace(/"/g, '\\"')}",restrict ` : ''}${this.keys.clientPublic}\n`, { mode: 0o600 });
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `ListenAddress 127.0.0.1`,
        `HostKey ${join(dir, 'host_key')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'PermitRootLogin prohibit-password',
        `PidFile ${join(dir, 'sshd.pid')}`,
        'LogLevel ERROR',
      ].join('\n'),
    );
    const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config'), '-o', `Port=${this.port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    let err = '';
    proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    // sshd prints nothing when it is ready at LogLevel ERROR: wait until the port accepts connections.
    const { connect } = await import('node:net');
    for (let i = 0; i < 100; i++) {
      if (proc.exitCode !== null) throw new Error(`sshd exited: ${err}`);
      const open = await new Promise<boolean>((resolve) => {
        const s = connect(this.port, '127.0.0.1', () => (s.destroy(), resolve(true)));
        s.on('error', () => resolve(false));
      });
      if (open) return this;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`sshd did not listen: ${err}`);
  }

  /** Kills the server and every session it forked. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    // The per-connection sshd processes are its children: kill them too, or open sessions would live on.
    await new Promise((resolve) => spawn('pkill', ['-KILL', '-P', String(proc.pid)]).once('exit', resolve));
    proc.kill('SIGKILL');
    await new Promise((resolve) => proc.once('exit', resolve));
    this.proc = undefined;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.keys.dir, { recursive: true, force: true });
  }
}
