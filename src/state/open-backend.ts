/**
 * Which backend holds the state: PostgreSQL when `DATABASE_URL` is a postgres:// URL (any number
 * of replicas), otherwise files under `OPSBOX_DATA_DIR` (one replica). Only DATABASE_URL decides:
 * libpq's PGHOST, PGDATABASE and friends never switch stores on their own.
 */
import type { Logger } from 'pino';
import { openFileBackend } from './file-store.js';
import { retentionFromEnv } from './retention.js';
import type { StateBackend } from './store.js';

type Env = Readonly<Record<string, string | undefined>>;

/** How long a replica's hold on a rollout lasts without renewal, unless OPSBOX_LEASE_SECONDS says otherwise. */
export const DEFAULT_LEASE_MS = 30_000;

/** The PostgreSQL URL of `DATABASE_URL`, or undefined when it is unset or empty. */
export function databaseUrlFromEnv(env: Env): string | undefined {
  const raw = env.DATABASE_URL?.trim();
  if (!raw) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1]?.toLowerCase();
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    throw new Error(
      `DATABASE_URL must be a postgres:// (or postgresql://) URL, found ${scheme ? `"${scheme}:"` : 'no scheme'}: ` +
        'set it to postgres://user:password@host:5432/database, or unset it to keep the state in OPSBOX_DATA_DIR',
    );
  }
  return raw;
}

/** `OPSBOX_LEASE_SECONDS`: how long a rollout's lease lasts (renewed at a third of it while working). */
export function leaseMsFromEnv(env: Env): number {
  const raw = env.OPSBOX_LEASE_SECONDS?.trim();
  if (!raw) return DEFAULT_LEASE_MS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 3600) {
    throw new Error(`OPSBOX_LEASE_SECONDS=${JSON.stringify(raw)} is not a number of seconds from 1 to 3600 (default 30)`);
  }
  return Math.round(seconds * 1000);
}

export interface OpenBackendOptions {
  env: Env;
  dataDir: string;
  clock?: () => number;
  log?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export async function openStateBackend(options: OpenBackendOptions): Promise<StateBackend> {
  const retentionMs = retentionFromEnv(options.env);
  const url = databaseUrlFromEnv(options.env);
  if (url === undefined) return openFileBackend(options.dataDir, { retentionMs, clock: options.clock, log: options.log });
  // Loaded only where a database is used.
  const { openPostgresBackend } = await import('./postgres/backend.js');
  const { writesPerSecondFromEnv } = await import('./postgres/write-pace.js');
  return openPostgresBackend({
    connectionString: url,
    leaseMs: leaseMsFromEnv(options.env),
    writesPerSecond: writesPerSecondFromEnv(options.env),
    retentionMs,
    clock: options.clock,
    log: options.log,
  });
}
