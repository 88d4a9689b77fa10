import { describe, expect, it } from '@jest/globals';
import type { RolloutState } from '../../src/rollout/types.js';
import { githubLinks } from '../../src/forge/github/links.js';
import { analysisLabel, buildRolloutView, HISTORY_LIMIT } from '../../src/report/view.js';
import {
  abortedAfterFailingMetric,
  context,
  errorRateMetric,
  measurement,
  pausedAfterInconclusive,
  progressingAtAnalysis,
  SHA_PROMOTE,
  SHA_ROLLBACK,
  SHA_WEIGHT_10,
  succeeded,
  superseded,
  T0,
} from './rollouts.js';

const NOW = T0 + 200_000;
const view = (state: RolloutState, now = NOW) => buildRolloutView(state, context(now));
const statuses = (state: RolloutState) => view(state).steps.map((row) => row.status);

describe('buildRolloutView: header', () => {
  it('names the service, the change and the phase with its emoji', () => {
    const v = view(progressingAtAnalysis());
    expect([v.service, v.from, v.to]).toEqual(['api', 'v1.4.0', 'v1.5.0']);
    expect([v.phaseEmoji, v.phaseLabel, v.weight]).toEqual(['🚦', 'Progressing', 10]);
    expect([v.stepNumber, v.totalSteps]).toEqual([2, 6]);
    expect(v.terminal).toBe(false);
    expect(v.elapsed).toBe('3m20s');
  });

  it.each([
    ['Succeeded', succeeded, '✅'],
    ['Aborted', abortedAfterFailingMetric, '❌'],
    ['Paused', pausedAfterInconclusive, '⏸️'],
    ['Superseded', superseded, '⏭️'],
  ])('labels %s with its emoji', (label, make, emoji) => {
    const v = view(make());
    expect(`${v.phaseEmoji} ${v.phaseLabel}`).toBe(`${emoji} ${label}`);
  });

  it('says why a paused rollout waits', () => {
    expect(view(pausedAfterInconclusive()).phaseDetail).toBe(
      'The analysis of step 2 was inconclusive, so the canary holds at 10%. A person decides: /promote to go on, /abort to roll back.',
    );
  });

  it('measures the running time of a finished rollout until it finished', () => {
    expect(view(succeeded(), T0 + 3_600_000).elapsed).toBe('12m50s');
  });
});

describe('buildRolloutView: steps', () => {
  it('describes each kind of step', () => {
    expect(view(progressingAtAnalysis()).steps.map((row) => row.description)).toEqual([
      'setWeight 10%',
      'analysis error-rate',
      'setWeight 50%',
      'pause 2m',
      'pause (until /promote)',
      'analysis error-rate',
    ]);
  });

  it('marks done, current and pending steps while progressing', () => {
    expect(statuses(progressingAtAnalysis())).toEqual(['done', 'current', 'pending', 'pending', 'pending', 'pending']);
  });

  it('marks every step done once promoted', () => {
    expect(statuses(succeeded())).toEqual(Array(6).fill('done'));
  });

  it('marks the step that failed and skips the rest when aborted', () => {
    expect(statuses(abortedAfterFailingMetric())).toEqual(['done', 'failed', 'skipped', 'skipped', 'skipped', 'skipped']);
  });

  it('keeps the inconclusive step current while a person decides', () => {
    const v = view(pausedAfterInconclusive());
    expect(v.steps[1]).toMatchObject({ status: 'current', note: 'inconclusive: waiting for /promote or /abort' });
  });

  it('marks the step a newer bump interrupted as stopped', () => {
    expect(statuses(superseded())).toEqual(['done', 'done', 'done', 'stopped', 'skipped', 'skipped']);
  });

  it('marks the steps /promote --full left out as skipped', () => {
    const state: RolloutState = { ...succeeded(), stepIndex: 3, commits: succeeded().commits };
    const v = view(state);
    expect(v.steps.map((row) => row.status)).toEqual(['done', 'done', 'done', 'done', 'skipped', 'skipped']);
    expect(v.steps[4].note).toBe('skipped by /promote --full');
  });

  it('times steps from the rollout start using commits and measurements', () => {
    const rows = view(succeeded()).steps;
    // weight commit at +5s plus the 30s sync delay
    expect(rows[0]).toMatchObject({ started: '+0s', finished: '+35s' });
    // ends when the next weight commit lands
    expect(rows[1]).toMatchObject({ started: '+35s', finished: '+4m20s' });
    expect(rows[2]).toMatchObject({ started: '+4m20s', finished: '+4m50s' });
    expect(rows[3]).toMatchObject({ started: '+4m50s', finished: '+6m50s' });
    // the indefinite pause ends when the next analysis measures
    expect(rows[4]).toMatchObject({ started: '+6m50s', finished: '+10m45s' });
    expect(rows[5]).toMatchObject({ started: '+10m45s', finished: '+12m45s' });
  });

  it('leaves the current step open and says what it waits for', () => {
    const state: RolloutState = { ...superseded(), phase: 'Progressing', finishedAt: undefined, supersededBy: undefined };
    const row = view(state, T0 + 320_000).steps[3];
    expect(row).toMatchObject({ status: 'current', started: '+4m50s', note: 'ends in 1m' });
    expect(row.finished).toBeUndefined();
  });

  it('links each weight step to its commit', () => {
    const rows = view(succeeded()).steps;
    expect(rows[0].commit?.url).toBe(`https://github.com/acme/manifests/commit/${SHA_WEIGHT_10}`);
    expect(rows[0].commit?.shortSha).toBe('a1b2c3d');
    expect(rows[1].commit).toBeUndefined();
  });

  it('forgets the commits of an attempt that ended in a rollback once /retry starts over', () => {
    const aborted = abortedAfterFailingMetric();
    const retried: RolloutState = {
      ...aborted,
      phase: 'Progressing',
      stepIndex: 0,
      weight: 0,
      failure: undefined,
      finishedAt: undefined,
      finishedRuns: {},
      step: { kind: 'setWeight', weight: 10 },
    };
    const v = view(retried, T0 + 400_000);
    expect(v.steps[0]).toMatchObject({ status: 'current', note: 'committing the weight' });
    expect(v.steps[0].commit).toBeUndefined();
    expect(v.rollbackCommit).toBeUndefined();
    // every commit is still listed
    expect(v.commits.map((c) => c.kind)).toEqual(['weight', 'rollback']);
  });
});

