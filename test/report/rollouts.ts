/**
 * Rollout states as the state machine leaves them at interesting moments, written out by hand,
 * with fake analysis runs that carry their snapshot so `analysisOf` is a plain lookup.
 */
import type { ServiceConfig } from '../../src/config/opsbox.schema.js';
import type { AnalysisRun, PlannedAnalysis } from '../../src/rollout/analysis-port.js';
import { newRollout } from '../../src/rollout/new-rollout.js';
import type { RolloutState } from '../../src/rollout/types.js';
import type { AnalysisSnapshot, MeasurementSnapshot, MetricSnapshot, ViewContext } from '../../src/report/view.js';
import { githubRepoRef } from '../../src/forge/github/github-forge.js';
import { githubLinks } from '../../src/forge/github/links.js';
import type { RepoRef } from '../../src/forge/forge.js';

export const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
export const SERVER_URL = 'https://github.com';
export const SHA_WEIGHT_10 = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
export const SHA_WEIGHT_50 = 'b2c3d4e5f60718293a4b5c6d7e8f901234567890';
export const SHA_PROMOTE = 'c3d4e5f60718293a4b5c6d7e8f90123456789012';
export const SHA_ROLLBACK = 'd4e5f60718293a4b5c6d7e8f9012345678901234';

export const ERROR_RATE_QUERY =
  'sum(rate(http_requests_total{service="api-canary",code=~"5.."}[1m])) / sum(rate(http_requests_total{service="api-canary"}[1m]))';
export const LATENCY_QUERY = 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="api-canary"}[1m])))';

const at = (seconds: number) => T0 + seconds * 1000;

export const serviceConfig: ServiceConfig = {
  image: 'ghcr.io/acme/api',
  canary: { file: 'apps/api/canary.yaml' },
  stable: { file: 'apps/api/stable.yaml' },
  traffic: { provider: 'istio', file: 'apps/api/virtualservice.yaml', stable: 'api-stable', canary: 'api-canary' },
  steps: [
    { setWeight: 10 },
    { analysis: { templates: [{ templateName: 'error-rate' }], args: [{ name: 'service', value: 'api' }] } },
    { setWeight: 50 },
    { pause: { duration: '2m' } },
    { pause: {} },
    { analysis: { templates: [{ templateName: 'error-rate' }], args: [{ name: 'service', value: 'api' }] } },
  ],
  analysis: { templates: [{ templateName: 'latency' }], args: [{ name: 'service', value: 'api' }] },
  onFailure: 'rollback',
  sync: { delay: '30s', timeout: '10m' },
};

/** A fake engine run: it only carries the snapshot the report should show. */
export function fakeRun(snapshot: AnalysisSnapshot): AnalysisRun {
  return { snapshot } as unknown as AnalysisRun;
}

export const context = (now: number): ViewContext => ({
  commitUrl: (sha) => githubLinks(SERVER_URL).commitUrl({ owner: 'acme', repo: 'manifests' } as RepoRef, sha),
  now,
  analysisOf: (run) => (run as unknown as { snapshot: AnalysisSnapshot }).snapshot,
});

export function measurement(phase: MeasurementSnapshot['phase'], value: string | undefined, second: number, message?: string): MeasurementSnapshot {
  const m: MeasurementSnapshot = { phase, startedAt: at(second) - 200, finishedAt: at(second) };
  if (value !== undefined) m.value = value;
  if (message) m.message = message;
  return m;
}

export function errorRateMetric(overrides: Partial<MetricSnapshot> = {}): MetricSnapshot {
  return {
    name: 'error-rate',
    query: ERROR_RATE_QUERY,
    address: 'http://prometheus.monitoring:9090',
    successCondition: 'result[0] < 0.05',
    phase: 'Running',
    dryRun: false,
    count: 3,
    interval: '1m',
    measurements: [],
    ...overrides,
  };
}

export function latencyMetric(overrides: Partial<MetricSnapshot> = {}): MetricSnapshot {
  return {
    name: 'latency-p99',
    query: LATENCY_QUERY,
    successCondition: 'result[0] <= 0.5',
    failureCondition: 'result[0] > 1',
    phase: 'Running',
    dryRun: false,
    interval: '1m',
    measurements: [],
    ...overrides,
  };
}

function planned(key: string, template: string): PlannedAnalysis {
  return { key, templates: [template], args: [{ name: 'service', value: 'api' }], metrics: [] };
}

