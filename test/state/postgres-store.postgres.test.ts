/**
 * The PostgreSQL backend against a throwaway cluster: the same contracts as the file store, then
 * what only a store shared by several replicas has to do (leases, due rollouts split between
 * replicas, migrations run by two replicas at once).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { serviceSchema } from '../../src/config/opsbox.schema.js';
import { newRollout } from '../../src/rollout/new-rollout.js';
import type { RolloutState } from '../../src/rollout/types.js';
import { openStateBackend } from '../../src/state/open-backend.js';
import { openPostgresBackend, type PostgresBackend } from '../../src/state/postgres/backend.js';
import { migrate, MIGRATIONS } from '../../src/state/postgres/migrations.js';
import { nextDatabaseName, postgresTool, startPostgres, type PostgresCluster } from '../support/postgres.js';
import { describeWithTool } from '../support/required-tool.js';
import { rolloutStoreContract } from './rollout-store.contract.js';
import { lockPortContract, workInboxContract } from './state-ports.contract.js';
import { alertBookContract } from './alert-book.contract.js';
import { githubRepoRef } from '../../src/forge/github/github-forge.js';
import { describeWithPostgres } from '../support/describe-with-postgres.js';

const tool = postgresTool();
let cluster: PostgresCluster;

async function openBackend(url: string, options: { leaseMs?: number; owner?: string } = {}): Promise<PostgresBackend> {
  return openPostgresBackend({ connectionString: url, leaseMs: options.leaseMs ?? 30_000, owner: options.owner, poolSize: 4 });
}

async function freshBackend(): Promise<PostgresBackend> {
  return openBackend(await cluster.createDatabase(nextDatabaseName()));
}

const serviceConfig = serviceSchema.parse({
  image: 'ghcr.io/acme/api',
  canary: { file: 'canary.yaml' },
  stable: { file: 'stable.yaml' },
  traffic: { provider: 'smi', file: 'split.yaml', stable: 'api-stable', canary: 'api-canary' },
  steps: [{ setWeight: 10 }, { setWeight: 50 }],
});

function dueRollout(id: string, wakeAt: number): RolloutState {
  const state = newRollout(
    {
      id,
      repo: githubRepoRef({ installationId: 1, owner: 'acme', repo: 'manifests', defaultBranch: 'main' }),
      service: 'api',
      serviceConfig,
      from: 'v1',
      to: 'v2',
      source: { number: 7, title: 'Bump api', url: 'https://github.com/acme/manifests/pull/7', mergeSha: 'abc' },
      analyses: {},
      templatePaths: [],
    },
    1000,
  );
  state.wakeAt = wakeAt;
  return state;
}

describeWithTool('PostgreSQL state backend', tool, () => {
  beforeAll(async () => {
    cluster = await startPostgres(tool);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  rolloutStoreContract('PostgreSQL store', async () => {
    const backend = await freshBackend();
    return { store: backend.store, close: () => backend.close() };
  });
  workInboxContract('PostgreSQL store', async () => {
    const backend = await freshBackend();
    return { inbox: backend.inbox, locks: backend.locks, close: () => backend.close() };
  });
  lockPortContract('PostgreSQL leases', async () => {
    const backend = await freshBackend();
    return { inbox: backend.inbox, locks: backend.locks, close: () => backend.close() };
  });
  alertBookContract(
    'PostgreSQL alert book',
    async () => {
      const url = await cluster.createDatabase(nextDatabaseName());
      const backends = [await openBackend(url, { owner: 'replica-a' })];
      return {
        book: backends[0].alerts,
        // another replica on the same database
        reopen: async () => {
          const other = await openBackend(url, { owner: 'replica-b' });
          backends.push(other);
          return other.alerts;
        },
        close: async () => void (await Promise.all(backends.map((backend) => backend.close()))),
      };
    },
    true,
  );

  describe('selection and schema', () => {
    it('is selected by DATABASE_URL', async () => {
      const url = await cluster.createDatabase(nextDatabaseName());
      const backend = await openStateBackend({ env: { DATABASE_URL: url }, dataDir: '/nonexistent/never-written' });
      try {
        expect(backend.kind).toBe('postgres');
        expect(await backend.inbox.claimOnce('merge:acme/manifests:abc')).toBe(true);
      } finally {
        await backend.close();
      }
    });

    it('applies each migration once when replicas start together, and nothing on the next start', async () => {
      const url = await cluster.createDatabase(nextDatabaseName());
      const pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: url, max: 2 }));
      try {
        const applied = await Promise.all(pools.map((pool) => migrate(pool)));
        expect(applied.flat()).toEqual(MIGRATIONS.map((m) => m.version));
        expect(await migrate(pools[0])).toEqual([]);
        const { rows } = await pools[0].query('SELECT version FROM opsbox_schema_migrations ORDER BY version');
        expect(rows.map((row) => row.version)).toEqual(MIGRATIONS.map((m) => m.version));
      } finally {
        await Promise.all(pools.map((pool) => pool.end()));
      }
    });

    it('serves the gauges from a snapshot of running and recently ended rollouts, read again on demand', async () => {
      const backend = await freshBackend();
      try {
        expect([...backend.store.states()]).toEqual([]);
        await backend.store.put(dueRollout('r1', 5000), 0);
        await backend.store.refreshSnapshot();
        expect([...backend.store.states()].map((state) => state.id)).toEqual(['r1']);
      } finally {
        await backend.close();
      }
    });

    it('fails while the database is down, then works again on the same pool once it is back (a failover)', async () => {
      const backend = await freshBackend();
      try {
        await backend.store.put(dueRollout('r1', 5000), 0);
        await cluster.halt();
        try {
          await expect(backend.inbox.claimOnce('merge:acme/manifests:abc', { n: 1 })).rejects.toThrow();
          await expect(backend.store.put({ ...dueRollout('r1', 5000), weight: 10 }, 1)).rejects.toThrow();
        } finally {
          await cluster.start();
        }
        // nothing half-done: the failed claim can be made now, the failed write made again on the same version
        expect(await backend.inbox.claimOnce('merge:acme/manifests:abc', { n: 1 })).toBe(true);
        expect(await backend.store.put({ ...dueRollout('r1', 5000), weight: 10 }, 1)).toBe(2);
      } finally {
        await backend.close();
      }
    });

    it('records the ids of accepted commands as claims, once', async () => {
      const backend = await freshBackend();
      try {
        const state = dueRollout('r1', 5000);
        await backend.store.put(state, 0);
        await backend.store.put({ ...state, commandIds: ['55'] }, 1);
        await backend.store.put({ ...state, commandIds: ['55', '56'] }, 2);
        const { rows } = await backend.pool.query("SELECT key FROM opsbox_claims WHERE key LIKE 'command:%' ORDER BY key");
        expect(rows.map((row) => row.key)).toEqual(['command:r1:55', 'command:r1:56']);
      } finally {
        await backend.close();
      }
    });
    it('reads a row saved in an earlier shape of the state as today\'s', async () => {
      const backend = await freshBackend();
      try {
        const state = dueRollout('r-old', 5000);
        await backend.store.put(state, 0);
        // as an earlier version wrote it: the installation id and comment ids at the top of the state
        const old = { ...state, repo: { installationId: 7, owner: 'acme', repo: 'manifests', defaultBranch: 'main' }, statusCommentId: 11, checkRunId: 12 };
        await backend.pool.query('UPDATE opsbox_rollouts SET state = $1 WHERE id = $2', [JSON.stringify(old), 'r-old']);
        const read = (await backend.store.get('r-old'))!.state as RolloutState & Record<string, unknown>;
        expect(read.repo).toMatchObject({ forge: 'github', key: 'acme/manifests', native: { installationId: 7 } });
        expect(read.statusRef?.native).toMatchObject({ commentId: 11, checkRunId: 12 });
        expect(read).not.toHaveProperty('statusCommentId');
        expect((await backend.store.activeFor('acme', 'manifests', state.service)).map((r) => r.repo.forge)).toEqual(['github']);
      } finally {
        await backend.close();
      }
    });
  });

  describe('two replicas on one database', () => {
    let url: string;
    let replicas: PostgresBackend[];

    beforeAll(async () => {
      url = await cluster.createDatabase(nextDatabaseName());
    });
    const open = async (leaseMs = 30_000) => {
      const a = await openBackend(url, { owner: 'replica-a', leaseMs });
      const b = await openBackend(url, { owner: 'replica-b', leaseMs });
      replicas = [a, b];
      await a.pool.query('TRUNCATE opsbox_rollouts, opsbox_claims, opsbox_leases');
      return [a, b] as const;
    };
    const closeAll = async () => Promise.all(replicas.map((replica) => replica.close()));

    it('splits due rollouts between replicas taking them at once: each goes to exactly one', async () => {
      const [a, b] = await open();
      try {
        for (let i = 0; i < 60; i++) await a.store.put(dueRollout(`r${i}`, 1000 + i), 0);
        const [takenA, takenB] = await Promise.all([a.store.dueIds(10_000), b.store.dueIds(10_000)]);
        expect([...takenA, ...takenB].sort()).toEqual(Array.from({ length: 60 }, (_, i) => `r${i}`).sort());
        expect(takenA.filter((id) => takenB.includes(id))).toEqual([]);
        // taken means leased: asked again, neither replica gets the other's rollouts
        expect((await b.store.dueIds(10_000)).filter((id) => takenA.includes(id))).toEqual([]);
      } finally {
        await closeAll();
      }
    });

    it('refuses a rollout to a second replica while the first drives it, and hands it over when done', async () => {
      const [a, b] = await open();
      try {
        await a.store.put(dueRollout('r1', 1000), 0);
        let release!: () => void;
        const holding = new Promise<void>((resolve) => (release = resolve));
        let started!: () => void;
        const running = new Promise<void>((resolve) => (started = resolve));
        const driving = a.locks.withLock('rollout:r1', async () => {
          started();
          await holding;
        });
        await running;
        expect(await b.store.dueIds(5000)).toEqual([]);
        expect(await b.locks.tryLock('rollout:r1', async () => 'b')).toBeUndefined();
        release();
        await driving;
        expect(await b.locks.tryLock('rollout:r1', async () => 'b')).toEqual({ value: 'b' });
      } finally {
        await closeAll();
      }
    });

    it('takes over a rollout whose replica died once its lease runs out', async () => {
      const [a, b] = await open(1000);
      try {
        await a.store.put(dueRollout('r1', 1000), 0);
        expect(await a.store.dueIds(5000)).toEqual(['r1']);
        // replica a dies: it stops renewing, and never lets go
        await a.pool.query("UPDATE opsbox_leases SET lease_owner = 'dead-replica'");
        expect(await b.store.dueIds(5000)).toEqual([]);
        // withLock waits for the lease to run out (at most the lease plus 5 s), then drives it
        const value = await b.locks.withLock('rollout:r1', async () => 'taken over');
        expect(value).toBe('taken over');
        expect(await b.store.dueIds(5000)).toEqual(['r1']);
      } finally {
        await closeAll();
      }
    });

    it('keeps a lease while its holder works past its length (renewal)', async () => {
      const [a, b] = await open(1000);
      try {
        let refusedMidway: unknown = 'not asked';
        await a.locks.withLock('rollout:r1', async () => {
          // two lease lengths of work: without renewal b would take it over halfway
          for (let i = 0; i < 4; i++) await new Promise((resolve) => setTimeout(resolve, 500));
          refusedMidway = await b.locks.tryLock('rollout:r1', async () => 'b');
        });
        expect(refusedMidway).toBeUndefined();
      } finally {
        await closeAll();
      }
    });

    it('lets go of every lease on shutdown, so another replica takes over at once', async () => {
      const [a, b] = await open();
      try {
        await a.store.put(dueRollout('r1', 1000), 0);
        await a.store.put(dueRollout('r2', 1000), 0);
        expect((await a.store.dueIds(5000)).sort()).toEqual(['r1', 'r2']);
        expect(await b.store.dueIds(5000)).toEqual([]);
        await a.locks.releaseAll();
        expect((await b.store.dueIds(5000)).sort()).toEqual(['r1', 'r2']);
      } finally {
        await closeAll();
      }
    });

    it('refuses a claim to the second replica that sees the same delivery', async () => {
      const [a, b] = await open();
      try {
        const results = await Promise.all([a.inbox.claimOnce('merge:acme/manifests:abc', { n: 1 }), b.inbox.claimOnce('merge:acme/manifests:abc', { n: 1 })]);
        expect(results.sort()).toEqual([false, true]);
        // the work survives the replica that claimed it: the other one sees it unfinished
        expect(await b.inbox.unfinishedWork()).toEqual([{ key: 'merge:acme/manifests:abc', work: { n: 1 } }]);
      } finally {
        await closeAll();
      }
    });
  });
});

describeWithPostgres('GitHub write pace shared through PostgreSQL', (paceCluster) => {
  it('gives the writes of two replicas for one installation one slot each, one pace apart', async () => {
    const url = await paceCluster().createDatabase(nextDatabaseName());
    const a = await openPostgresBackend({ connectionString: url, leaseMs: 30_000, writesPerSecond: 1, poolSize: 4 });
    const b = await openPostgresBackend({ connectionString: url, leaseMs: 30_000, writesPerSecond: 1, poolSize: 4 });
    try {
      const waits = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).writePace.reserve(42)));
      // slots 0 s, 1 s, … 9 s from now, whichever replica asked (rounded: the statements take a few ms)
      expect(waits.map((ms) => Math.round(ms / 1000)).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      // another installation has a pace of its own
      expect(Math.round((await a.writePace.reserve(7)) / 1000)).toBe(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