describe('buildRolloutView: commits', () => {
  it('links the promotion commit', () => {
    const v = view(succeeded());
    expect(v.promotionCommit).toMatchObject({ label: 'promotion', url: `https://github.com/acme/manifests/commit/${SHA_PROMOTE}` });
  });

  it('links the rollback commit', () => {
    const v = view(abortedAfterFailingMetric());
    expect(v.rollbackCommit).toMatchObject({ label: 'rollback', url: `https://github.com/acme/manifests/commit/${SHA_ROLLBACK}`, since: '+2m40s' });
  });

  it('builds links on a GitHub Enterprise Server URL', () => {
    const v = buildRolloutView(succeeded(), { ...context(NOW), commitUrl: (sha) => githubLinks('https://ghe.acme.internal/').commitUrl(succeeded().repo, sha) });
    expect(v.promotionCommit?.url).toBe(`https://ghe.acme.internal/acme/manifests/commit/${SHA_PROMOTE}`);
  });

  it('shows a commit that found its change already in place without a link', () => {
    const state = succeeded();
    state.commits[2] = { ...state.commits[2], sha: null };
    const v = view(state);
    expect(v.promotionCommit?.url).toBeUndefined();
    expect(v.promotionCommit?.sha).toBeUndefined();
  });
});

describe('buildRolloutView: analyses', () => {
  it('labels step and background analyses, in step order', () => {
    const v = view(succeeded());
    expect(v.analyses.map((a) => [a.key, a.label, a.templates])).toEqual([
      ['step:1', 'Step 2 analysis', ['error-rate']],
      ['step:5', 'Step 6 analysis', ['error-rate']],
      ['background', 'Background analysis', ['latency']],
    ]);
  });

  it('shows live runs as running', () => {
    const v = view(progressingAtAnalysis());
    expect(v.analyses.map((a) => [a.label, a.running, a.verdict])).toEqual([
      ['Step 2 analysis', true, '⏳ Running'],
      ['Background analysis', true, '⏳ Running'],
    ]);
  });

  it('carries query, conditions, values and verdicts of each metric', () => {
    const metric = view(abortedAfterFailingMetric()).analyses[0].metrics[0];
    expect(metric).toMatchObject({
      name: 'error-rate',
      successCondition: 'result[0] < 0.05',
      verdict: '❌ Failed',
      message: 'failed (1) > failureLimit (0)',
      lastValue: '0.2',
    });
    expect(metric.query).toContain('http_requests_total{service="api-canary",code=~"5.."}');
    expect(metric.measurements.map((m) => [m.number, m.value, m.verdict, m.since])).toEqual([
      [1, '0.01', '✅ Successful', '+1m35s'],
      [2, '0.2', '❌ Failed', '+2m35s'],
    ]);
    expect(metric.chart).toEqual({ title: 'error-rate', labels: ['+1m35s', '+2m35s'], values: ['0.01', '0.2'] });
  });

  it('uses labels for unknown keys that still say what they are', () => {
    expect(analysisLabel('step:0')).toBe('Step 1 analysis');
    expect(analysisLabel('canary-vs-baseline')).toBe('Analysis canary-vs-baseline');
  });

  it('keeps credentials out of addresses and messages', () => {
    const state = progressingAtAnalysis([
      errorRateMetric({
        address: 'https://opsbox:s3cret@prometheus.example.com/api?token=abc',
        measurements: [measurement('Error', undefined, 95, 'Get "https://opsbox:s3cret@prometheus.example.com/api/v1/query": timeout')],
      }),
    ]);
    const text = JSON.stringify(view(state));
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('token=abc');
    expect(text).toContain('https://prometheus.example.com/api');
  });

  it('keeps credentials a server echoed out of measurement messages and the failure reason', () => {
    const echoed = 'Prometheus at http://prom:9090 returned HTTP 401 Unauthorized: "got Bearer tok-live-42; Authorization: Basic dTpwNHNzd29yZA=="';
    const state = progressingAtAnalysis([errorRateMetric({ measurements: [measurement('Error', undefined, 95, echoed)] })]);
    const text = JSON.stringify(view(state));
    expect(text).not.toContain('tok-live-42');
    expect(text).not.toContain('dTpwNHNzd29yZA==');
    expect(text).toContain('got Bearer [redacted]');
  });
});