function base(): RolloutState {
  const state = newRollout({
    id: 'api-v2-7f3a',
    repo: githubRepoRef({ installationId: 42, owner: 'acme', repo: 'manifests', defaultBranch: 'main' }),
    service: 'api',
    serviceConfig,
    from: 'v1.4.0',
    to: 'v1.5.0',
    source: {
      number: 123,
      title: 'chore(deps): update ghcr.io/acme/api to v1.5.0',
      url: 'https://github.com/acme/manifests/pull/123',
      mergeSha: '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432',
      author: 'renovate[bot]',
    },
    analyses: {
      'step:1': planned('step:1', 'error-rate'),
      'step:5': planned('step:5', 'error-rate'),
      background: planned('background', 'latency'),
    },
    templatePaths: ['analysis/'],
  }, T0);
  return { ...state, history: [{ at: T0, message: 'rollout v1.4.0 → v1.5.0 started' }] };
}

const STEP_2_METRICS = (): MetricSnapshot[] => [
  errorRateMetric({ measurements: [measurement('Successful', '0.01', 95), measurement('Successful', '[0.012,0.02]', 155)] }),
];

/** Step 2's analysis is measuring `stepMetrics` at 10%; background latency runs beside it. */
export function progressingAtAnalysis(stepMetrics: MetricSnapshot[] = STEP_2_METRICS()): RolloutState {
  return {
    ...base(),
    phase: 'Progressing',
    stepIndex: 1,
    weight: 10,
    updatedAt: at(150),
    step: {
      kind: 'analysis',
      run: fakeRun({ phase: 'Running', metrics: stepMetrics }),
    },
    background: fakeRun({
      phase: 'Running',
      metrics: [latencyMetric({ measurements: [measurement('Successful', '0.21', 60), measurement('Successful', '0.34', 120)] })],
    }),
    commits: [{ kind: 'weight', weight: 10, step: 0, sha: SHA_WEIGHT_10, at: at(5) }],
    history: [
      { at: T0, message: 'rollout v1.4.0 → v1.5.0 started' },
      { at: at(5), message: 'committed weight 10% (a1b2c3d)' },
      { at: at(5), message: 'background analysis started' },
    ],
  };
}

function succeededErrorRate(first: number): AnalysisSnapshot {
  return {
    phase: 'Successful',
    metrics: [
      errorRateMetric({
        phase: 'Successful',
        measurements: [measurement('Successful', '0.01', first), measurement('Successful', '0.02', first + 60), measurement('Successful', '0.015', first + 120)],
      }),
    ],
  };
}

/** Every step ran (a human ended the indefinite pause) and the promotion commit landed. */
export function succeeded(): RolloutState {
  return {
    ...base(),
    phase: 'Succeeded',
    stepIndex: 6,
    weight: 0,
    updatedAt: at(770),
    finishedAt: at(770),
    finishedRuns: {
      'step:1': fakeRun(succeededErrorRate(95)),
      'step:5': fakeRun(succeededErrorRate(645)),
      background: fakeRun({
        phase: 'Successful',
        metrics: [latencyMetric({ phase: 'Successful', measurements: [measurement('Successful', '0.2', 60), measurement('Successful', '0.3', 600)] })],
      }),
    },
    commits: [
      { kind: 'weight', weight: 10, step: 0, sha: SHA_WEIGHT_10, at: at(5) },
      { kind: 'weight', weight: 50, step: 2, sha: SHA_WEIGHT_50, at: at(260) },
      { kind: 'promote', weight: 0, step: null, sha: SHA_PROMOTE, at: at(770) },
    ],
    history: [
      { at: T0, message: 'rollout v1.4.0 → v1.5.0 started' },
      { at: at(5), message: 'committed weight 10% (a1b2c3d)' },
      { at: at(250), message: 'analysis of step 2 succeeded' },
      { at: at(260), message: 'committed weight 50% (b2c3d4e)' },
      { at: at(410), message: 'pause of step 4 ended' },
      { at: at(410), message: 'paused at step 5: waiting for /promote or /resume' },
      { at: at(640), message: '/promote: step 5 ended by hand', actor: 'alice' },
      { at: at(765), message: 'analysis of step 6 succeeded' },
      { at: at(770), message: 'committed promotion (c3d4e5f)' },
      { at: at(770), message: 'promoted v1.5.0 to stable' },
    ],
  };
}

