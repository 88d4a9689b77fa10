/**
 * GitHub write pacing shared by every replica. GitHub's secondary rate limits count per
 * installation, not per process: each replica's Octokit keeps its own pace (about one write a
 * second), so three replicas would write three times as fast. Here each write reserves the next
 * slot of its installation in one statement (the row holds when the next write may start), then
 * waits for it: together the replicas write no faster than the pace, whichever of them writes.
 */
import type { Pool } from 'pg';

/** Writes a second per installation, across replicas, unless OPSBOX_GITHUB_WRITES_PER_SECOND says otherwise. */
export const DEFAULT_WRITES_PER_SECOND = 1;

export class PostgresWritePace {
  private readonly intervalMs: number;

  constructor(
    private readonly pool: Pool,
    writesPerSecond = DEFAULT_WRITES_PER_SECOND,
  ) {
    this.intervalMs = 1000 / writesPerSecond;
  }

  /** Resolves when the installation's next write slot has come. */
  async take(installationId: number): Promise<void> {
    const waitMs = await this.reserve(installationId);
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  }

  /** Reserves the installation's next write slot; returns how long until it comes (ms). */
  async reserve(installationId: number): Promise<number> {
    const { rows } = await this.pool.query<{ wait_ms: number }>(
      `INSERT INTO opsbox_write_pace (installation_id, next_at) VALUES ($1, clock_timestamp() + $2 * interval '1 millisecond')
       ON CONFLICT (installation_id) DO UPDATE
         SET next_at = GREATEST(opsbox_write_pace.next_at, clock_timestamp()) + $2 * interval '1 millisecond'
       RETURNING GREATEST(0, EXTRACT(EPOCH FROM (next_at - clock_timestamp())) * 1000 - $2)::float8 AS wait_ms`,
      [installationId, this.intervalMs],
    );
    return rows[0]?.wait_ms ?? 0;
  }
}

/** `OPSBOX_GITHUB_WRITES_PER_SECOND`: the shared pace, from 0.1 to 100 writes a second per installation. */
export function writesPerSecondFromEnv(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.OPSBOX_GITHUB_WRITES_PER_SECOND?.trim();
  if (!raw) return DEFAULT_WRITES_PER_SECOND;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0.1 || value > 100) {
    throw new Error(`OPSBOX_GITHUB_WRITES_PER_SECOND=${JSON.stringify(raw)} is not a number of writes a second from 0.1 to 100 (default 1)`);
  }
  return value;
}
