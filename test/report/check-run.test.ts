import { describe, expect, it } from '@jest/globals';
import type { RolloutState } from '../../src/rollout/types.js';
import { renderCheckRun } from '../../src/report/render.js';
import { buildRolloutView } from '../../src/report/view.js';
import { mermaidCharts, promqlBlocks, tableRows } from './markdown-checks.js';
import {
  abortedAfterFailingMetric,
  context,
  ERROR_RATE_QUERY,
  pausedAfterInconclusive,
  progressingAtAnalysis,
  succeeded,
  superseded,
  T0,
} from './rollouts.js';

const checkRun = (state: RolloutState) => renderCheckRun(buildRolloutView(state, context(T0 + 200_000)));

describe('check run status and conclusion', () => {
  it.each([
    ['progressing', progressingAtAnalysis, 'in_progress', undefined],
    ['paused for a person', pausedAfterInconclusive, 'in_progress', undefined],
    ['succeeded', succeeded, 'completed', 'success'],
    ['aborted', abortedAfterFailingMetric, 'completed', 'failure'],
    ['superseded', superseded, 'completed', 'neutral'],
  ])('is %s → %s, %s', (_, make, status, conclusion) => {
    const output = checkRun(make());
    expect(output.status).toBe(status);
    expect(output.conclusion).toBe(conclusion);
  });

  it('is queued until the first change is committed', () => {
    const starting: RolloutState = { ...progressingAtAnalysis(), stepIndex: 0, step: { kind: 'setWeight', weight: 10 }, commits: [], weight: 0 };
    expect(checkRun(starting)).toMatchObject({ status: 'queued' });
    expect(checkRun(starting).conclusion).toBeUndefined();
  });

  it('has no conclusion while promoting or rolling back', () => {
    expect(checkRun({ ...progressingAtAnalysis(), phase: 'Promoting' }).conclusion).toBeUndefined();
    expect(checkRun({ ...abortedAfterFailingMetric(), phase: 'Aborting', finishedAt: undefined }).status).toBe('in_progress');
  });
});

describe('check run title', () => {
  it.each([
    ['progressing', progressingAtAnalysis, 'api v1.4.0 → v1.5.0: 10% at step 2 of 6'],
    ['paused', pausedAfterInconclusive, 'api v1.4.0 → v1.5.0: paused at 10%, waiting for a decision'],
    ['succeeded', succeeded, 'api v1.4.0 → v1.5.0: promoted'],
    ['aborted', abortedAfterFailingMetric, 'api v1.4.0 → v1.5.0: rolled back to v1.4.0'],
    ['superseded', superseded, 'api v1.4.0 → v1.5.0: superseded'],
  ])('says what happened when %s', (_, make, title) => {
    expect(checkRun(make()).title).toBe(title);
  });
});

describe('check run summary and text', () => {
  it('summarises phase, weight, steps and analyses', () => {
    const { summary } = checkRun(progressingAtAnalysis());
    expect(summary).toContain('**🚦 Progressing** · `v1.4.0` → `v1.5.0` · canary weight **10%** · step 2 of 6');
    expect(tableRows(summary, '#').slice(1).map((row) => row[2])).toEqual([
      '✅ done',
      '▶️ current · measuring',
      '⬜ pending',
      '⬜ pending',
      '⬜ pending',
      '⬜ pending',
    ]);
    expect(summary).toContain('- Step 2 analysis: ⏳ Running (`error-rate` ⏳ Running at `[0.012,0.02]`)');
    expect(summary).toContain('Source: [#123](https://github.com/acme/manifests/pull/123)');
    expect(summary).not.toContain('<!-- opsbox:status');
  });

  it('puts queries, charts, commits and commands in the text', () => {
    const { text } = checkRun(progressingAtAnalysis());
    expect(promqlBlocks(text ?? '')[0]).toBe(ERROR_RATE_QUERY);
    expect(mermaidCharts(text ?? '').map((chart) => chart.title)).toEqual(['error-rate', 'latency-p99']);
    expect(text).toContain('## Commits');
    expect(tableRows(text ?? '', 'Command').slice(1).map((row) => row[0])).toContain('`/pause`');
  });

  it('leaves commands out once the rollout is over', () => {
    expect(checkRun(succeeded()).text).not.toContain('## Commands');
  });

  it('shows the failure with its evidence in the summary', () => {
    const { summary } = checkRun(abortedAfterFailingMetric());
    // a plain quote: alert syntax is for comments
    expect(summary).toContain('> ❌ **Step 2 analysis failed** at +2m36s');
    expect(summary).not.toContain('[!CAUTION]');
    expect(summary).toContain('`error-rate` ❌ Failed, last value `0.2`, success when `result[0] < 0.05`');
  });
});
