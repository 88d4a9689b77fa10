/**
 * Defence in depth for text shown on GitHub: messages from a datasource can quote the URL they
 * failed on, and a URL can carry credentials in its user info or query string.
 */

const USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi;

/** Replaces `user:password@` in any URL inside the text. */
export function redactCredentials(text: string): string {
  return text.replace(USER_INFO, '$1***@');
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
