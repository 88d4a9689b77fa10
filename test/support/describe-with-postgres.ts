/**
 * A suite on a throwaway PostgreSQL cluster: started before its tests, stopped after them. Kept
 * apart from postgres.ts, which benchmarks import outside Jest.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { postgresTool, startPostgres, type PostgresCluster } from './postgres.js';
import { describeWithTool } from './required-tool.js';

/** `describeWithTool` with the cluster: `body` gets a getter, valid inside hooks and tests. */
export function describeWithPostgres(name: string, body: (cluster: () => PostgresCluster) => void): void {
  const tool = postgresTool();
  describeWithTool(name, tool, () => {
    let cluster: PostgresCluster | undefined;
    beforeAll(async () => {
      cluster = await startPostgres(tool);
    });
    afterAll(async () => {
      await cluster?.stop();
    });
    body(() => {
      if (!cluster) throw new Error('the PostgreSQL cluster is only there inside the suite\'s hooks and tests');
      return cluster;
    });
  });
}
