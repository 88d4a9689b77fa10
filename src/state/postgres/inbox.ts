/**
 * Claims and the work they carry, one row each in `opsbox_claims`: the primary key refuses a second
 * claim of a delivery or comment, from any replica. Unfinished rows are the inbox every replica's
 * retry pass reads, so accepted work survives the replica that accepted it.
 */
import type { Pool } from 'pg';
import type { WorkInbox } from '../store.js';
import { DONE_RETENTION_MS } from '../claim-journal.js';

/** Finished claims are kept this long, to refuse late redeliveries (as the file store's journal does). */

export class PostgresInbox implements WorkInbox {
  constructor(private readonly pool: Pool) {}

  async claimOnce(key: string, work?: unknown): Promise<boolean> {
    const result = await this.pool.query('INSERT INTO opsbox_claims (key, work) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO NOTHING', [
      key,
      work === undefined ? null : JSON.stringify(work),
    ]);
    return result.rowCount === 1;
  }

  async unfinishedWork(): Promise<{ key: string; work: unknown }[]> {
    const { rows } = await this.pool.query<{ key: string; work: unknown }>(
      'SELECT key, work FROM opsbox_claims WHERE done_at IS NULL AND work IS NOT NULL ORDER BY claimed_at, key',
    );
    return rows;
  }

  async isUnfinished(key: string): Promise<boolean> {
    const { rows } = await this.pool.query('SELECT 1 FROM opsbox_claims WHERE key = $1 AND done_at IS NULL', [key]);
    return rows.length > 0;
  }

  async finishWork(key: string): Promise<void> {
    await this.pool.query('UPDATE opsbox_claims SET done_at = now() WHERE key = $1 AND done_at IS NULL', [key]);
  }

  /** Copies a claim from another store, with its time and state; false when the key is there already. */
  async importClaim(claim: { key: string; at: number; work?: unknown; done: boolean }): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO opsbox_claims (key, claimed_at, work, done_at)
       VALUES ($1, to_timestamp($2::double precision / 1000), $3::jsonb, CASE WHEN $4::boolean THEN now() ELSE NULL END)
       ON CONFLICT (key) DO NOTHING`,
      [claim.key, claim.at, claim.work === undefined ? null : JSON.stringify(claim.work), claim.done],
    );
    return result.rowCount === 1;
  }

  /** Forgets claims finished longer ago than the retention; returns how many. */
  async forgetOldClaims(retentionMs = DONE_RETENTION_MS): Promise<number> {
    const result = await this.pool.query("DELETE FROM opsbox_claims WHERE done_at < now() - $1 * interval '1 millisecond'", [retentionMs]);
    return result.rowCount ?? 0;
  }
}
