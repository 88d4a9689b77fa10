import { describe, it, expect } from '@jest/globals';
import { RunStateError } from '../../src/analysis/errors.js';
import {
  assessRun,
  createRun,
  dueMetrics,
  ERROR_RETRY_INTERVAL_MS,
  metricResult,
  nextWakeAt,
  recordMeasurement,
  recordMeasurements,
  terminate,
  type RunState,
} from '../../src/analysis/run.js';
import type { MeasuredValue, PrometheusMetric, ResolvedMetric } from '../../src/analysis/types.js';
import { makeMetric } from './support.js';

const START = Date.parse('2025-01-01T00:00:00Z');
const at = (seconds: number) => START + seconds * 1000;

function value(state: RunState, metric: string, measured: MeasuredValue, seconds: number): RunState {
  return recordMeasurement(state, metric, { value: measured, startedAt: at(seconds), finishedAt: at(seconds) });
}

function error(state: RunState, metric: string, message: string, seconds: number): RunState {
  return recordMeasurement(state, metric, { error: message, startedAt: at(seconds), finishedAt: at(seconds) });
}

function run(...metrics: ResolvedMetric[]): RunState {
  return createRun(metrics, { startedAt: START });
}

const result = (state: RunState, name = 'error-rate') => metricResult(state, name)!;
const lastMeasurement = (state: RunState, name = 'error-rate') => result(state, name).measurements.at(-1)!;

describe('measurement verdicts', () => {
  const verdict = (conditions: Partial<PrometheusMetric>, measured: MeasuredValue) => lastMeasurement(value(run(makeMetric(conditions)), 'error-rate', measured, 0));

  it('no condition → Successful', () => {
    expect(verdict({}, [0.5]).phase).toBe('Successful');
  });

  it('successCondition true → Successful, false (alone) → Failed', () => {
    expect(verdict({ successCondition: 'result[0] < 0.05' }, [0.01]).phase).toBe('Successful');
    expect(verdict({ successCondition: 'result[0] < 0.05' }, [0.2]).phase).toBe('Failed');
  });

  it('failureCondition true → Failed, false (alone) → Successful', () => {
    expect(verdict({ failureCondition: 'result[0] > 0.1' }, [0.2]).phase).toBe('Failed');
    expect(verdict({ failureCondition: 'result[0] > 0.1' }, [0.01]).phase).toBe('Successful');
  });

  it('both set and neither true → Inconclusive', () => {
    expect(verdict({ successCondition: 'result[0] < 0.05', failureCondition: 'result[0] > 0.1' }, [0.07]).phase).toBe('Inconclusive');
  });

  it('failure beats success when both are true', () => {
    expect(verdict({ successCondition: 'result[0] >= 0', failureCondition: 'result[0] > 0.1' }, [0.2]).phase).toBe('Failed');
  });

  it('result[0] on an empty result → Error saying no data', () => {
    const measurement = verdict({ successCondition: 'result[0] < 0.05' }, []);
    expect(measurement.phase).toBe('Error');
    expect(measurement.value).toBe('[]');
    expect(measurement.message).toContain('successCondition "result[0] < 0.05"');
    expect(measurement.message).toContain('no data returned');
  });

  it('an empty result that would pass without testing emptiness → Error "no data" (all() is true on [])', () => {
    for (const conditions of [
      { successCondition: 'all(result, # < 0.05)' },
      { failureCondition: 'any(result, {# > 0.05})' },
      { successCondition: 'all(result, # < 0.05)', failureCondition: 'any(result, # > 0.1)' },
      {},
    ]) {
      const measurement = verdict(conditions, []);
      expect({ conditions, phase: measurement.phase }).toEqual({ conditions, phase: 'Error' });
      expect(measurement.value).toBe('[]');
      expect(measurement.message).toContain('no data: the query returned no series');
      expect(measurement.message).toContain('opsbox.dev/empty-result: evaluate');
    }
    // With data, the same conditions judge as written.
    expect(verdict({ successCondition: 'all(result, # < 0.05)' }, [0.01, 0.02]).phase).toBe('Successful');
  });

  it('a condition that tests len(result) judges an empty result as written', () => {
    expect(verdict({ successCondition: 'len(result) == 0 || all(result, # < 0.05)' }, []).phase).toBe('Successful');
    expect(verdict({ successCondition: 'len(result) > 0 && all(result, # < 0.05)' }, []).phase).toBe('Failed');
    expect(verdict({ successCondition: 'all(result, # < 0.05)', failureCondition: 'len(result) == 0' }, []).phase).toBe('Failed');
  });

  it('an empty result that would fail is a failure, not no data', () => {
    expect(verdict({ successCondition: 'any(result, # < 0.05)' }, []).phase).toBe('Failed');
  });

  it('emptyResult: evaluate restores Argo\'s verdict on an empty result', () => {
    expect(verdict({ successCondition: 'all(result, # < 0.05)', emptyResult: 'evaluate' }, []).phase).toBe('Successful');
  });

  it('no data counts against consecutiveErrorLimit and is retried', () => {
    let state = run(makeMetric({ successCondition: 'all(result, # < 0.05)', consecutiveErrorLimit: 1, interval: '1m', intervalMs: 60_000, count: 3 }));
    state = value(state, 'error-rate', [], 0);
    expect(result(state)).toMatchObject({ phase: 'Running', error: 1, consecutiveError: 1, count: 0 });
    expect(nextWakeAt(state)?.getTime()).toBe(at(0) + ERROR_RETRY_INTERVAL_MS);
    state = value(state, 'error-rate', [], 10);
    expect(assessRun(state)).toMatchObject({ phase: 'Error', message: expect.stringContaining('consecutiveErrors (2) > consecutiveErrorLimit (1)') });
  });

  it('NaN with result >= 0.9 → Failed', () => {
    const measurement = verdict({ successCondition: 'result >= 0.9' }, Number.NaN);
    expect(measurement.phase).toBe('Failed');
    expect(measurement.value).toBe('NaN');
  });

  it('a condition that is not boolean or uses an unknown name → Error naming the condition', () => {
    expect(verdict({ successCondition: 'result' }, [1]).message).toMatch(/^successCondition "result": expected bool/);
    expect(verdict({ failureCondition: 'latency > 1' }, [1]).message).toMatch(/^failureCondition "latency > 1": unknown name latency/);
  });

  it('keeps the value formatted like Argo and the times as ISO strings', () => {
    const measurement = verdict({}, [10, 11]);
    expect(measurement).toEqual({ phase: 'Successful', value: '[10,11]', startedAt: '2025-01-01T00:00:00.000Z', finishedAt: '2025-01-01T00:00:00.000Z' });
  });
});

