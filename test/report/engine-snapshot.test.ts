/**
 * The reports over a run of the real analysis engine, mapped the way the rollout wiring maps it:
 * checks that the engine's values, phases and messages reach the status comment and revert PR.
 */
import { describe, expect, it } from '@jest/globals';
import { createRun, recordMeasurement } from '../../src/analysis/run.js';
import { snapshotOf } from '../../src/rollout/analysis-snapshot.js';
import type { RolloutState } from '../../src/rollout/types.js';
import { renderRevertPrBody, renderStatusComment } from '../../src/report/render.js';
import { githubLinks } from '../../src/forge/github/links.js';
import { buildRolloutView } from '../../src/report/view.js';
import { makeMetric } from '../analysis/support.js';
import { mermaidCharts, promqlBlocks, tableRows } from './markdown-checks.js';
import { abortedAfterFailingMetric, ERROR_RATE_QUERY, SERVER_URL, T0 } from './rollouts.js';

const errorRate = makeMetric({
  interval: '1m',
  intervalMs: 60_000,
  count: 3,
  successCondition: 'result[0] < 0.05',
  prometheus: { query: ERROR_RATE_QUERY, address: 'http://prometheus.monitoring:9090' },
});

describe('reports over a real analysis run', () => {
  let run = createRun([errorRate], { startedAt: T0 + 35_000 });
  run = recordMeasurement(run, 'error-rate', { value: [0.01], startedAt: T0 + 95_000, finishedAt: T0 + 95_200 });
  run = recordMeasurement(run, 'error-rate', { value: [0.2], startedAt: T0 + 155_000, finishedAt: T0 + 155_200 });
  const state: RolloutState = { ...abortedAfterFailingMetric(), finishedRuns: { 'step:1': run } };
  const view = buildRolloutView(state, { commitUrl: (sha) => githubLinks(SERVER_URL).commitUrl(state.repo, sha), analysisOf: snapshotOf, now: T0 + 200_000 });

  it('shows the engine’s verdict and values in the status comment', () => {
    const body = renderStatusComment(view);
    expect(body).toContain('#### Step 2 analysis (`error-rate`): ❌ Failed');
    const rows = tableRows(body.slice(body.indexOf('#### Step 2 analysis')), '#').slice(1);
    expect(rows.map((row) => [row[2], row[3]])).toEqual([
      ['`[0.01]`', '✅ Successful'],
      ['`[0.2]`', '❌ Failed'],
    ]);
    expect(mermaidCharts(body)[0].values).toEqual([0.01, 0.2]);
    expect(promqlBlocks(body)).toEqual([ERROR_RATE_QUERY]);
    expect(body).toContain('- Success when `result[0] < 0.05`');
  });

  it('puts the failing measurements in the revert pull request', () => {
    const body = renderRevertPrBody(view);
    expect(body).toContain('**`error-rate`** ❌ Failed');
    expect(body).toContain('`[0.2]`');
  });
});
