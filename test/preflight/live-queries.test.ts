import { describe, expect, it } from '@jest/globals';
import type { MetricProvider, ResolvedMetric } from '../../src/analysis/types.js';
import { runLiveQueries, type LiveQuery } from '../../src/preflight/live-queries.js';

function query(name: string): LiveQuery {
  const metric = {
    name,
    successCondition: 'result[0] < 3',
    failureLimit: 0,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: 0,
    consecutiveSuccessLimit: 0,
    dryRun: false,
    measurementRetention: 1,
    source: { file: 'analysis/t.yaml', template: 't', kind: 'AnalysisTemplate' },
    prometheus: { query: `up{job="${name}"}`, timeoutMs: 30_000, headers: [], insecure: false },
  } as ResolvedMetric;
  return { usedBy: ['step 2'], metric };
}

describe('runLiveQueries', () => {
  it('gives up on a query that does not answer within the timeout, as an error', async () => {
    const hanging: MetricProvider = {
      measure: (_metric, signal) => new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted')))),
    };
    const [result] = await runLiveQueries([query('slow')], hanging, { timeoutMs: 20 });
    expect(result).toMatchObject({ kind: 'error', message: 'no answer within 0.02s' });
  });

  it('runs no more queries at once than the limit, and keeps their order', async () => {
    let running = 0;
    let most = 0;
    const provider: MetricProvider = {
      measure: async (metric) => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setImmediate(resolve));
        running--;
        return { value: [metric.name.length], raw: '' };
      },
    };
    const names = ['a', 'bb', 'ccc', 'dddd', 'eeeee', 'ffffff', 'g'];
    const results = await runLiveQueries(names.map(query), provider, { concurrency: 2 });
    expect(most).toBe(2);
    expect(results.map((r) => (r.kind === 'data' ? r.value : r.kind))).toEqual([[1], [2], [3], [4], [5], [6], [1]]);
    expect(results.map((r) => (r.kind === 'data' ? r.verdict : r.kind))).toEqual(['pass', 'pass', 'fail', 'fail', 'fail', 'fail', 'pass']);
  });
});
