import { once } from 'node:events';
import ssh2, { type Connection, type Server } from 'ssh2';
import { decodeEncodedCommand } from '../../src/ops/gpu/powershell';
import type { KeyFiles } from './sshd';

/**
 * The Windows GPU box as the bot sees it over SSH: an ssh2 Server whose exec answers the way Windows
 * OpenSSH (cmd.exe as the default shell), PowerShell 5.1 and nvidia-smi do: CRLF, JSON with two spaces
 * after the colon, /Date(ms)/, CLIXML on stderr for encoded commands, exit codes. It records every command
 * line and the decoded script.
 */

export interface TaskState {
  state: number; // 1 Disabled, 3 Ready, 4 Running
  lastRunTime: number | null; // ms
  lastTaskResult: number;
}

export class WindowsBox {
  readonly commands: string[] = [];
  readonly scripts: string[] = [];
  readonly tasks = new Map<string, TaskState>();
  readonly services = new Map<string, number>(); // 1 Stopped, 4 Running
  gpuCsv = '0, NVIDIA GeForce RTX 3090, 581.42, P2, 47, 30, 12, 11264, 24576, 110.52, 350.00\r\n';
  appsCsv = '8812, C:\\Program Files\\Ollama\\ollama.exe, [N/A]\r\n4120, C:\\mana\\services\\mana-stt\\.venv\\Scripts\\python.exe, [N/A]\r\n';
  nvidiaSmiFailure: { stdout: string; code: number } | undefined;
  /** Added to every round trip (the benchmark's 20 ms). */
  latencyMs = 0;
  /** Commands matching this never answer (a hung PowerShell). */
  hang: RegExp | undefined;
  /** Tasks that start and fall over `afterMs` later with `result` as their last task result (a crash on start). */
  readonly crashAfterStart = new Map<string, { afterMs: number; result: number }>();
  /** Called when a unit is restarted (tests start a health endpoint there). */
  onRestart: (name: string) => void = () => {};
  port = 0;
  private server: Server | undefined;
  private readonly clients = new Set<Connection>();

  constructor(private readonly keys: KeyFiles) {}

  async start(): Promise<this> {
    this.server = new ssh2.Server({ hostKeys: [this.keys.hostKeyPrivate] }, (client) => {
      this.clients.add(client);
      client.on('close', () => this.clients.delete(client));
      client.on('error', () => undefined);
      client.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec, _reject, info) => {
          const stream = acceptExec();
          this.commands.push(info.command);
          if (this.hang?.test(decodeEncodedCommand(info.command) ?? info.command)) return;
          setTimeout(() => {
            const { stdout, stderr, code } = this.answer(info.command);
            if (stdout) stream.write(stdout);
            if (stderr) stream.stderr.write(stderr);
            stream.exit(code);
            stream.end();
          }, this.latencyMs);
        });
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.end();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private answer(command: string): { stdout: string; stderr: string; code: number } {
    if (command.startsWith('nvidia-smi --query-gpu=')) {
      if (this.nvidiaSmiFailure) return { stdout: this.nvidiaSmiFailure.stdout, stderr: '', code: this.nvidiaSmiFailure.code };
      return { stdout: this.gpuCsv, stderr: '', code: 0 };
    }
    if (command.startsWith('nvidia-smi --query-compute-apps=')) return { stdout: this.appsCsv, stderr: '', code: 0 };
    const script = decodeEncodedCommand(command);
    if (script === undefined || !command.startsWith('powershell -NoProfile -NonInteractive -EncodedCommand ')) {
      const word = command.split(' ')[0];
      return { stdout: '', stderr: `'${word}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n`, code: 9009 };
    }
    this.scripts.push(script);
    if (script.includes('foreach ($u in @(')) return { stdout: this.unitsJson(script), stderr: '', code: 0 };
    const restart = /(?:Start-ScheduledTask -TaskName|Restart-Service -Name) '([A-Za-z0-9_.-]+)'/.exec(script);
    if (restart) {
      const name = restart[1] as string;
      const known = this.tasks.has(name) || this.services.has(name);
      if (!known) return { stdout: '', stderr: clixmlError(`Start-ScheduledTask : The system cannot find the file specified.`), code: 1 };
      const task = this.tasks.get(name);
      if (task) this.tasks.set(name, { ...task, state: 4, lastRunTime: Date.now(), lastTaskResult: 267009 });
      const crash = this.crashAfterStart.get(name);
      if (task && crash) setTimeout(() => this.tasks.set(name, { ...(this.tasks.get(name) as TaskState), state: 3, lastTaskResult: crash.result }), crash.afterMs);
      else this.services.set(name, 4);
      this.onRestart(name);
      return { stdout: 'ok\r\n', stderr: '', code: 0 };
    }
    return { stdout: '', stderr: clixmlError('The term is not recognized as the name of a cmdlet.'), code: 1 };
  }

  private unitsJson(script: string): string {
    const units = [...script.matchAll(/@\{k='(task|service)';n='([A-Za-z0-9_.-]+)'\}/g)].map((m) => ({ kind: m[1], name: m[2] as string }));
    const out = units.map((u) => {
      if (u.kind === 'task') {
        const t = this.tasks.get(u.name);
        if (!t) return { Kind: 'task', Name: u.name, Error: `No MSFT_ScheduledTask objects found with property 'TaskName' equal to '${u.name}'.  Verify the value of the property and retry.` };
        return { Kind: 'task', Name: u.name, State: t.state, LastRunTime: t.lastRunTime === null ? null : `\\/Date(${t.lastRunTime})\\/`, LastTaskResult: t.lastTaskResult };
      }
      const s = this.services.get(u.name);
      if (s === undefined) return { Kind: 'service', Name: u.name, Error: `Cannot find any service with service name '${u.name}'.` };
      return { Kind: 'service', Name: u.name, Status: s };
    });
    return `${psJson(out)}\r\n`;
  }
}

/** ConvertTo-Json as Windows PowerShell 5.1 writes it: 4-space indent, two spaces after the colon, CRLF. */
function psJson(value: unknown, indent = ''): string {
  const next = `${indent}    `;
  if (Array.isArray(value)) return `[\r\n${value.map((v) => next + psJson(v, next)).join(',\r\n')}\r\n${indent}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => `${next}"${k}":  ${psJson(v, next)}`);
    return `{\r\n${entries.join(',\r\n')}\r\n${indent}}`;
  }
  // \/Date()\/ is already escaped in the string we built; keep the backslashes as PowerShell prints them.
  return typeof value === 'string' ? `"${value.replace(/"/g, '\\"')}"` : JSON.stringify(value);
}

function clixmlError(message: string): string {
  const esc = message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">${esc}_x000D__x000A_</S><S S="Error">At line:3 char:1_x000D__x000A_</S><S S="Error"> _x000D__x000A_</S></Objs>`;
}
