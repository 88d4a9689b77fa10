/**
 * Drives an analysis run in real time: measures what is due through a provider, records it, and
 * sleeps until the next measurement. Used by `opsbox analyze`; the rollout engine drives the same
 * pure run state through its own scheduler and can reuse takeMeasurement.
 */
import { createRun, dueMetrics, isRunCompleted, metricResult, nextWakeAt, recordMeasurements, terminate } from './run.js';
import type { Measurement, MeasurementOutcome, MetricResult, RunState } from './run.js';
import type { MetricProvider, ResolvedMetric } from './types.js';
import { metricSecrets } from './providers/registry.js';
import { redactSecrets } from '../report/redact.js';

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
    }),
};

export interface MeasurementEvent {
  readonly metric: ResolvedMetric;
  readonly measurement: Measurement;
  readonly result: MetricResult;
  readonly state: RunState;
}

export interface RunAnalysisOptions {
  readonly provider: MetricProvider;
  readonly clock?: Clock;
  /**
   * Aborting stops the run where it stands: the state is returned as it was (Running when no
   * verdict was reached), not terminated, so a caller never mistakes an interruption for a pass.
   */
  readonly signal?: AbortSignal;
  /** Take one measurement per metric now and judge it alone (see measureOnceMetrics). */
  readonly once?: boolean;
  readonly onMeasurement?: (event: MeasurementEvent) => void;
}

/** Runs the metrics until the run completes (or is aborted) and returns the final state. */
export async function runAnalysis(metrics: readonly ResolvedMetric[], options: RunAnalysisOptions): Promise<RunState> {
  const clock = options.clock ?? systemClock;
  const { provider, signal } = options;
  const runnable = options.once ? measureOnceMetrics(metrics) : [...metrics];
  const byName = new Map(runnable.map((metric) => [metric.name, metric]));
  let state = createRun(runnable, { startedAt: clock.now() });

  while (!isRunCompleted(state)) {
    if (signal?.aborted) return state;
    const due = dueMetrics(state, clock.now());
    if (due.length === 0) {
      const wake = nextWakeAt(state);
      // Nothing left to schedule although the run is open: stop it rather than wait forever.
      if (wake === null) return terminate(state, clock.now());
      await clock.sleep(Math.max(0, wake.getTime() - clock.now()), signal);
      continue;
    }
    const outcomes = await Promise.all(due.map((name) => takeMeasurement(provider, byName.get(name)!, clock, signal)));
    // Measurements cut short by the abort are not results.
    if (signal?.aborted) return state;
    // One round is recorded together: a metric failing in it does not drop another's measurement.
    state = recordMeasurements(state, due.map((name, i) => ({ metric: name, outcome: outcomes[i] })));
    for (const name of due) {
      const result = metricResult(state, name)!;
      const measurement = result.measurements[result.measurements.length - 1];
      if (measurement) options.onMeasurement?.({ metric: byName.get(name)!, measurement, result, state });
    }
  }
  return state;
}

/** Measures one metric; whatever goes wrong becomes an error outcome with a readable message. */
export async function takeMeasurement(
  provider: MetricProvider,
  metric: ResolvedMetric,
  clock: Pick<Clock, 'now'> = systemClock,
  signal?: AbortSignal,
): Promise<MeasurementOutcome> {
  const startedAt = clock.now();
  try {
    const { value } = await provider.measure(metric, signal);
    return { value, startedAt, finishedAt: clock.now() };
  } catch (error) {
    // MeasurementError messages are written for users; anything else still says what broke. Either
    // way the metric's configured credentials never reach the run (and so a comment or the CLI).
    const message = error instanceof Error ? error.message : String(error);
    return { error: redactSecrets(message, metricSecrets(metric)), startedAt, finishedAt: clock.now() };
  }
}

/**
 * One measurement per metric, now, judged on its own: no initial delay, no interval, and limits of
 * zero, so the metric's phase is the phase of its single measurement (a disabled failureLimit stays
 * disabled).
 */
export function measureOnceMetrics(metrics: readonly ResolvedMetric[]): ResolvedMetric[] {
  return metrics.map((metric) => {
    const { interval: _interval, intervalMs: _intervalMs, initialDelay: _initialDelay, initialDelayMs: _initialDelayMs, ...rest } = metric;
    return {
      ...rest,
      count: 1,
      failureLimit: metric.failureLimit < 0 ? metric.failureLimit : 0,
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 0,
      consecutiveSuccessLimit: 0,
    };
  });
}