describe('metric phase and limits', () => {
  it('fails when failed > failureLimit, with Argo\'s message', () => {
    let state = run(makeMetric({ successCondition: 'result < 1', interval: '1m', intervalMs: 60_000, count: 3 }));
    state = value(state, 'error-rate', 5, 0);
    expect(result(state)).toMatchObject({ phase: 'Failed', message: 'failed (1) > failureLimit (0)' });
    expect(assessRun(state)).toEqual({ phase: 'Failed', message: 'Metric "error-rate" assessed Failed due to failed (1) > failureLimit (0)', completed: true });
    expect(state.completedAt).toBe('2025-01-01T00:00:00.000Z');
  });

  it('tolerates failures up to failureLimit, and -1 disables the limit', () => {
    const metric = makeMetric({ successCondition: 'result < 1', interval: '1m', intervalMs: 60_000, count: 3, failureLimit: 1 });
    let state = value(value(run(metric), 'error-rate', 5, 0), 'error-rate', 0, 60);
    expect(result(state).phase).toBe('Running');
    state = value(state, 'error-rate', 5, 120);
    expect(result(state).message).toBe('failed (2) > failureLimit (1)');

    let disabled = run({ ...metric, failureLimit: -1 });
    for (let i = 0; i < 3; i++) disabled = value(disabled, 'error-rate', 5, i * 60);
    expect(result(disabled)).toMatchObject({ phase: 'Successful', failed: 3, message: 'count (3) reached' });
  });

  it('inconclusive > inconclusiveLimit → Inconclusive', () => {
    const metric = makeMetric({ successCondition: 'result < 1', failureCondition: 'result > 2', interval: '1m', intervalMs: 60_000, count: 5, inconclusiveLimit: 1 });
    let state = value(run(metric), 'error-rate', 1.5, 0);
    expect(result(state).phase).toBe('Running');
    state = value(state, 'error-rate', 1.5, 60);
    expect(result(state)).toMatchObject({ phase: 'Inconclusive', message: 'inconclusive (2) > inconclusiveLimit (1)' });
    expect(assessRun(state).phase).toBe('Inconclusive');
  });

  it('consecutiveErrors > consecutiveErrorLimit → Error, with the last error in the run message', () => {
    let state = run(makeMetric({ successCondition: 'result[0] < 1' }));
    for (let i = 0; i < 5; i++) state = error(state, 'error-rate', 'cannot connect to Prometheus at http://prom:9090: connection refused (ECONNREFUSED)', i * 10);
    expect(result(state)).toMatchObject({ phase: 'Error', error: 5, consecutiveError: 5, count: 0, message: 'consecutiveErrors (5) > consecutiveErrorLimit (4)' });
    expect(assessRun(state).message).toBe(
      'Metric "error-rate" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): "Error Message: cannot connect to Prometheus at http://prom:9090: connection refused (ECONNREFUSED)"',
    );
  });

  it('a good measurement resets the consecutive errors', () => {
    let state = run(makeMetric({ interval: '10s', intervalMs: 10_000, count: 10 }));
    for (let i = 0; i < 4; i++) state = error(state, 'error-rate', 'down', i * 10);
    state = value(state, 'error-rate', 1, 40);
    for (let i = 5; i < 9; i++) state = error(state, 'error-rate', 'down', i * 10);
    expect(result(state)).toMatchObject({ phase: 'Running', consecutiveError: 4, error: 8 });
  });

  it('count reached → Successful; errors do not count toward count', () => {
    let state = run(makeMetric({ successCondition: 'result < 1', interval: '1m', intervalMs: 60_000, count: 2 }));
    state = value(state, 'error-rate', 0, 0);
    state = error(state, 'error-rate', 'timeout', 60);
    expect(result(state)).toMatchObject({ phase: 'Running', count: 1, error: 1 });
    state = value(state, 'error-rate', 0, 70);
    expect(result(state)).toMatchObject({ phase: 'Successful', count: 2, message: 'count (2) reached' });
    expect(assessRun(state)).toEqual({ phase: 'Successful', completed: true });
  });

  it('a metric without count or interval is measured once', () => {
    const state = value(run(makeMetric()), 'error-rate', 1, 0);
    expect(result(state).phase).toBe('Successful');
    expect(dueMetrics(state, at(3600))).toEqual([]);
  });

  it('consecutiveSuccessLimit reached → Successful before count', () => {
    const metric = makeMetric({ successCondition: 'result < 1', interval: '1m', intervalMs: 60_000, count: 10, failureLimit: 3, consecutiveSuccessLimit: 2 });
    let state = value(run(metric), 'error-rate', 0, 0);
    state = value(state, 'error-rate', 5, 60);
    state = value(state, 'error-rate', 0, 120);
    expect(result(state)).toMatchObject({ phase: 'Running', consecutiveSuccess: 1 });
    state = value(state, 'error-rate', 0, 180);
    expect(result(state)).toMatchObject({ phase: 'Successful', message: 'consecutiveSuccess (2) >= consecutiveSuccessLimit (2)' });
  });

  it('count reached without the consecutive successes: Inconclusive with a failure limit, Failed without', () => {
    const metric = makeMetric({ successCondition: 'result < 1', interval: '1m', intervalMs: 60_000, count: 3, failureLimit: 1, consecutiveSuccessLimit: 2 });
    let state = value(value(value(run(metric), 'error-rate', 0, 0), 'error-rate', 5, 60), 'error-rate', 0, 120);
    expect(result(state)).toMatchObject({
      phase: 'Inconclusive',
      message: 'count (3) reached with failed (1) <= failureLimit (1) and consecutiveSuccess (1) < consecutiveSuccessLimit (2)',
    });

    let noFailureLimit = run({ ...metric, failureLimit: -1 });
    noFailureLimit = value(value(value(noFailureLimit, 'error-rate', 0, 0), 'error-rate', 5, 60), 'error-rate', 0, 120);
    expect(result(noFailureLimit)).toMatchObject({ phase: 'Failed', message: 'count (3) reached with consecutiveSuccess (1) < consecutiveSuccessLimit (2)' });
  });

  it('an error ends a streak of successes', () => {
    const metric = makeMetric({ interval: '1m', intervalMs: 60_000, count: 10, consecutiveSuccessLimit: 2 });
    const state = value(error(value(run(metric), 'error-rate', 0, 0), 'error-rate', 'timeout', 60), 'error-rate', 0, 70);
    expect(result(state)).toMatchObject({ phase: 'Running', consecutiveSuccess: 1 });
  });
});

