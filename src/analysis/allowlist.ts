/**
 * Which Prometheus addresses templates may query. Templates come from the repositories the app is
 * installed on, so without this a template could make the app call any URL (internal services,
 * cloud metadata endpoints). The operator lists allowed URL prefixes.
 */

export interface AddressAllowlist {
  /** Normalized prefixes, e.g. `http://prometheus.monitoring:9090`. */
  readonly prefixes: readonly string[];
}

export const ALLOWLIST_ENV = 'OPSBOX_PROMETHEUS_ALLOWLIST';

/**
 * The operator's allowlist: OPSBOX_PROMETHEUS_ALLOWLIST (comma-separated URL prefixes), or just
 * PROMETHEUS_URL when it is unset. `extra` adds prefixes the caller trusts (e.g. `--prometheus`).
 */
export function allowlistFromEnv(env: Readonly<Record<string, string | undefined>>, extra: readonly string[] = []): AddressAllowlist {
  const configured = env[ALLOWLIST_ENV]?.trim();
  const listed = configured ? configured.split(',') : env.PROMETHEUS_URL ? [env.PROMETHEUS_URL] : [];
  return createAllowlist([...listed, ...extra]);
}

/** URL prefixes web metrics may call. Unlike Prometheus there is no fallback: unset allows nothing. */
export const WEB_ALLOWLIST_ENV = 'OPSBOX_WEB_ALLOWLIST';

export function webAllowlistFromEnv(env: Readonly<Record<string, string | undefined>>): AddressAllowlist {
  return createAllowlist(env[WEB_ALLOWLIST_ENV]?.split(',') ?? []);
}

export function createAllowlist(prefixes: readonly string[]): AddressAllowlist {
  const normalized = prefixes.map((prefix) => prefix.trim()).filter(Boolean).map(normalizePrefix).filter((p): p is string => p !== undefined);
  return { prefixes: [...new Set(normalized)] };
}

/**
 * True when `address` is under one of the prefixes: same scheme, host and port, and a path that
 * equals the prefix path or continues it after a `/`. A plain string prefix test would let
 * `http://prom:9090.evil.example` pass for `http://prom:9090`.
 */
export function isAddressAllowed(address: string, allowlist: AddressAllowlist): boolean {
  const target = parseHttpUrl(address);
  if (!target) return false;
  const targetPath = trimSlashes(target.pathname);
  return allowlist.prefixes.some((prefix) => {
    const allowed = parseHttpUrl(prefix);
    if (!allowed || allowed.origin !== target.origin) return false;
    const allowedPath = trimSlashes(allowed.pathname);
    return allowedPath === '' || targetPath === allowedPath || targetPath.startsWith(`${allowedPath}/`);
  });
}

/** An address for messages: scheme, host and path only, never user info or query parameters. */
export function displayAddress(address: string): string {
  const url = parseHttpUrl(address);
  if (!url) return '(an invalid URL)';
  return `${url.origin}${trimSlashes(url.pathname)}`;
}

/** The message of a measurement whose address the operator did not allow. */
export function notAllowedMessage(address: string, allowlist: AddressAllowlist): string {
  const allowed = allowlist.prefixes.length ? allowlist.prefixes.join(', ') : 'none';
  return (
    `Prometheus address ${displayAddress(address)} is not allowed (allowed prefixes: ${allowed}). ` +
    `An operator can allow it by adding its URL to ${ALLOWLIST_ENV} (comma-separated URL prefixes)`
  );
}

function normalizePrefix(prefix: string): string | undefined {
  const url = parseHttpUrl(prefix);
  return url ? `${url.origin}${trimSlashes(url.pathname)}` : undefined;
}

function parseHttpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function trimSlashes(pathname: string): string {
  return pathname.replace(/\/+$/, '');
}
