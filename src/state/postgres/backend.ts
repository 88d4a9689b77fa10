/**
 * The shared backend: rollouts, claims, leases and open alerts in one PostgreSQL database, for any
 * number of replicas. Opening it applies the schema migrations (under an advisory lock) before
 * anything runs.
 */
import type { Logger } from 'pino';
import pg from 'pg';
import type { StateBackend } from '../store.js';
import { PostgresAlertBook } from './alert-book.js';
import { PostgresInbox } from './inbox.js';
import { PostgresLeases } from './leases.js';
import { migrate } from './migrations.js';
import { PostgresRolloutStore } from './store.js';
import { PostgresWritePace } from './write-pace.js';

export interface PostgresBackendOptions {
  connectionString: string;
  leaseMs: number;
  retentionMs?: number;
  clock?: () => number;
  log?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** This replica's name in the leases (tests). */
  owner?: string;
  /** Connections at most (default 10). */
  poolSize?: number;
  /** GitHub writes a second per installation, shared by every replica (default 1). */
  writesPerSecond?: number;
}

export interface PostgresBackend extends StateBackend {
  readonly store: PostgresRolloutStore;
  readonly inbox: PostgresInbox;
  readonly locks: PostgresLeases;
  readonly writePace: PostgresWritePace;
  readonly alerts: PostgresAlertBook;
  readonly pool: pg.Pool;
}

/** How often finished claims past their retention are deleted. */
const FORGET_CLAIMS_EVERY_MS = 3600 * 1000;

export async function openPostgresBackend(options: PostgresBackendOptions): Promise<PostgresBackend> {
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 10, connectionTimeoutMillis: 10_000 });
  // A connection that breaks while idle (database failover) is dropped from the pool; the next query opens a new one.
  pool.on('error', (error) => options.log?.warn({ err: error.message }, 'a database connection broke; it is replaced on the next query'));
  try {
    const applied = await migrate(pool);
    if (applied.length > 0) options.log?.info(`database schema migrated to version ${applied[applied.length - 1]}`);
  } catch (error) {
    await pool.end();
    throw new Error(`the database of DATABASE_URL could not be prepared: ${(error as Error).message}; check the URL, that the database exists and that its user may create tables`);
  }
  const locks = new PostgresLeases(pool, { leaseMs: options.leaseMs, owner: options.owner, log: options.log });
  const store = new PostgresRolloutStore(pool, locks, { retentionMs: options.retentionMs, log: options.log });
  const inbox = new PostgresInbox(pool);
  await store.refreshSnapshot();
  const forget = setInterval(() => {
    inbox.forgetOldClaims().catch((error) => options.log?.warn({ err: error }, 'forgetting old claims failed; tried again later'));
  }, FORGET_CLAIMS_EVERY_MS);
  forget.unref();
  let closing: Promise<void> | undefined;
  return {
    kind: 'postgres',
    store,
    inbox,
    locks,
    alerts: new PostgresAlertBook(pool),
    writePace: new PostgresWritePace(pool, options.writesPerSecond),
    pool,
    close: () =>
      (closing ??= (async () => {
        clearInterval(forget);
        await locks.close();
        await store.close();
        await pool.end();
      })()),
  };
}