describe('run phase', () => {
  const metricA = makeMetric({ name: 'a', successCondition: 'result < 1' });
  const metricB = makeMetric({ name: 'b', successCondition: 'result < 1', interval: '1m', intervalMs: 60_000, count: 3 });

  it('stays Running until every metric has finished, then takes the worst phase', () => {
    let state = run(metricA, metricB);
    expect(assessRun(state)).toEqual({ phase: 'Running', completed: false });
    state = value(state, 'a', 0, 0);
    expect(assessRun(state).phase).toBe('Running');
    state = value(value(value(state, 'b', 0, 0), 'b', 0, 60), 'b', 0, 120);
    expect(assessRun(state).phase).toBe('Successful');
  });

  it('one failed metric ends the run at once and stops the others', () => {
    let state = run(metricA, metricB);
    state = value(state, 'b', 0, 0);
    state = value(state, 'a', 5, 0);
    expect(assessRun(state).phase).toBe('Failed');
    expect(result(state, 'b')).toMatchObject({ phase: 'Successful', message: 'run terminated' });
    expect(dueMetrics(state, at(600))).toEqual([]);
    expect(nextWakeAt(state)).toBeNull();
  });

  it('worst wins: Failed > Error > Inconclusive > Successful', () => {
    const e = makeMetric({ name: 'e', consecutiveErrorLimit: 0, interval: '1m', intervalMs: 60_000, count: 2 });
    const i = makeMetric({ name: 'i', successCondition: 'result < 1', failureCondition: 'result > 2', interval: '1m', intervalMs: 60_000, count: 2 });
    let state = run(e, i);
    state = value(state, 'i', 1.5, 0);
    expect(assessRun(state).phase).toBe('Inconclusive');

    let both = run(e, makeMetric({ name: 'f', successCondition: 'result < 1' }));
    both = recordMeasurement(both, 'f', { value: 5, startedAt: at(0), finishedAt: at(0) });
    both = recordMeasurement(both, 'e', { error: 'down', startedAt: at(0), finishedAt: at(0) });
    expect(assessRun(both).phase).toBe('Failed');
    expect(result(both, 'e').phase).toBe('Successful');
  });

  it('dry-run metrics are judged and shown but never decide the run', () => {
    const dry = makeMetric({ name: 'dry', successCondition: 'result < 1', dryRun: true });
    let state = run(metricA, dry);
    state = value(state, 'dry', 5, 0);
    expect(result(state, 'dry')).toMatchObject({ phase: 'Failed', dryRun: true, message: 'failed (1) > failureLimit (0)' });
    expect(assessRun(state).phase).toBe('Running');
    expect(dueMetrics(state, at(0))).toEqual(['a']);
    state = value(state, 'a', 0, 1);
    expect(assessRun(state)).toEqual({ phase: 'Successful', completed: true });
  });

  it('a run of only dry-run metrics ends Successful', () => {
    const state = value(run(makeMetric({ successCondition: 'result < 1', dryRun: true })), 'error-rate', 5, 0);
    expect(assessRun(state).phase).toBe('Successful');
  });

  it('ignores measurements of a finished metric and rejects unknown metrics', () => {
    const state = value(run(metricA), 'a', 0, 0);
    expect(value(state, 'a', 5, 1)).toBe(state);
    expect(() => value(state, 'zzz', 1, 0)).toThrow(RunStateError);
    expect(() => value(state, 'zzz', 1, 0)).toThrow('the run has no metric "zzz" (metrics: a)');
  });
});

