/** Two replicas' notifiers on one PostgreSQL database, each through its own backend (pool). */
import { afterAll, beforeAll } from '@jest/globals';
import { openPostgresBackend } from '../../src/state/postgres/backend.js';
import { nextDatabaseName, postgresTool, startPostgres, type PostgresCluster } from '../support/postgres.js';
import { describeWithTool } from '../support/required-tool.js';
import { sharedAlertBookContract } from './shared-alert-book.contract.js';

const tool = postgresTool();
let cluster: PostgresCluster;

describeWithTool('alerts of several replicas in PostgreSQL', tool, () => {
  beforeAll(async () => {
    cluster = await startPostgres(tool);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  sharedAlertBookContract('PostgreSQL alert book', async () => {
    const url = await cluster.createDatabase(nextDatabaseName());
    const [a, b] = await Promise.all(
      ['replica-a', 'replica-b'].map((owner) => openPostgresBackend({ connectionString: url, leaseMs: 30_000, owner, poolSize: 2 })),
    );
    return { a: a.alerts, b: b.alerts, close: async () => void (await Promise.all([a.close(), b.close()])) };
  });
});
