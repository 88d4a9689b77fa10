/**
 * Rollouts in PostgreSQL: each one a JSONB document with its version, beside the few columns the
 * queries filter and sort on (repository, service, phase, pull request, started, finished, due).
 * A write names the version it read; a row with another version refuses it (VersionConflictError).
 */
import type { Logger } from 'pino';
import type { Pool } from 'pg';
import { TERMINAL_PHASES, type RolloutState } from '../../rollout/types.js';
import { rolloutLockKey } from '../locks.js';
import { DEFAULT_RETENTION_MS } from '../retention.js';
import { pageBounds, type RolloutPage, type RolloutQuery } from '../rollout-listing.js';
import { VersionConflictError, type RolloutStore, type StoredRollout } from '../store.js';
import type { PostgresLeases } from './leases.js';
import { migrateState } from '../migrate.js';

export interface PostgresStoreOptions {
  /** Ended rollouts this recent count in the gauges' snapshot (`states()`); default 30 days. */
  retentionMs?: number;
  /** Due rollouts one replica takes per scheduler tick. */
  dueBatch?: number;
  log?: Pick<Logger, 'warn'>;
}

/** The gauges' snapshot is read again at most this often. */
const SNAPSHOT_EVERY_MS = 10_000;
/** Rollouts in the snapshot at most (the gauges count running and recently ended ones). */
const SNAPSHOT_LIMIT = 20_000;
const DEFAULT_DUE_BATCH = 200;
const COLUMNS = 'id, version, owner, repo, service, phase, active, pr_number, revert_pr_number, started_at, finished_at, due_at, state';

interface StateRow {
  state: RolloutState;
}