describe('terminate', () => {
  const endless = makeMetric({ successCondition: 'result < 1', interval: '1m', intervalMs: 60_000, failureLimit: 2 });

  it('ends a running run Successful when no limit was breached', () => {
    let state = value(value(run(endless), 'error-rate', 5, 0), 'error-rate', 0, 60);
    state = terminate(state, at(90));
    expect(assessRun(state)).toEqual({ phase: 'Successful', message: 'Run Terminated', completed: true });
    expect(result(state)).toMatchObject({ phase: 'Successful', message: 'run terminated' });
    expect(state.terminatedAt).toBe('2025-01-01T00:01:30.000Z');
    expect(dueMetrics(state, at(600))).toEqual([]);
  });

  it('keeps a breached limit, and ends unmeasured metrics Successful', () => {
    const pending = makeMetric({ name: 'late', initialDelay: '5m', initialDelayMs: 300_000 });
    let state = run(endless, pending);
    state = terminate(state, at(10), 'promoted by @alice');
    expect(assessRun(state)).toEqual({ phase: 'Successful', message: 'promoted by @alice', completed: true });
    expect(result(state, 'late').message).toBe('run terminated before the first measurement');

    const failed = value(run({ ...endless, failureLimit: 0 }), 'error-rate', 5, 0);
    expect(terminate(failed, at(10))).toBe(failed);
  });
});

