import { describe, expect, it } from '@jest/globals';
import type { RolloutState } from '../../src/rollout/types.js';
import { failureMarker, renderFailureComment } from '../../src/report/render.js';
import { buildRolloutView } from '../../src/report/view.js';
import { abortedAfterFailingMetric, context, ERROR_RATE_QUERY, SHA_ROLLBACK, T0 } from './rollouts.js';

const render = (state: RolloutState) => renderFailureComment(buildRolloutView(state, context(T0 + 200_000)));

describe('failure comment', () => {
  const body = render(abortedAfterFailingMetric());

  it('starts with a marker naming the rollout', () => {
    expect(body.split('\n')[0]).toBe(failureMarker('api-v2-7f3a', abortedAfterFailingMetric().failure?.at));
    expect(body.split('\n')[0]).toMatch(/^<!-- opsbox:failure rollout=api-v2-7f3a at=\d+ -->$/);
  });

  it('says the canary was rolled back and why', () => {
    expect(body).toContain('### ❌ Canary `v1.5.0` of `api` rolled back');
    expect(body).toContain('**Step 2 analysis** failed at +2m36s: analysis of step 2 failed');
  });

  it('shows the failing metric’s values, condition, verdict and query', () => {
    expect(body).toContain('- `error-rate` ❌ Failed: `0.01`, `0.2`; success when `result[0] < 0.05` (failed (1) > failureLimit (0))');
    expect(body).toContain(`  query \`${ERROR_RATE_QUERY}\``);
  });

  it('links the rollback commit and the revert pull request', () => {
    expect(body).toContain(`Traffic is back on stable \`v1.4.0\` since [d4e5f60](https://github.com/acme/manifests/commit/${SHA_ROLLBACK}).`);
    expect(body).toContain('Review and merge [#124](https://github.com/acme/manifests/pull/124) to set the canary tag back to `v1.4.0`');
  });

  it('is short: no tables, charts or history', () => {
    expect(body).not.toContain('| # |');
    expect(body).not.toContain('```mermaid');
    expect(body).not.toContain('<details>');
  });

  it('says what to do when the revert pull request could not be opened', () => {
    const noRevert = render({ ...abortedAfterFailingMetric(), revert: undefined });
    expect(noRevert).toContain('The revert pull request could not be opened: set the canary tag in `apps/api/canary.yaml` back to `v1.4.0` by hand.');
  });

  it('says the canary holds when onFailure is pause', () => {
    const held: RolloutState = {
      ...abortedAfterFailingMetric(),
      phase: 'Paused',
      pauseReason: 'failure',
      weight: 10,
      commits: abortedAfterFailingMetric().commits.slice(0, 1),
      revert: undefined,
      finishedAt: undefined,
    };
    const text = render(held);
    expect(text).toContain('### ❌ Canary `v1.5.0` of `api` failed, holding at 10%');
    expect(text).toContain('`onFailure: pause` keeps the canary at 10%: comment `/abort` to roll back, or `/resume` to go on.');
    expect(text).not.toContain('Traffic is back on stable');
  });
});