export class PostgresRolloutStore implements RolloutStore {
  private snapshot: RolloutState[] = [];
  private snapshotAt = 0;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly leases: PostgresLeases,
    private readonly options: PostgresStoreOptions = {},
  ) {}

  async get(id: string): Promise<StoredRollout | undefined> {
    const { rows } = await this.pool.query<{ state: RolloutState; version: number }>('SELECT state, version FROM opsbox_rollouts WHERE id = $1', [id]);
    // a row written before a change of the saved shape reads as today's, as the file store's files do
    return rows[0] && { state: migrateState(rows[0].state), version: rows[0].version };
  }

  async put(state: RolloutState, expectedVersion: number): Promise<number> {
    const row = columnsOf(state);
    // The ids of accepted commands become claim rows too, so each is on record once.
    const sql =
      expectedVersion === 0
        ? `WITH written AS (
             INSERT INTO opsbox_rollouts (${COLUMNS}) VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (id) DO NOTHING RETURNING version)`
        : `WITH written AS (
             UPDATE opsbox_rollouts SET version = version + 1, owner = $2, repo = $3, service = $4, phase = $5, active = $6,
               pr_number = $7, revert_pr_number = $8, started_at = $9, finished_at = $10, due_at = $11, state = $12, written_at = now()
             WHERE id = $1 AND version = $13 RETURNING version)`;
    const params: unknown[] = [row.id, row.owner, row.repo, row.service, row.phase, row.active, row.prNumber, row.revertPrNumber, row.startedAt, row.finishedAt, row.dueAt, JSON.stringify(state)];
    if (expectedVersion !== 0) params.push(expectedVersion);
    const { rows } = await this.pool.query<{ version: number }>(
      `${sql},
       commands AS (
         INSERT INTO opsbox_claims (key, done_at)
         SELECT 'command:' || $1 || ':' || command, now()
         FROM written, jsonb_array_elements_text(COALESCE($12::jsonb -> 'commandIds', '[]'::jsonb)) AS command
         ON CONFLICT (key) DO NOTHING)
       SELECT version FROM written`,
      params,
    );
    if (rows.length === 1) return rows[0].version;
    const current = await this.pool.query<{ version: number }>('SELECT version FROM opsbox_rollouts WHERE id = $1', [state.id]);
    throw new VersionConflictError(state.id, expectedVersion, current.rows[0]?.version ?? 0);
  }

  async forPullRequest(owner: string, repo: string, number: number): Promise<RolloutState[]> {
    return this.states_(
      'SELECT state FROM opsbox_rollouts WHERE owner = $1 AND repo = $2 AND (pr_number = $3 OR revert_pr_number = $3) ORDER BY started_at DESC, id',
      [owner, repo, number],
    );
  }

  async latestFor(owner: string, repo: string, service: string): Promise<RolloutState | undefined> {
    const [latest] = await this.states_(
      'SELECT state FROM opsbox_rollouts WHERE owner = $1 AND repo = $2 AND service = $3 ORDER BY started_at DESC, id LIMIT 1',
      [owner, repo, service],
    );
    return latest;
  }

  async activeFor(owner: string, repo: string, service: string): Promise<RolloutState[]> {
    return this.states_('SELECT state FROM opsbox_rollouts WHERE owner = $1 AND repo = $2 AND service = $3 AND active ORDER BY started_at DESC, id', [owner, repo, service]);
  }

  /** Every rollout, newest first (tools and tests). */
  async list(): Promise<RolloutState[]> {
    return this.states_('SELECT state FROM opsbox_rollouts ORDER BY started_at DESC, id', []);
  }

  /** Unlike the file store, nothing is archived: every rollout is listed. */
  async listRollouts(query: RolloutQuery): Promise<RolloutPage> {
    const { offset, limit } = pageBounds(query);
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.repository !== undefined) {
      // owner and repo apart, so the (owner, repo, …) indexes serve the filter
      const slash = query.repository.indexOf('/');
      where.push(slash < 0 ? 'false' : `owner = ${param(query.repository.slice(0, slash))} AND repo = ${param(query.repository.slice(slash + 1))}`);
    }
    if (query.service !== undefined) where.push(`service = ${param(query.service)}`);
    if (query.phases && query.phases.length > 0) where.push(`phase = ANY(${param([...query.phases])}::text[])`);
    if (query.until !== undefined) where.push(`started_at <= ${param(query.until)}`);
    if (query.since !== undefined) where.push(`(finished_at IS NULL OR finished_at >= ${param(query.since)})`);
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const page = await this.pool.query<{ state: RolloutState; total: string }>(
      `SELECT state, count(*) OVER () AS total FROM opsbox_rollouts ${filter}
       ORDER BY active DESC, started_at DESC, id COLLATE "C" LIMIT ${param(limit)} OFFSET ${param(offset)}`,
      params,
    );
    let total = Number(page.rows[0]?.total ?? 0);
    if (page.rows.length === 0 && offset > 0) {
      const counted = await this.pool.query<{ total: string }>(`SELECT count(*) AS total FROM opsbox_rollouts ${filter}`, params.slice(0, -2));
      total = Number(counted.rows[0].total);
    }
    return { rollouts: page.rows.map((row) => migrateState(row.state)), total, offset, limit };
  }

  /**
   * Takes the due rollouts no other replica holds: the rows are locked `FOR UPDATE SKIP LOCKED`
   * (two replicas ticking at once split them) and a lease is written for each in the same
   * statement, held by this replica until the engine has run them.
   */
  async dueIds(now: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ key: string }>(
      `WITH due AS (
         SELECT r.id FROM opsbox_rollouts r
         WHERE r.due_at <= $1
           AND NOT EXISTS (SELECT 1 FROM opsbox_leases l WHERE l.key = 'rollout:' || r.id AND l.lease_until >= now() AND l.lease_owner <> $2)
         ORDER BY r.due_at
         LIMIT $3
         FOR UPDATE OF r SKIP LOCKED)
       INSERT INTO opsbox_leases (key, lease_owner, lease_until)
       SELECT 'rollout:' || id, $2, now() + $4 * interval '1 millisecond' FROM due
       ON CONFLICT (key) DO UPDATE SET lease_owner = EXCLUDED.lease_owner, lease_until = EXCLUDED.lease_until
       WHERE opsbox_leases.lease_until < now() OR opsbox_leases.lease_owner = EXCLUDED.lease_owner
       RETURNING key`,
      [now, this.leases.owner, this.options.dueBatch ?? DEFAULT_DUE_BATCH, this.leases.leaseMs],
    );
    const keys = rows.map((row) => row.key);
    this.leases.adopt(keys);
    const prefix = rolloutLockKey('');
    return keys.map((key) => key.slice(prefix.length));
  }

  /** The last snapshot; a read of a newer one starts in the background when it is older than 10 s. */
  states(): Iterable<Readonly<RolloutState>> {
    if (Date.now() - this.snapshotAt >= SNAPSHOT_EVERY_MS) void this.refreshSnapshot();
    return this.snapshot;
  }

  /** Reads the gauges' snapshot now (at open, and in the background after). */
  async refreshSnapshot(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    this.refreshing = (async () => {
      try {
        const since = Date.now() - (this.options.retentionMs ?? DEFAULT_RETENTION_MS);
        this.snapshot = await this.states_(
          `SELECT state FROM opsbox_rollouts WHERE active OR due_at IS NOT NULL OR finished_at >= $1 ORDER BY started_at DESC LIMIT ${SNAPSHOT_LIMIT}`,
          [since],
        );
        this.snapshotAt = Date.now();
      } catch (error) {
        this.options.log?.warn({ err: error }, 'reading the rollouts for the gauges failed; they show the last snapshot');
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  async close(): Promise<void> {
    await this.refreshing;
  }

  private async states_(sql: string, params: unknown[]): Promise<RolloutState[]> {
    const { rows } = await this.pool.query<StateRow>(sql, params);
    return rows.map((row) => migrateState(row.state));
  }
}

/** The indexed columns of a rollout, from its document. */
export function columnsOf(state: RolloutState) {
  return {
    id: state.id,
    owner: state.repo.owner,
    repo: state.repo.repo,
    service: state.service,
    phase: state.phase,
    active: !TERMINAL_PHASES.includes(state.phase),
    prNumber: state.source.number,
    revertPrNumber: state.revert?.thread?.number ?? null,
    startedAt: state.startedAt,
    finishedAt: state.finishedAt ?? null,
    dueAt: state.wakeAt ?? null,
  };
}