describe('scheduling', () => {
  it('waits for initialDelay before the first measurement', () => {
    const state = run(makeMetric({ initialDelay: '30s', initialDelayMs: 30_000, interval: '1m', intervalMs: 60_000, count: 2 }));
    expect(dueMetrics(state, at(29))).toEqual([]);
    expect(nextWakeAt(state)).toEqual(new Date(at(30)));
    expect(dueMetrics(state, at(30))).toEqual(['error-rate']);
  });

  it('measures every interval after the previous measurement finished', () => {
    let state = run(makeMetric({ interval: '1m', intervalMs: 60_000, count: 3 }));
    expect(dueMetrics(state, at(0))).toEqual(['error-rate']);
    state = recordMeasurement(state, 'error-rate', { value: 0, startedAt: at(0), finishedAt: at(2) });
    expect(nextWakeAt(state)).toEqual(new Date(at(62)));
    expect(dueMetrics(state, at(61))).toEqual([]);
    expect(dueMetrics(state, at(62))).toEqual(['error-rate']);
  });

  it('retries errors after 10s, or after the interval when that is shorter', () => {
    let long = run(makeMetric({ interval: '5m', intervalMs: 300_000, count: 3 }));
    long = error(long, 'error-rate', 'down', 0);
    expect(nextWakeAt(long)).toEqual(new Date(at(ERROR_RETRY_INTERVAL_MS / 1000)));

    let short = run(makeMetric({ interval: '2s', intervalMs: 2000, count: 3 }));
    short = error(short, 'error-rate', 'down', 0);
    expect(nextWakeAt(short)).toEqual(new Date(at(2)));

    let once = run(makeMetric());
    once = error(once, 'error-rate', 'down', 0);
    expect(nextWakeAt(once)).toEqual(new Date(at(10)));
  });

  it('nextWakeAt is the earliest of the metrics, and null once the run is over', () => {
    const state = run(makeMetric({ name: 'a', initialDelay: '1m', initialDelayMs: 60_000 }), makeMetric({ name: 'b', initialDelay: '30s', initialDelayMs: 30_000 }));
    expect(nextWakeAt(state)).toEqual(new Date(at(30)));
    const done = value(value(state, 'a', 0, 60), 'b', 0, 60);
    expect(nextWakeAt(done)).toBeNull();
  });
});

describe('measurementRetention', () => {
  it('keeps the last N measurements while counting all of them', () => {
    let state = run(makeMetric({ interval: '1s', intervalMs: 1000, count: 15, measurementRetention: 3 }));
    for (let i = 0; i < 5; i++) state = value(state, 'error-rate', i, i);
    expect(result(state).measurements.map((m) => m.value)).toEqual(['2', '3', '4']);
    expect(result(state).count).toBe(5);
  });

  it('defaults to 10', () => {
    let state = run(makeMetric({ interval: '1s', intervalMs: 1000, count: 15 }));
    for (let i = 0; i < 12; i++) state = value(state, 'error-rate', i, i);
    expect(result(state).measurements).toHaveLength(10);
  });
});