export const FAILURE_REASON = 'analysis of step 2 failed: metric "error-rate" assessed Failed due to failed (1) > failureLimit (0)';

/** Step 2's analysis measured 0.01 then 0.2 against `< 0.05`; rolled back, revert PR opened. */
export function abortedAfterFailingMetric(): RolloutState {
  const failed = fakeRun({
    phase: 'Failed',
    message: 'metric "error-rate" assessed Failed due to failed (1) > failureLimit (0)',
    metrics: [
      errorRateMetric({
        phase: 'Failed',
        message: 'failed (1) > failureLimit (0)',
        measurements: [measurement('Successful', '0.01', 95), measurement('Failed', '0.2', 155)],
      }),
    ],
  });
  return {
    ...base(),
    phase: 'Aborted',
    stepIndex: 1,
    weight: 0,
    updatedAt: at(170),
    finishedAt: at(170),
    finishedRuns: {
      'step:1': failed,
      background: fakeRun({
        phase: 'Successful',
        metrics: [latencyMetric({ phase: 'Successful', measurements: [measurement('Successful', '0.22', 60), measurement('Successful', '0.25', 120)] })],
      }),
    },
    failure: { at: at(156), reason: FAILURE_REASON, analysis: 'step:1' },
    commits: [
      { kind: 'weight', weight: 10, step: 0, sha: SHA_WEIGHT_10, at: at(5) },
      { kind: 'rollback', weight: 0, step: null, sha: SHA_ROLLBACK, at: at(160) },
    ],
    revert: { branch: 'opsbox/revert/api-v1.5.0', url: 'https://github.com/acme/manifests/pull/124', label: '#124', thread: { number: 124 }, native: { number: 124 } },
    history: [
      { at: T0, message: 'rollout v1.4.0 → v1.5.0 started' },
      { at: at(5), message: 'committed weight 10% (a1b2c3d)' },
      { at: at(156), message: `failed: ${FAILURE_REASON}` },
      { at: at(160), message: 'committed rollback to weight 0% (d4e5f60)' },
      { at: at(170), message: 'revert pull request #124 opened' },
    ],
  };
}

/** Step 2's analysis was inconclusive (neither condition held); the canary holds at 10%. */
export function pausedAfterInconclusive(): RolloutState {
  const inconclusive = fakeRun({
    phase: 'Inconclusive',
    message: 'metric "error-rate" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)',
    metrics: [
      errorRateMetric({
        phase: 'Inconclusive',
        message: 'inconclusive (1) > inconclusiveLimit (0)',
        failureCondition: 'result[0] > 0.1',
        count: 1,
        interval: undefined,
        measurements: [measurement('Inconclusive', '0.07', 95)],
      }),
    ],
  });
  return {
    ...base(),
    phase: 'Paused',
    pauseReason: 'inconclusive',
    stepIndex: 1,
    weight: 10,
    updatedAt: at(96),
    step: { kind: 'analysis', run: inconclusive },
    finishedRuns: { 'step:1': inconclusive },
    commits: [{ kind: 'weight', weight: 10, step: 0, sha: SHA_WEIGHT_10, at: at(5) }],
    history: [
      { at: T0, message: 'rollout v1.4.0 → v1.5.0 started' },
      { at: at(5), message: 'committed weight 10% (a1b2c3d)' },
      { at: at(96), message: 'analysis of step 2 was inconclusive: holding at 10%, waiting for /promote or /abort' },
    ],
  };
}

/** A newer bump arrived during the 2m pause of step 4. */
export function superseded(): RolloutState {
  return {
    ...base(),
    phase: 'Superseded',
    stepIndex: 3,
    weight: 50,
    supersededBy: 'api-v3-91bc',
    updatedAt: at(300),
    finishedAt: at(300),
    step: { kind: 'pause', until: at(380) },
    finishedRuns: { 'step:1': fakeRun(succeededErrorRate(95)) },
    commits: [
      { kind: 'weight', weight: 10, step: 0, sha: SHA_WEIGHT_10, at: at(5) },
      { kind: 'weight', weight: 50, step: 2, sha: SHA_WEIGHT_50, at: at(260) },
    ],
    history: [
      { at: T0, message: 'rollout v1.4.0 → v1.5.0 started' },
      { at: at(300), message: 'superseded by v1.6.0 from #130' },
    ],
  };
}
