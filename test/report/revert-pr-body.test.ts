import { describe, expect, it } from '@jest/globals';
import type { RolloutState } from '../../src/rollout/types.js';
import { renderRevertPrBody, revertMarker } from '../../src/report/render.js';
import { buildRolloutView } from '../../src/report/view.js';
import { mermaidCharts, promqlBlocks, tableRows } from './markdown-checks.js';
import { abortedAfterFailingMetric, context, ERROR_RATE_QUERY, FAILURE_REASON, SHA_ROLLBACK, T0 } from './rollouts.js';

const render = (state: RolloutState) => renderRevertPrBody(buildRolloutView(state, context(T0 + 200_000)));

describe('revert pull request body', () => {
  // The revert PR is opened while the rollout is still rolling back.
  const aborting: RolloutState = { ...abortedAfterFailingMetric(), phase: 'Aborting', revert: undefined, finishedAt: undefined };
  const body = render(aborting);

  it('starts with a marker naming the rollout', () => {
    expect(body.split('\n')[0]).toBe(revertMarker('api-v2-7f3a'));
  });

  it('says what is reverted and links the source pull request', () => {
    expect(body).toContain('## Revert the canary of `api` to `v1.4.0`');
    expect(body).toContain('The canary `v1.5.0` of `api`, rolled out from #123, failed and was rolled back.');
  });

  it('says what failed, which analysis and when', () => {
    expect(body).toContain(`**What failed:** ${FAILURE_REASON} (Step 2 analysis, +2m36s into the rollout, 2024-05-01 12:02:36 UTC).`);
  });

  it('links the rollback commit', () => {
    expect(body).toContain(`in commit [d4e5f60](https://github.com/acme/manifests/commit/${SHA_ROLLBACK}) at +2m40s`);
  });

  it('shows the failing metric with its query, condition, values and verdicts', () => {
    expect(promqlBlocks(body)).toEqual([ERROR_RATE_QUERY]);
    expect(body).toContain('- Success when `result[0] < 0.05`');
    expect(body).toContain('- Verdict: ❌ Failed, failed (1) > failureLimit (0)');
    expect(tableRows(body, '#').slice(1)).toEqual([
      ['1', '+1m35s', '`0.01`', '✅ Successful', ''],
      ['2', '+2m35s', '`0.2`', '❌ Failed', ''],
    ]);
    expect(mermaidCharts(body)).toEqual([{ title: 'error-rate', labels: ['+1m35s', '+2m35s'], values: [0.01, 0.2] }]);
  });

  it('leaves out the metrics that did not decide the failure', () => {
    expect(body).not.toContain('latency-p99');
  });

  it('says that merging brings the canary tag back to `from` and starts nothing', () => {
    expect(body).toContain('It sets the canary image tag in `apps/api/canary.yaml` back to `v1.4.0`');
    expect(body).toContain('this change starts no rollout');
  });

  it('explains a failure that no analysis decided', () => {
    const byHand = render({ ...aborting, failure: { at: T0 + 150_000, reason: 'aborted by @alice' } });
    expect(byHand).toContain('**What failed:** aborted by @alice (+2m30s into the rollout, 2024-05-01 12:02:30 UTC).');
    expect(byHand).toContain('No analysis decided this failure, so there are no measurements to show.');
    expect(byHand).toContain('the status comment on #123 has the full history');
  });
});
