import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpsError } from '../../src/ops/ports';
import { SshShell } from '../../src/ops/ssh/ssh-shell';
import { makeKeys, Sshd } from '../support/sshd';

const keys = makeKeys();
const sshd = new Sshd(keys);
const shells: SshShell[] = [];

function shell(fingerprint = keys.hostFingerprint, port = sshd.port) {
  const s = new SshShell({ host: '127.0.0.1', port, username: sshd.user, privateKeyPath: keys.clientKeyPath, hostKeyFingerprint: fingerprint, connectTimeoutMs: 3_000 });
  shells.push(s);
  return s;
}

beforeAll(async () => {
  await sshd.start();
});
afterAll(async () => {
  await Promise.all(shells.map((s) => s.close()));
  await sshd.dispose();
});

describe('SSH transport against a real sshd', () => {
  it('runs commands over one reused connection, with exit codes', async () => {
    const s = shell();
    expect(await s.exec('echo hello', { timeoutMs: 5_000 })).toEqual({ stdout: 'hello', stderr: '', code: 0 });
    expect(await s.exec('echo oops >&2; exit 3', { timeoutMs: 5_000 })).toEqual({ stdout: '', stderr: 'oops', code: 3 });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => s.exec(`echo ${i}`, { timeoutMs: 5_000 })));
    expect(results.map((r) => r.stdout)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
  });

  it('refuses a host whose key is not the pinned one, and says so loudly', async () => {
    const wrong = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const err = await shell(wrong).exec('echo never', { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpsError);
    expect(err).toMatchObject({ code: 'denied' });
    expect((err as OpsError).message).toContain(`HOST KEY MISMATCH for the GPU box at ${sshd.user}@127.0.0.1:${sshd.port}: it presented ${keys.hostFingerprint}`);
    expect((err as OpsError).message).toContain('Not connecting.');
  });

  // A command left to run would take 30 s, three times this test's own limit.
  it('cuts a hung command at its deadline and the connection stays usable', { timeout: 10_000 }, async () => {
    const s = shell();
    const err = await s.exec('sleep 30', { timeoutMs: 700 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'timeout', message: 'the GPU box did not finish within 0.7 s' });
    expect((await s.exec('echo still here', { timeoutMs: 5_000 })).stdout).toBe('still here');
  });

  it('the server going away mid-command is an error, and the next command reconnects', async () => {
    const s = shell();
    expect((await s.exec('echo before', { timeoutMs: 5_000 })).stdout).toBe('before');
    const pending = s.exec('sleep 20; echo late', { timeoutMs: 15_000 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300));
    await sshd.stop();
    const err = await pending;
    expect(err).toBeInstanceOf(OpsError);
    expect(['unreachable', 'failed']).toContain((err as OpsError).code);
    const down = await s.exec('echo nobody', { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(down).toMatchObject({ code: 'unreachable', message: expect.stringContaining('ECONNREFUSED') });
    await sshd.start(sshd.port);
    expect((await s.exec('echo after', { timeoutMs: 5_000 })).stdout).toBe('after');
  });

  it('a missing key file tells which variable to set', async () => {
    const s = new SshShell({ host: '127.0.0.1', port: sshd.port, username: sshd.user, privateKeyPath: '/nonexistent/key', hostKeyFingerprint: keys.hostFingerprint });
    await expect(s.exec('echo x', { timeoutMs: 2_000 })).rejects.toMatchObject({ hint: expect.stringContaining('GPU_SSH_KEY_PATH') });
  });
});
