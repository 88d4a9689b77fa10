/**
 * Locks as leases in `opsbox_leases`: a row names the replica that holds a key and until when (the
 * database's clock, the same for every replica). A holder renews its leases at a third of their
 * length while it works and deletes them when done; a lease that ran out (its replica died) is
 * taken over by the next replica that asks. Within one process the keys also queue in memory,
 * so the process never competes with itself.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Pool } from 'pg';
import { InProcessLocks, type LockPort } from '../locks.js';

export interface LeaseOptions {
  /** How long a lease lasts without renewal. */
  leaseMs: number;
  /** This replica's name in `lease_owner` (default: host, pid and a random part). */
  owner?: string;
  /** How long withLock waits for a lease held elsewhere (default: the lease plus 5 s). */
  waitMs?: number;
  log?: Pick<Logger, 'warn'>;
}

/** Between two tries of a lease held elsewhere. */
const RETRY_MS = 100;

export function replicaName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export class PostgresLeases implements LockPort {
  readonly owner: string;
  private readonly local = new InProcessLocks();
  /** Keys whose lease this replica holds (one holder per key in a process: the local queue sees to it). */
  private readonly held = new Set<string>();
  private readonly renewal: NodeJS.Timeout;
  private renewing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly options: LeaseOptions,
  ) {
    this.owner = options.owner ?? replicaName();
    this.renewal = setInterval(() => void this.renew(), Math.max(200, Math.floor(options.leaseMs / 3)));
    this.renewal.unref();
  }

  get leaseMs(): number {
    return this.options.leaseMs;
  }

  async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.local.withLock(key, async () => {
      await this.acquireWaiting(key);
      try {
        return await work();
      } finally {
        await this.release(key);
      }
    });
  }

  async tryLock<T>(key: string, work: () => Promise<T>): Promise<{ value: T } | undefined> {
    if (this.local.held(key)) return undefined;
    return this.local.tryLock(key, async () => {
      if (!(await this.acquire(key))) return undefined;
      try {
        return { value: await work() };
      } finally {
        await this.release(key);
      }
    }).then((outcome) => outcome?.value);
  }

  /**
   * Records leases taken by a query of their own (the scheduler's `FOR UPDATE SKIP LOCKED` take):
   * they are renewed until the work on them is done, or released if it never starts.
   */
  adopt(keys: readonly string[]): void {
    for (const key of keys) this.held.add(key);
  }

  async idle(): Promise<void> {
    await this.local.idle();
  }

  async releaseAll(): Promise<void> {
    this.held.clear();
    await this.pool.query('DELETE FROM opsbox_leases WHERE lease_owner = $1', [this.owner]);
  }

  /** Stops renewing and deletes this replica's leases. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.renewal);
    await this.renewing;
    await this.releaseAll().catch((error) => this.options.log?.warn({ err: error }, 'releasing the leases failed; they run out by themselves'));
  }

  /** Takes the lease if it is free, ran out, or is ours already. */
  private async acquire(key: string): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO opsbox_leases (key, lease_owner, lease_until) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (key) DO UPDATE SET lease_owner = EXCLUDED.lease_owner, lease_until = EXCLUDED.lease_until
       WHERE opsbox_leases.lease_until < now() OR opsbox_leases.lease_owner = EXCLUDED.lease_owner`,
      [key, this.owner, this.options.leaseMs],
    );
    if (result.rowCount !== 1) return false;
    this.held.add(key);
    return true;
  }

  private async acquireWaiting(key: string): Promise<void> {
    const waitMs = this.options.waitMs ?? this.options.leaseMs + 5_000;
    const deadline = Date.now() + waitMs;
    for (let attempt = 0; attempt < Math.ceil(waitMs / RETRY_MS) + 1; attempt++) {
      if (await this.acquire(key)) return;
      if (Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
    throw new Error(`${key} is held by another replica for longer than ${waitMs} ms; the work is tried again later`);
  }

  private async release(key: string): Promise<void> {
    this.held.delete(key);
    await this.pool
      .query('DELETE FROM opsbox_leases WHERE key = $1 AND lease_owner = $2', [key, this.owner])
      .catch((error) => this.options.log?.warn({ err: error, key }, 'releasing a lease failed; it runs out by itself'));
  }

  /** Extends every lease held; one taken over meanwhile (this replica stalled past it) is reported. */
  private async renew(): Promise<void> {
    if (this.renewing || this.held.size === 0) return;
    const keys = [...this.held];
    this.renewing = (async () => {
      try {
        const result = await this.pool.query<{ key: string }>(
          `UPDATE opsbox_leases SET lease_until = now() + $3 * interval '1 millisecond'
           WHERE lease_owner = $1 AND key = ANY($2::text[]) RETURNING key`,
          [this.owner, keys, this.options.leaseMs],
        );
        if (result.rows.length < keys.length) {
          const kept = new Set(result.rows.map((row) => row.key));
          const lost = keys.filter((key) => !kept.has(key) && this.held.has(key));
          if (lost.length > 0) this.options.log?.warn({ lost }, 'leases ran out before they were renewed; another replica may drive these now');
        }
      } catch (error) {
        this.options.log?.warn({ err: error }, 'renewing leases failed (database unreachable?); tried again shortly');
      } finally {
        this.renewing = undefined;
      }
    })();
    await this.renewing;
  }
}