describe('state', () => {
  it('is plain JSON that resumes where it stood, without credentials', () => {
    const metric = makeMetric({
      interval: '1m',
      intervalMs: 60_000,
      count: 3,
      failureLimit: 1,
      successCondition: 'result[0] < 1',
      prometheus: { address: 'http://prom:9090', headers: [{ key: 'X-Api-Key', value: 'header-secret' }], basicAuth: { username: 'u', password: 'basic-secret' } },
    });
    let state = value(run(metric), 'error-rate', [Number.NaN], 0);
    const stored = JSON.stringify(state);
    expect(stored).not.toContain('secret');
    const resumed = JSON.parse(stored) as RunState;
    expect(resumed).toEqual(state);
    expect(dueMetrics(resumed, at(60))).toEqual(['error-rate']);
    state = value(resumed, 'error-rate', [0.5], 60);
    expect(result(state)).toMatchObject({ count: 2, failed: 1 });
    expect(resumed.metrics[0]).toMatchObject({ query: 'up', address: 'http://prom:9090' });
  });

  it('rejects an empty run or duplicate metric names', () => {
    expect(() => createRun([], { startedAt: START })).toThrow('an analysis run needs at least one metric');
    expect(() => run(makeMetric(), makeMetric())).toThrow('metric "error-rate" appears twice in one run');
  });
});

describe('measurements taken in one round', () => {
  it('are all kept when the first one fails the run: the other metric has its value and its own verdict', () => {
    const state = run(makeMetric({ name: 'errors', successCondition: 'result[0] < 0.05' }), makeMetric({ name: 'latency', successCondition: 'result[0] < 0.5' }));
    const recorded = recordMeasurements(state, [
      { metric: 'errors', outcome: { value: [0.2], startedAt: at(0), finishedAt: at(1) } },
      { metric: 'latency', outcome: { value: [0.9], startedAt: at(0), finishedAt: at(2) } },
    ]);
    expect(assessRun(recorded).phase).toBe('Failed');
    expect(result(recorded, 'errors')).toMatchObject({ phase: 'Failed', count: 1 });
    expect(result(recorded, 'latency')).toMatchObject({ phase: 'Failed', count: 1, failed: 1 });
    expect(lastMeasurement(recorded, 'latency')).toMatchObject({ phase: 'Failed', value: '[0.9]' });
    expect(recorded.completedAt).toBe(new Date(at(2)).toISOString());
  });

  it('a passing measurement of the second metric is shown with its value, not as a metric that never ran', () => {
    const state = run(makeMetric({ name: 'errors', successCondition: 'result[0] < 0.05' }), makeMetric({ name: 'latency', successCondition: 'result[0] < 0.5' }));
    const recorded = recordMeasurements(state, [
      { metric: 'errors', outcome: { error: 'boom', startedAt: at(0), finishedAt: at(0) } },
      { metric: 'latency', outcome: { value: [0.1], startedAt: at(0), finishedAt: at(0) } },
    ]);
    expect(result(recorded, 'latency')).toMatchObject({ phase: 'Successful', message: 'count (1) reached', count: 1 });
    expect(lastMeasurement(recorded, 'latency').value).toBe('[0.1]');
  });

  it('ignores a measurement of a metric that had finished before the round, and names an unknown metric', () => {
    const a = makeMetric({ name: 'a' });
    const b = makeMetric({ name: 'b', interval: '1m', intervalMs: 60_000 });
    const afterA = value(run(a, b), 'a', 1, 0);
    expect(result(afterA, 'a').phase).toBe('Successful');
    const next = recordMeasurements(afterA, [
      { metric: 'a', outcome: { value: 2, startedAt: at(60), finishedAt: at(60) } },
      { metric: 'b', outcome: { value: 2, startedAt: at(60), finishedAt: at(60) } },
    ]);
    expect(result(next, 'a').measurements).toHaveLength(1);
    expect(result(next, 'b').measurements).toHaveLength(1);
    expect(() => recordMeasurements(next, [{ metric: 'c', outcome: { value: 1, startedAt: at(0), finishedAt: at(0) } }])).toThrow(RunStateError);
  });
});
