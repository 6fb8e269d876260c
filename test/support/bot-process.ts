import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';


export interface ProcessRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface BotProcess {
  child: ChildProcessWithoutNullStreams;
  /** Resolves when the process has exited. */
  done: Promise<ProcessRun>;
  output(): { stdout: string; stderr: string };
  /** The JSON log lines written so far (pino on stderr). */
  logs(): { level: number; msg: string; [k: string]: unknown }[];
}

/**
 * The real mana-ops process (src/main.ts, node with tsx's loader), with only the environment given (and PATH,
 * HOME). One process, not tsx's wrapper and its child: a SIGKILL must kill the bot itself.
 */
export function startBotProcess(env: Record<string, string>, stdin?: string): BotProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  if (stdin !== undefined) child.stdin.end(stdin);
  const done = new Promise<ProcessRun>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  const logs = () =>
    stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string });
  return { child, done, output: () => ({ stdout, stderr }), logs };
}
