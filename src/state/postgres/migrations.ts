/**
 * The schema, as numbered migrations applied at start. Each runs in its own transaction and is
 * recorded in `opsbox_schema_migrations`; the whole pass holds a session advisory lock, so replicas
 * starting together apply each migration once and the others wait, then find nothing left to do.
 * A migration is never edited once released: a change is a new, higher number.
 */
import type { Pool } from 'pg';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Any constant shared by every replica; it names the migration lock among the database's advisory locks. */
export const MIGRATION_LOCK_KEY = 7_134_202_611;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'rollouts, claims and leases',
    sql: `
      -- The rollout is one JSON document; the columns beside it are what the queries filter and sort on.
      CREATE TABLE opsbox_rollouts (
        id text PRIMARY KEY,
        version integer NOT NULL,
        owner text NOT NULL,
        repo text NOT NULL,
        service text NOT NULL,
        phase text NOT NULL,
        active boolean NOT NULL,
        pr_number integer NOT NULL,
        revert_pr_number integer,
        started_at bigint NOT NULL,
        finished_at bigint,
        due_at bigint,
        state jsonb NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX opsbox_rollouts_due ON opsbox_rollouts (due_at) WHERE due_at IS NOT NULL;
      CREATE INDEX opsbox_rollouts_service ON opsbox_rollouts (owner, repo, service, started_at DESC);
      CREATE INDEX opsbox_rollouts_pr ON opsbox_rollouts (owner, repo, pr_number);
      CREATE INDEX opsbox_rollouts_revert_pr ON opsbox_rollouts (owner, repo, revert_pr_number) WHERE revert_pr_number IS NOT NULL;
      CREATE INDEX opsbox_rollouts_listing ON opsbox_rollouts (active DESC, started_at DESC, id COLLATE "C");

      -- One row per delivery, comment or command: the primary key refuses a second claim.
      CREATE TABLE opsbox_claims (
        key text PRIMARY KEY,
        claimed_at timestamptz NOT NULL DEFAULT now(),
        work jsonb,
        done_at timestamptz
      );
      CREATE INDEX opsbox_claims_unfinished ON opsbox_claims (claimed_at) WHERE done_at IS NULL;
      CREATE INDEX opsbox_claims_done ON opsbox_claims (done_at) WHERE done_at IS NOT NULL;

      -- Who drives a rollout (or runs a claimed piece of work) now, and until when.
      CREATE TABLE opsbox_leases (
        key text PRIMARY KEY,
        lease_owner text NOT NULL,
        lease_until timestamptz NOT NULL
      );
      CREATE INDEX opsbox_leases_owner ON opsbox_leases (lease_owner);
    `,
  },
  {
    version: 2,
    name: 'GitHub write pace per installation',
    sql: `
      -- The time the next GitHub write of an installation may start, shared by every replica.
      CREATE TABLE opsbox_write_pace (
        installation_id bigint PRIMARY KEY,
        next_at timestamptz NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'alerts open for failed rollouts',
    sql: `
      -- One alert per rollout, as one JSON document; posted_at (ms) is what re-posts compare and set.
      CREATE TABLE opsbox_alerts (
        rollout_id text PRIMARY KEY,
        posted_at bigint NOT NULL,
        alert jsonb NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];

/** Applies the migrations not applied yet; returns the versions it applied. */
export async function migrate(pool: Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS opsbox_schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const done = new Set((await client.query<{ version: number }>('SELECT version FROM opsbox_schema_migrations')).rows.map((row) => row.version));
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(migration.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO opsbox_schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(`database migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}; nothing of it was applied`);
        }
        applied.push(migration.version);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
  return applied;
}