describe('buildRolloutView: failure', () => {
  it('names the failed analysis and the metrics that decided it', () => {
    const failure = view(abortedAfterFailingMetric()).failure;
    expect(failure?.analysis).toEqual({ key: 'step:1', label: 'Step 2 analysis' });
    expect(failure?.metrics.map((m) => m.name)).toEqual(['error-rate']);
    expect(failure?.since).toBe('+2m36s');
  });

  it('has no metrics for a failure that no analysis decided', () => {
    const state = abortedAfterFailingMetric();
    state.failure = { at: T0 + 150_000, reason: 'aborted by @alice' };
    expect(view(state).failure).toMatchObject({ reason: 'aborted by @alice', metrics: [] });
  });

  it('links the revert pull request', () => {
    expect(view(abortedAfterFailingMetric()).revert).toEqual({ label: '#124', url: 'https://github.com/acme/manifests/pull/124' });
  });

  it('names the rollout that superseded this one', () => {
    expect(view(superseded()).supersededBy).toBe('api-v3-91bc');
  });
});

describe('buildRolloutView: history', () => {
  it('keeps who did what and when', () => {
    const entry = view(succeeded()).history.find((row) => row.actor);
    expect(entry).toEqual({ at: T0 + 640_000, time: '2024-05-01 12:10:40 UTC', since: '+10m40s', actor: 'alice', message: '/promote: step 5 ended by hand' });
  });

  it(`keeps the last ${HISTORY_LIMIT} entries, oldest first, and counts the rest`, () => {
    const state = progressingAtAnalysis();
    state.history = Array.from({ length: 25 }, (_, i) => ({ at: T0 + i * 1000, message: `entry ${i}` }));
    const v = view(state);
    expect(v.history).toHaveLength(HISTORY_LIMIT);
    expect(v.history[0].message).toBe('entry 5');
    expect(v.history.at(-1)?.message).toBe('entry 24');
    expect(v.historyOmitted).toBe(5);
  });
});

describe('buildRolloutView: commands', () => {
  const commands = (state: RolloutState) => view(state).commands.map((c) => c.command);

  it('offers pause, promote, abort and status while progressing', () => {
    expect(commands(progressingAtAnalysis())).toEqual(['/pause', '/promote', '/promote --full', '/abort', '/status']);
  });

  it('offers resume instead of pause while paused', () => {
    expect(commands(pausedAfterInconclusive())).toEqual(['/resume', '/promote', '/promote --full', '/abort', '/status']);
  });

  it('offers retry after an abort', () => {
    expect(commands(abortedAfterFailingMetric())).toEqual(['/retry', '/status']);
  });

  it.each([
    ['succeeded', succeeded],
    ['superseded', superseded],
  ])('offers only status and help once %s', (_, make) => {
    expect(commands(make())).toEqual(['/status', '/help']);
  });

  it('says what each command would do now', () => {
    const byCommand = Object.fromEntries(view(pausedAfterInconclusive()).commands.map((c) => [c.command, c.description]));
    expect(byCommand['/resume']).toBe('accept the inconclusive analysis and go on with step 3');
    expect(byCommand['/promote --full']).toBe('skip the remaining steps and promote v1.5.0 to stable now');
    expect(byCommand['/abort']).toContain('stable v1.4.0');
  });
});
