/**
 * Blanks secrets in free text: log lines shown in chat and documents, and our own log messages. Errs on the
 * side of blanking: a value named like a key, secret, token, password or cookie is never shown, nor anything
 * shaped like a well-known vendor token. The corpus in test/fixtures/secrets/ holds what each rule is for.
 */

/** A value after `name=` or `name:`: quoted (spaces and escaped quotes included), or up to a separator. */
const VALUE = String.raw`("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\[[a-z-]+\]|[^\s"',;}\]]+)`;
const SEPARATOR = String.raw`(["']?\s*[:=]\s*)`;
/** snake, kebab and dotted names: DB_PASSWORD, api-key, aws_secret_access_key, jwt.secret, ?token= */
const SNAKE_NAME = String.raw`\b([A-Za-z0-9_.-]*?(?:_key|-key|\.key|_secret|_token|_password|_pass|_pwd|pwd|secret|token|password|passwd|apikey|api-key|credentials?))`;
/** camelCase and PascalCase names (case matters): apiKey, accessToken, secretAccessKey, clientSecret, SecretAccessKey */
const CAMEL_NAME = String.raw`\b([a-z][A-Za-z0-9]*(?:Key|Secret|Token|Password|Passwd|Pwd|Credentials?)|[A-Z][a-z]+[A-Za-z0-9]*(?:Key|Secret|Token|Password))`;

const blankValue = (_m: string, name: string, sep: string, value: string) => {
  const q = value[0] === '"' || value[0] === "'" ? value[0] : '';
  return `${name}${sep}${q}[redacted]${q}`;
};

const RULES: [RegExp, string | ((...args: string[]) => string)][] = [
  // A PEM private key, whole (in one text); line by line it is LineRedactor's.
  [/(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g, '$1 [redacted] $2'],
  // A Telegram bot token, also when glued to text as in a request path (`/bot123:ABC…/getMe`).
  [/(?<![0-9])\d{5,}:[A-Za-z0-9_-]{30,}/g, '[bot-token]'],
  // Vendor token formats.
  [/\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}/g, '[github-token]'],
  [/\bgithub_pat_[A-Za-z0-9_]{20,}/g, '[github-token]'],
  [/\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}/g, '[stripe-key]'],
  [/\bsk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{16,}/g, '[api-key]'],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, '[aws-key-id]'],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, '[slack-token]'],
  [/\bxapp-[A-Za-z0-9-]{10,}/g, '[slack-token]'],
  [/\bAIza[0-9A-Za-z_-]{35}/g, '[google-key]'],
  // JSON Web Tokens
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, '[jwt]'],
  // Credentials in a URL: scheme://user:password@host, the password may hold reserved characters (to the last @).
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)\S*@/gi, '$1[redacted]@'],
  // Cookie: and Set-Cookie: headers: every value in them.
  [/\b((?:set-)?cookie["']?\s*:\s*)[^\r\n]+/gi, '$1[redacted]'],
  // Authorization: Bearer …, authorization=…
  [/(authorization["']?\s*[:=]\s*["']?)(?:(bearer|basic|token|digest)\s+)?[^\s"',;]+/gi, '$1$2 [redacted]'],
  // Command-line flags: --token X, --password=X (cloudflared tunnel run --token …)
  [/(--?[a-z-]*(?:token|password|passwd|secret|api-key|apikey))(\s+|=)(?!\[redacted\])[^\s"']+/gi, '$1$2[redacted]'],
  // A bare scheme and credential: Bearer x, Basic x
  [/\b(Bearer|Basic)\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]{6,}/g, '$1 [redacted]'],
  // In a query string a value ends at the next &: ?token=…&state=…
  [/([?&][A-Za-z0-9_.-]*?(?:token|key|secret|password|passwd|pwd|signature|sig)[A-Za-z0-9_.-]*=)(?!\[redacted\])[^&\s#"']+/gi, '$1[redacted]'],
  // Named values: FOO_KEY=…, "password": "a b c", apiKey: …, secretAccessKey=…
  [new RegExp(SNAKE_NAME + SEPARATOR + VALUE, 'gi'), blankValue],
  [new RegExp(CAMEL_NAME + SEPARATOR + VALUE, 'g'), blankValue],
];

export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement as string);
  return out;
}

/**
 * Redacts a stream of lines (a container's log): what redactSecrets does to each line, and a PEM private key
 * blanked across the lines it spans, from its BEGIN line to its END line.
 */
export class LineRedactor {
  private inKey = false;

  line(text: string): string {
    if (this.inKey) {
      if (/-----END [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) this.inKey = false;
      return this.inKey ? '[redacted]' : text.replace(/^[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----)/, '[redacted] $1');
    }
    // A BEGIN with no END on the same line: the key's lines follow.
    if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text) && !/-----END [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) this.inKey = true;
    return redactSecrets(text);
  }
}
