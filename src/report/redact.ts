/**
 * Defence in depth for text shown on GitHub, in logs and on the command line: messages from a
 * datasource can quote the URL they failed on (with credentials in its user info or query string),
 * and a server can echo the credentials it was sent (`got Bearer tok-…`, an Authorization header).
 */

const REDACTED = '[redacted]';
/** Shorter configured values are not searched for: replacing them would garble ordinary words. */
const MIN_SECRET_LENGTH = 4;

const USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi;
/** `Bearer <token>`; the token ends at white space, a quote, a separator or a closing bracket. */
const BEARER = /\b(Bearer)\s+[^\s"',;)\]}>]+/gi;
/** `Basic <base64>`: only what decodes to `user:password`, so "Basic auth failed" stays readable. */
const BASIC = /\b(Basic)\s+([A-Za-z0-9+/]+={0,2})(?![A-Za-z0-9+/=])/gi;
/** An echoed header, `Authorization: …` or `"authorization":"…"`, whatever its scheme. */
const AUTHORIZATION_HEADER = /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?![\s"']*(?:Bearer|Basic)\b)[^"'\r\n,;]+/gi;
/** Credentials in query parameters. */
const QUERY_SECRET = /([?&](?:access_token|token|api[_-]?key|apikey|password|secret)=)[^&#\s"']+/gi;

/** Replaces credentials in any text: URL user info, bearer and basic credentials, Authorization values, secret query parameters. */
export function redactCredentials(text: string): string {
  return text
    .replace(USER_INFO, '$1***@')
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(BASIC, (match: string, scheme: string, encoded: string) => (isBasicCredential(encoded) ? `${scheme} ${REDACTED}` : match))
    .replace(AUTHORIZATION_HEADER, `$1${REDACTED}`)
    .replace(QUERY_SECRET, `$1${REDACTED}`);
}

/**
 * Replaces every occurrence of the given secrets (header values, passwords, tokens a template or the
 * operator configured), as written and URL- or base64-encoded, then the generic credentials above.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of expandSecrets(secrets)) out = out.split(secret).join(REDACTED);
  return redactCredentials(out);
}

/** The secrets of a Basic Authorization header: the password, and `user:password` encoded as sent. */
export function basicAuthSecrets(credentials: { readonly username: string; readonly password: string } | undefined): string[] {
  if (!credentials) return [];
  return [credentials.password, Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')];
}

function expandSecrets(secrets: readonly string[]): string[] {
  const all = new Set<string>();
  for (const secret of secrets) {
    const trimmed = secret.trim();
    if (trimmed.length < MIN_SECRET_LENGTH) continue;
    all.add(trimmed);
    all.add(encodeURIComponent(trimmed));
    all.add(JSON.stringify(trimmed).slice(1, -1));
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...all].filter((secret) => secret.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

function isBasicCredential(encoded: string): boolean {
  if (encoded.length < 4) return false;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  return decoded.includes(':') && !/[\u0000-\u001f\ufffd]/.test(decoded);
}

/** A datasource address fit to show: no user info, query string or fragment. */
export function displayAddress(address: string): string {
  try {
    const url = new URL(address);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return redactCredentials(address).replace(/[?#].*$/, '');
  }
}
