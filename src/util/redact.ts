/**
 * Blanks secrets in free text: log lines shown in chat and our own log messages. Errs on the side of
 * blanking: a value named like a key, secret, token or password is never shown.
 */
const RULES: [RegExp, string][] = [
  // A Telegram bot token, also when glued to text as in a request path (`/bot123:ABC…/getMe`).
  [/(?<![0-9])\d{5,}:[A-Za-z0-9_-]{30,}/g, '[bot-token]'],
  // Credentials in a URL: scheme://user:password@host
  [/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s/]+@/gi, '$1[redacted]@'],
  // JSON Web Tokens
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, '[jwt]'],
  // Authorization: Bearer …, authorization=…
  [/(authorization["']?\s*[:=]\s*["']?)(?:(bearer|basic|token|digest)\s+)?[^\s"',;]+/gi, '$1$2 [redacted]'],
  // FOO_KEY=…, api_key: "…", password=…, DB_PASSWORD=…, ?token=…
  [/\b([A-Za-z0-9_.-]*?(?:_key|_secret|_token|_password|_pass|secret|token|password|passwd|apikey|api-key))(\s*["']?\s*[:=]\s*["']?)([^\s"',;&}]+)/gi, '$1$2[redacted]'],
];

export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  return out;
}
