const MAX_TEXT = 4_000;

/** Joins lines and stops before Telegram's limit, at a line boundary so no HTML tag is ever cut. */
export function fitLines(lines: string[], max = MAX_TEXT): string {
  let out = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const more = `\n… and ${lines.length - i} more`;
    if (out.length + line.length + 1 + more.length > max) return out + more;
    out += (out ? '\n' : '') + line;
  }
  return out;
}
