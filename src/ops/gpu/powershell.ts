/**
 * PowerShell for the Windows box, built only from templates and validated identifiers. The script goes
 * as -EncodedCommand (base64 of UTF-16LE), so no quoting of cmd.exe (OpenSSH's default shell) or
 * PowerShell is ever involved, and nothing typed in chat can reach it.
 */

const IDENTIFIER = /^[A-Za-z0-9_.-]{1,64}$/;
/** cmd.exe refuses longer command lines. */
export const CMD_LINE_LIMIT = 8_191;

export function psIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a safe Windows identifier: ${JSON.stringify(name)}`);
  return `'${name}'`; // single-quoted: no expansion; the pattern above already excludes quotes
}

export function encodedCommand(script: string): string {
  const full = `$ProgressPreference='SilentlyContinue'\n$ErrorActionPreference='Stop'\n${script}`;
  const line = `powershell -NoProfile -NonInteractive -EncodedCommand ${Buffer.from(full, 'utf16le').toString('base64')}`;
  if (line.length > CMD_LINE_LIMIT) throw new Error(`PowerShell command line of ${line.length} characters exceeds cmd.exe's ${CMD_LINE_LIMIT}`);
  return line;
}

/** The script inside an -EncodedCommand line (for tests and logs). */
export function decodeEncodedCommand(line: string): string | undefined {
  const m = /-EncodedCommand\s+([A-Za-z0-9+/=]+)\s*$/.exec(line);
  return m ? Buffer.from(m[1] as string, 'base64').toString('utf16le') : undefined;
}

const XML_ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&apos;': "'" };

/**
 * PowerShell writes errors as CLIXML on stderr when the command was encoded. Returns the error text as a
 * person would read it: the first sentence(s) before "At line:", without the position and category lines.
 */
export function readableError(stderr: string): string {
  let text = stderr;
  if (stderr.startsWith('#< CLIXML')) {
    const parts = [...stderr.matchAll(/<S S="Error">([\s\S]*?)<\/S>/g)].map((m) => m[1] ?? '');
    text = parts
      .join('')
      .replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
      .replace(/&(lt|gt|amp|quot|apos);/g, (e) => XML_ENTITIES[e] ?? e);
  }
  const lines = text.replace(/\r/g, '').split('\n');
  const stop = lines.findIndex((l) => /^At line:\d+ char:\d+/.test(l) || /^\s+\+ /.test(l) || /^\+ /.test(l));
  const head = (stop >= 0 ? lines.slice(0, stop) : lines).map((l) => l.trim()).filter(Boolean);
  return head.join(' ').replace(/\s{2,}/g, ' ').trim() || text.trim().slice(0, 300);
}
