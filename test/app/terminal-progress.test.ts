import { describe, expect, it } from '@jest/globals';
import { createRun, recordMeasurements } from '../../src/analysis/run.js';
import { ProgressView } from '../../src/app/terminal-progress.js';
import { parseConfigOrThrow } from '../../src/config/load.js';
import { newRollout } from '../../src/rollout/new-rollout.js';
import type { RolloutState } from '../../src/rollout/types.js';

const config = parseConfigOrThrow(`services:
  shop:
    image: registry.example/shop
    canary: { file: canary.yaml }
    stable: { file: stable.yaml }
    traffic: { provider: istio, file: vs.yaml, name: shop, stable: shop-stable, canary: shop-canary }
    steps:
      - setWeight: 10
      - pause: { duration: 10s }
      - analysis: { templates: [{ templateName: error-rate }] }
`);

const T0 = 1_700_000_000_000;

function rollout(): RolloutState {
  return newRollout(
    {
      id: 'git:r@abc/shop',
      repo: { forge: 'git', key: '/srv/r.git', owner: 'git', repo: 'r', defaultBranch: 'main' },
      service: 'shop',
      serviceConfig: config.services.shop,
      from: '1.4.0',
      to: '1.5.0',
      source: { number: 0, title: 'chore(deps): update shop to 1.5.0', url: '', mergeSha: 'abc' },
      analyses: {},
      templatePaths: [],
    },
    T0,
  );
}

function view(tty: boolean, now = { t: T0 }) {
  let text = '';
  const progress = new ProgressView({ out: { write: (t: string) => (text += t) }, tty, clock: () => now.t, barWidth: 10 });
  return { progress, now, text: () => text };
}

const metric = { name: 'error-rate', prometheus: { query: 'q' }, successCondition: 'result[0] < 0.05', failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 4, consecutiveSuccessLimit: 0, dryRun: false, measurementRetention: 10 };

describe('ProgressView', () => {
  it('prints the start, each step, each commit and each measurement with value, condition and verdict', () => {
    const { progress, text } = view(false);
    const created = rollout();
    const started: RolloutState = { ...created, step: { kind: 'setWeight', weight: 10 } };
    progress.transition(created, { type: 'start' }, started);
    const committed: RolloutState = { ...started, weight: 10, commits: [{ kind: 'weight', weight: 10, step: 0, sha: '1234567890', at: T0 }], step: { kind: 'setWeight', weight: 10, sha: '1234567890', appliedAt: T0 + 1000 } };
    progress.transition(started, { type: 'effectDone', effectId: 1, result: { type: 'commit', sha: '1234567890' } }, committed);
    const run = createRun([metric as never], { startedAt: T0 });
    const analysing: RolloutState = { ...committed, stepIndex: 2, step: { kind: 'analysis', run } };
    progress.transition(committed, { type: 'tick' }, analysing);
    const measured = recordMeasurements(run, [{ metric: 'error-rate', outcome: { value: [0.0051], startedAt: T0, finishedAt: T0 } }]);
    const finished: RolloutState = { ...analysing, step: undefined, stepIndex: 3, finishedRuns: { 'step:2': measured }, phase: 'Promoting' };
    progress.transition(analysing, { type: 'effectDone', effectId: 2, result: { type: 'measure', measurements: [] } }, finished);
    expect(text()).toBe(
      [
        '▶ shop: canary 1.4.0 → 1.5.0 (chore(deps): update shop to 1.5.0)',
        '  steps: 10% → pause 10s → analysis (error-rate)',
        'step 1/3 10%',
        '  ✎ committed weight 10% (1234567)',
        '  … sync 10% 1s',
        'step 3/3 analysis (error-rate)',
        '  • error-rate = [0.0051]   result[0] < 0.05   ✔ Successful',
        '  analysis ✔ Successful',
        'promoting 1.5.0 to stable',
        '',
      ].join('\n'),
    );
  });

  it('draws a bar for a pause on a terminal and clears it for the next line', () => {
    const { progress, now, text } = view(true);
    const before: RolloutState = { ...rollout(), stepIndex: 0, weight: 10 };
    const pausing: RolloutState = { ...before, stepIndex: 1, step: { kind: 'pause', until: T0 + 10_000 } };
    progress.transition(before, { type: 'tick' }, pausing);
    now.t = T0 + 5_000;
    progress.refresh();
    expect(text()).toContain('\r\x1b[2K  pause 2 [█████░░░░░] 5s left');
    now.t = T0 + 10_000;
    progress.refresh();
    expect(text().endsWith('\r\x1b[2K')).toBe(true);
  });

  it('prints a pause as one line when not on a terminal, and a failure and rollback in words', () => {
    const { progress, text } = view(false);
    const before: RolloutState = { ...rollout(), weight: 10 };
    const pausing: RolloutState = { ...before, stepIndex: 1, step: { kind: 'pause', until: T0 + 10_000 } };
    progress.transition(before, { type: 'tick' }, pausing);
    progress.refresh();
    const aborting: RolloutState = { ...pausing, phase: 'Aborting', failure: { at: T0, reason: 'aborted by alice' } };
    progress.transition(pausing, { type: 'command', command: { name: 'abort' }, actor: 'alice' }, aborting);
    expect(text()).toBe(['step 2/3 pause 10s', '  … pause 2 10s', '  ⌁ abort by alice', '✖ canary failed: aborted by alice; rolling back', ''].join('\n'));
  });

  it('shows the measurement that ended a step before the line of the next step', () => {
    const { progress, text } = view(false);
    const run = createRun([metric as never], { startedAt: T0 });
    const analysing: RolloutState = { ...rollout(), weight: 10, stepIndex: 2, step: { kind: 'analysis', run } };
    const measured = recordMeasurements(run, [{ metric: 'error-rate', outcome: { value: [0.2], startedAt: T0, finishedAt: T0 } }]);
    const next: RolloutState = { ...analysing, stepIndex: 1, step: { kind: 'pause', until: T0 + 10_000 }, finishedRuns: { 'step:2': measured } };
    progress.transition(analysing, { type: 'effectDone', effectId: 3, result: { type: 'measure', measurements: [] } }, next);
    expect(text().split('\n').slice(0, 3)).toEqual(['  • error-rate = [0.2]   result[0] < 0.05   ✖ Failed', '  analysis ✖ Failed (Metric "error-rate" assessed Failed due to failed (1) > failureLimit (0))', 'step 2/3 pause 10s']);
  });
});
