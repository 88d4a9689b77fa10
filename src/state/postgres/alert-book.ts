/**
 * The alert book every replica shares: one row per open alert in `opsbox_alerts`. A re-post is
 * recorded by compare-and-set on posted_at, so of two replicas ticking at once one posts it; a
 * resolve deletes the row, so no replica re-posts it after.
 */
import type { Pool } from 'pg';
import type { AlertBook, BookedAlert } from '../alert-book.js';

export class PostgresAlertBook implements AlertBook {
  constructor(private readonly pool: Pool) {}

  async list(): Promise<BookedAlert[]> {
    const { rows } = await this.pool.query<{ alert: BookedAlert }>('SELECT alert FROM opsbox_alerts ORDER BY rollout_id');
    return rows.map((row) => row.alert);
  }

  async get(rollout: string): Promise<BookedAlert | undefined> {
    const { rows } = await this.pool.query<{ alert: BookedAlert }>('SELECT alert FROM opsbox_alerts WHERE rollout_id = $1', [rollout]);
    return rows[0]?.alert;
  }

  async put(alert: BookedAlert): Promise<void> {
    await this.pool.query(
      `INSERT INTO opsbox_alerts (rollout_id, posted_at, alert) VALUES ($1, $2, $3::jsonb)
       ON CONFLICT (rollout_id) DO UPDATE SET posted_at = EXCLUDED.posted_at, alert = EXCLUDED.alert, written_at = now()`,
      [alert.rollout, alert.postedAt, JSON.stringify(alert)],
    );
  }

  async replaceIfPostedAt(alert: BookedAlert, postedAt: number): Promise<boolean> {
    const result = await this.pool.query(
      'UPDATE opsbox_alerts SET posted_at = $2, alert = $3::jsonb, written_at = now() WHERE rollout_id = $1 AND posted_at = $4',
      [alert.rollout, alert.postedAt, JSON.stringify(alert), postedAt],
    );
    return result.rowCount === 1;
  }

  async remove(rollout: string): Promise<BookedAlert | undefined> {
    const { rows } = await this.pool.query<{ alert: BookedAlert }>('DELETE FROM opsbox_alerts WHERE rollout_id = $1 RETURNING alert', [rollout]);
    return rows[0]?.alert;
  }
}
