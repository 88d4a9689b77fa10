/** Two replicas' notifiers on one PostgreSQL database, each through its own backend (pool). */
import { openPostgresBackend } from '../../src/state/postgres/backend.js';
import { describeWithPostgres } from '../support/describe-with-postgres.js';
import { nextDatabaseName } from '../support/postgres.js';
import { sharedAlertBookContract } from './shared-alert-book.contract.js';

describeWithPostgres('alerts of several replicas in PostgreSQL', (cluster) => {
  sharedAlertBookContract('PostgreSQL alert book', async () => {
    const url = await cluster().createDatabase(nextDatabaseName());
    const [a, b] = await Promise.all(
      ['replica-a', 'replica-b'].map((owner) => openPostgresBackend({ connectionString: url, leaseMs: 30_000, owner, poolSize: 2 })),
    );
    return { a: a.alerts, b: b.alerts, close: async () => void (await Promise.all([a.close(), b.close()])) };
  });
});
