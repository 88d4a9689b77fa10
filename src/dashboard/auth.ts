/**
 * `OPSBOX_DASHBOARD_AUTH`: unset, the dashboard is open (the port is meant for the cluster
 * network); `user:password` asks for HTTP basic auth; any other value is a bearer token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type DashboardAuth = { kind: 'basic'; user: string; password: string } | { kind: 'bearer'; token: string };

export function dashboardAuthFromEnv(env: Readonly<Record<string, string | undefined>>): DashboardAuth | undefined {
  const raw = env.OPSBOX_DASHBOARD_AUTH;
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = raw.trim();
  const colon = value.indexOf(':');
  if (colon < 0) return { kind: 'bearer', token: value };
  const user = value.slice(0, colon);
  const password = value.slice(colon + 1);
  if (user === '' || password === '') {
    throw new Error('OPSBOX_DASHBOARD_AUTH must be "user:password" (both non-empty) for basic auth, or a token without ":" for bearer auth');
  }
  return { kind: 'basic', user, password };
}

/** Compares digests so the time taken says nothing about how much of a secret matched. */
function same(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Whether the request's Authorization header satisfies `auth`. */
export function authorized(auth: DashboardAuth | undefined, header: string | undefined): boolean {
  if (!auth) return true;
  if (!header) return false;
  const space = header.indexOf(' ');
  const scheme = header.slice(0, space).toLowerCase();
  const credentials = header.slice(space + 1).trim();
  if (auth.kind === 'bearer') return scheme === 'bearer' && same(credentials, auth.token);
  if (scheme !== 'basic') return false;
  return same(Buffer.from(credentials, 'base64').toString('utf8'), `${auth.user}:${auth.password}`);
}

/** The challenge of a 401, so a browser asks for the basic credentials. */
export function challenge(auth: DashboardAuth): string {
  return auth.kind === 'basic' ? 'Basic realm="OpsBox Canary dashboard", charset="UTF-8"' : 'Bearer realm="OpsBox Canary dashboard"';
}
