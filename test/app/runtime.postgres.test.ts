/** The runtime on PostgreSQL: selected by DATABASE_URL, and letting go of its leases when it drains (SIGTERM). */
import { expect, it } from '@jest/globals';
import { pino } from 'pino';
import pg from 'pg';
import { serviceSchema } from '../../src/config/opsbox.schema.js';
import { newRollout } from '../../src/rollout/new-rollout.js';
import type { InstallationOctokit } from '../../src/forge/github/github-forge.js';
import { Runtime } from '../../src/app/runtime.js';
import { describeWithPostgres } from '../support/describe-with-postgres.js';
import { nextDatabaseName } from '../support/postgres.js';
import { githubRepoRef } from '../../src/forge/github/github-forge.js';

describeWithPostgres('the runtime on PostgreSQL', (cluster) => {
  it('keeps its state in the database of DATABASE_URL and deletes its leases when it drains', async () => {
    const url = await cluster().createDatabase(nextDatabaseName('runtime'));
    const runtime = await Runtime.create({
      dataDir: '/nonexistent/never-written',
      env: { DATABASE_URL: url },
      auth: async () => ({}) as InstallationOctokit,
      appLogin: async () => 'opsbox-canary[bot]',
      log: pino({ level: 'silent' }),
      schedule: false,
    });
    const db = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const state = newRollout(
        {
          id: 'acme/manifests#7/api',
          repo: githubRepoRef({ installationId: 1, owner: 'acme', repo: 'manifests', defaultBranch: 'main' }),
          service: 'api',
          serviceConfig: serviceSchema.parse({
            image: 'ghcr.io/acme/api',
            canary: { file: 'canary.yaml' },
            stable: { file: 'stable.yaml' },
            traffic: { provider: 'smi', file: 'split.yaml', stable: 'api-stable', canary: 'api-canary' },
            steps: [{ setWeight: 10 }],
          }),
          from: 'v1',
          to: 'v2',
          source: { number: 7, title: 'Bump api', url: 'https://github.com/acme/manifests/pull/7', mergeSha: 'abc' },
          analyses: {},
          templatePaths: [],
        },
        1000,
      );
      await runtime.store.put({ ...state, wakeAt: 2000 }, 0);
      // taken by this replica's scheduler: its lease is in the database
      expect(await runtime.store.dueIds(5000)).toEqual([state.id]);
      expect((await db.query('SELECT key FROM opsbox_leases')).rows).toEqual([{ key: `rollout:${state.id}` }]);
      await runtime.drain();
      expect((await db.query('SELECT key FROM opsbox_leases')).rows).toEqual([]);
    } finally {
      await runtime.stop();
      await db.end();
    }
  });
});
