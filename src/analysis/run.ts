/**
 * An analysis run as pure state transitions over an injected clock, with Argo Rollouts' rules for
 * scheduling measurements and assessing measurement, metric and run phases. No timers, no I/O:
 * the caller asks what is due, measures, records, and sleeps until nextWakeAt. The state is plain
 * JSON, so it can be stored and resumed after a restart.
 */
import { judgeValue } from './conditions.js';
import { judgementVerdict } from './judge/run-metric.js';
import { RunStateError } from './errors.js';
import { formatMeasuredValue } from './value-format.js';
import { metricEvidence, providerKindOf } from './providers/registry.js';
import type { AnalysisPhase, CompletedPhase, MeasuredValue, ResolvedMetric, RunMetricSpec } from './types.js';

/** Argo retries a failed measurement after 10 s (sooner when the metric's interval is shorter). */
export const ERROR_RETRY_INTERVAL_MS = 10_000;

/** A point in time: a Date, epoch milliseconds, or an ISO string. */
export type Instant = Date | number | string;

export interface Measurement {
  readonly phase: CompletedPhase;
  /** The value formatted like Argo (`0.05`, `[0.05,0.07]`, `NaN`, `[]`); absent when none was measured. */
  readonly value?: string;
  /** Why an Error measurement failed. */
  readonly message?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
}

export interface MetricResult {
  readonly name: string;
  readonly phase: AnalysisPhase;
  /** Why the metric has its phase, e.g. `failed (1) > failureLimit (0)`. */
  readonly message?: string;
  readonly dryRun: boolean;
  /** Measurements that were not errors (Argo's count). */
  readonly count: number;
  readonly successful: number;
  readonly failed: number;
  readonly inconclusive: number;
  readonly error: number;
  readonly consecutiveError: number;
  readonly consecutiveSuccess: number;
  /** The most recent measurements, at most the metric's measurementRetention. */
  readonly measurements: readonly Measurement[];
}

export interface RunState {
  readonly version: 1;
  readonly startedAt: string;
  readonly phase: AnalysisPhase;
  readonly message?: string;
  readonly completedAt?: string;
  /** Set once the run was asked to stop. */
  readonly terminatedAt?: string;
  readonly metrics: readonly RunMetricSpec[];
  /** One result per metric, in the order of `metrics`. */
  readonly results: readonly MetricResult[];
}

/** What the caller measured for a metric: a value, or the reason there is none. */
export type MeasurementOutcome =
  | { readonly value: MeasuredValue; readonly startedAt: Instant; readonly finishedAt: Instant }
  | { readonly error: string; readonly startedAt: Instant; readonly finishedAt: Instant };

export interface RunAssessment {
  readonly phase: AnalysisPhase;
  readonly message?: string;
  readonly completed: boolean;
}

const COMPLETED: ReadonlySet<AnalysisPhase> = new Set(['Successful', 'Failed', 'Inconclusive', 'Error']);
const SEVERITY: Record<CompletedPhase, number> = { Successful: 0, Inconclusive: 1, Error: 2, Failed: 3 };

export function isCompletedPhase(phase: AnalysisPhase): phase is CompletedPhase {
  return COMPLETED.has(phase);
}

/** The part of a resolved metric a run keeps: schedule, judgement, limits and the query, no credentials. */
export function toRunMetricSpec(metric: ResolvedMetric | RunMetricSpec): RunMetricSpec {
  if ('query' in metric) return metric;
  const kind = providerKindOf(metric);
  const { prometheus: _prometheus, web: _web, job: _job, secretValues: _secretValues, ...rest } = metric;
  return { ...rest, ...metricEvidence(metric), ...(kind !== 'prometheus' ? { provider: kind } : {}) };
}

export function createRun(metrics: readonly (ResolvedMetric | RunMetricSpec)[], options: { startedAt: Instant }): RunState {
  if (metrics.length === 0) throw new RunStateError('an analysis run needs at least one metric');
  const names = new Set<string>();
  for (const metric of metrics) {
    if (names.has(metric.name)) throw new RunStateError(`metric "${metric.name}" appears twice in one run`);
    names.add(metric.name);
  }
  const specs = metrics.map(toRunMetricSpec);
  return reassess({
    version: 1,
    startedAt: toIso(options.startedAt),
    phase: 'Running',
    metrics: specs,
    results: specs.map((spec) => ({
      name: spec.name,
      phase: 'Pending',
      dryRun: spec.dryRun,
      count: 0,
      successful: 0,
      failed: 0,
      inconclusive: 0,
      error: 0,
      consecutiveError: 0,
      consecutiveSuccess: 0,
      measurements: [],
    })),
  }, options.startedAt);
}

/** Names of the metrics that should be measured at `now`. */
export function dueMetrics(state: RunState, now: Instant): string[] {
  const at = toMs(now);
  return schedule(state)
    .filter((entry) => entry.dueAt <= at)
    .map((entry) => entry.name);
}

/** When the next measurement is due (possibly already past), or null when nothing is left to measure. */
export function nextWakeAt(state: RunState): Date | null {
  const times = schedule(state).map((entry) => entry.dueAt);
  return times.length ? new Date(Math.min(...times)) : null;
}

/**
 * Adds a measurement of `metricName`, judges it against the metric's conditions, and reassesses
 * the metric and the run. Measurements of a metric that has already finished are ignored.
 */
export function recordMeasurement(state: RunState, metricName: string, outcome: MeasurementOutcome): RunState {
  return recordMeasurements(state, [{ metric: metricName, outcome }]);
}

/** One measurement of a batch taken in the same round. */
export interface RecordedOutcome {
  readonly metric: string;
  readonly outcome: MeasurementOutcome;
}

/**
 * Adds the measurements taken in one round, then reassesses once, as Argo assesses a run after all
 * of a reconciliation's measurements. A metric that fails must not make the run drop a measurement
 * of another metric that was taken alongside it: every one of them is counted and kept.
 */
export function recordMeasurements(state: RunState, batch: readonly RecordedOutcome[]): RunState {
  for (const { metric } of batch) {
    if (!state.metrics.some((spec) => spec.name === metric)) {
      throw new RunStateError(`the run has no metric "${metric}" (metrics: ${state.metrics.map((m) => m.name).join(', ')})`);
    }
  }
  if (isCompletedPhase(state.phase) || batch.length === 0) return state;
  let results = state.results;
  let latest = toMs(batch[0].outcome.finishedAt);
  for (const { metric, outcome } of batch) {
    const index = state.metrics.findIndex((spec) => spec.name === metric);
    // A metric that finished before this round takes no more measurements.
    if (isCompletedPhase(state.results[index].phase)) continue;
    const spec = state.metrics[index];
    const updated = countMeasurement(results[index], judge(spec, outcome), spec.measurementRetention);
    results = results.map((r, i) => (i === index ? updated : r));
    latest = Math.max(latest, toMs(outcome.finishedAt));
  }
  return results === state.results ? state : reassess({ ...state, results }, latest);
}

/**
 * Stops the run (a promotion, an abort, or the end of a run without a count). Metrics still running
 * end Successful, unless one of their limits was already breached; nothing more is measured.
 */
export function terminate(state: RunState, now: Instant, reason = 'Run Terminated'): RunState {
  if (isCompletedPhase(state.phase)) return state;
  return reassess({ ...state, terminatedAt: toIso(now), message: reason }, now);
}

/** The run's phase and the reason for it. */
export function assessRun(state: RunState): RunAssessment {
  return { phase: state.phase, message: state.message, completed: isCompletedPhase(state.phase) };
}

export function isRunCompleted(state: RunState): boolean {
  return isCompletedPhase(state.phase);
}

export function metricResult(state: RunState, metricName: string): MetricResult | undefined {
  return state.results.find((result) => result.name === metricName);
}

// ---------------------------------------------------------------------------------------------

/** A Job decides by itself, as in Argo: its conditions are not evaluated. */
function jobMeasurementVerdict(value: MeasuredValue): { phase: CompletedPhase; message?: string } {
  return value === 'Successful' ? { phase: 'Successful' } : { phase: 'Failed', message: 'the Job failed' };
}

function judge(spec: RunMetricSpec, outcome: MeasurementOutcome): Measurement {
  const times = { startedAt: toIso(outcome.startedAt), finishedAt: toIso(outcome.finishedAt) };
  if ('error' in outcome) return { phase: 'Error', message: outcome.error, ...times };
  const value = formatMeasuredValue(outcome.value);
  const verdict = spec.judge !== undefined ? judgementVerdict(outcome.value) : spec.provider === 'job' ? jobMeasurementVerdict(outcome.value) : judgeValue(spec, outcome.value);
  return verdict.message !== undefined ? { phase: verdict.phase, value, message: verdict.message, ...times } : { phase: verdict.phase, value, ...times };
}

function countMeasurement(result: MetricResult, measurement: Measurement, retention: number): MetricResult {
  const measurements = [...result.measurements, measurement].slice(-Math.max(1, retention));
  const base = { ...result, measurements, phase: 'Running' as AnalysisPhase };
  switch (measurement.phase) {
    case 'Successful':
      return { ...base, count: result.count + 1, successful: result.successful + 1, consecutiveError: 0, consecutiveSuccess: result.consecutiveSuccess + 1 };
    case 'Failed':
      return { ...base, count: result.count + 1, failed: result.failed + 1, consecutiveError: 0, consecutiveSuccess: 0 };
    case 'Inconclusive':
      return { ...base, count: result.count + 1, inconclusive: result.inconclusive + 1, consecutiveError: 0, consecutiveSuccess: 0 };
    case 'Error':
      // Errors do not count toward `count`; they do end a streak of successes, which must be unbroken.
      return { ...base, error: result.error + 1, consecutiveError: result.consecutiveError + 1, consecutiveSuccess: 0 };
  }
}

/** Argo's effective count: unset means once without an interval, forever with one. */
function effectiveCount(spec: RunMetricSpec): number | undefined {
  if (spec.count) return spec.count;
  return spec.intervalMs ? undefined : 1;
}

function isTerminating(state: RunState, results: readonly MetricResult[]): boolean {
  if (state.terminatedAt) return true;
  return results.some((result) => !result.dryRun && (result.phase === 'Failed' || result.phase === 'Error' || result.phase === 'Inconclusive'));
}

/** Reassesses every metric, then the run; a newly failed metric makes the run stop the others. */
function reassess(state: RunState, now: Instant): RunState {
  let results = state.results;
  for (let pass = 0; pass < 2; pass++) {
    const terminating = isTerminating(state, results);
    results = results.map((result, i) => assessMetric(state.metrics[i], result, terminating));
  }
  const run = assessPhase(state, results);
  const completedAt = isCompletedPhase(run.phase) ? (state.completedAt ?? toIso(now)) : undefined;
  const next: RunState = { ...state, results, phase: run.phase };
  const withMessage = run.message !== undefined ? { ...next, message: run.message } : withoutKey(next, 'message');
  return completedAt ? { ...withMessage, completedAt } : withMessage;
}

function assessMetric(spec: RunMetricSpec, result: MetricResult, terminating: boolean): MetricResult {
  if (isCompletedPhase(result.phase)) return result;
  const verdict = metricVerdict(spec, result, terminating);
  if (verdict.phase === result.phase && verdict.message === result.message) return result;
  const updated = { ...result, phase: verdict.phase };
  return verdict.message !== undefined ? { ...updated, message: verdict.message } : withoutKey(updated, 'message');
}

/** Argo's assessMetricStatus. */
function metricVerdict(spec: RunMetricSpec, result: MetricResult, terminating: boolean): { phase: AnalysisPhase; message?: string } {
  const measured = result.count + result.error;
  if (measured === 0) return terminating ? { phase: 'Successful', message: 'run terminated before the first measurement' } : { phase: 'Pending' };

  if (spec.failureLimit >= 0 && result.failed > spec.failureLimit) {
    return { phase: 'Failed', message: `failed (${result.failed}) > failureLimit (${spec.failureLimit})` };
  }
  if (result.inconclusive > spec.inconclusiveLimit) {
    return { phase: 'Inconclusive', message: `inconclusive (${result.inconclusive}) > inconclusiveLimit (${spec.inconclusiveLimit})` };
  }
  if (result.consecutiveError > spec.consecutiveErrorLimit) {
    return { phase: 'Error', message: `consecutiveErrors (${result.consecutiveError}) > consecutiveErrorLimit (${spec.consecutiveErrorLimit})` };
  }
  if (spec.consecutiveSuccessLimit > 0 && result.consecutiveSuccess >= spec.consecutiveSuccessLimit) {
    return { phase: 'Successful', message: `consecutiveSuccess (${result.consecutiveSuccess}) >= consecutiveSuccessLimit (${spec.consecutiveSuccessLimit})` };
  }
  const count = effectiveCount(spec);
  if (count !== undefined && result.count >= count) {
    const failureApplies = spec.failureLimit >= 0;
    const successApplies = spec.consecutiveSuccessLimit > 0;
    if (successApplies && failureApplies) {
      return {
        phase: 'Inconclusive',
        message: `count (${count}) reached with failed (${result.failed}) <= failureLimit (${spec.failureLimit}) and consecutiveSuccess (${result.consecutiveSuccess}) < consecutiveSuccessLimit (${spec.consecutiveSuccessLimit})`,
      };
    }
    if (successApplies) {
      return { phase: 'Failed', message: `count (${count}) reached with consecutiveSuccess (${result.consecutiveSuccess}) < consecutiveSuccessLimit (${spec.consecutiveSuccessLimit})` };
    }
    return { phase: 'Successful', message: `count (${count}) reached` };
  }
  if (terminating) return { phase: 'Successful', message: 'run terminated' };
  return { phase: 'Running' };
}

/** Argo's assessRunStatus: the worst completed phase of the metrics that are not dry-run. */
function assessPhase(state: RunState, results: readonly MetricResult[]): { phase: AnalysisPhase; message?: string } {
  const terminating = isTerminating(state, results);
  let worst: MetricResult | undefined;
  let everythingCompleted = true;
  for (const result of results) {
    if (!isCompletedPhase(result.phase)) {
      everythingCompleted = false;
      continue;
    }
    if (result.dryRun) continue;
    if (!worst || SEVERITY[result.phase] > SEVERITY[worst.phase as CompletedPhase]) worst = result;
  }
  if (!terminating && !everythingCompleted) return { phase: 'Running' };
  if (!worst || worst.phase === 'Successful') {
    return state.terminatedAt ? { phase: 'Successful', message: state.message ?? 'Run Terminated' } : { phase: 'Successful' };
  }
  return { phase: worst.phase, message: describeMetricVerdict(worst) };
}

/** `Metric "error-rate" assessed Failed due to failed (1) > failureLimit (0)`, plus the last error if any. */
function describeMetricVerdict(result: MetricResult): string {
  let message = `Metric "${result.name}" assessed ${result.phase} due to ${result.message ?? 'its measurements'}`;
  const last = result.measurements[result.measurements.length - 1];
  if (last?.message) message += `: "Error Message: ${last.message}"`;
  return message;
}

/** Measurements due per metric, Argo's generateMetricTasks / calculateNextReconcileTime. */
function schedule(state: RunState): { name: string; dueAt: number }[] {
  if (isCompletedPhase(state.phase) || isTerminating(state, state.results)) return [];
  const due: { name: string; dueAt: number }[] = [];
  state.metrics.forEach((spec, i) => {
    const result = state.results[i];
    if (isCompletedPhase(result.phase)) return;
    const last = result.measurements[result.measurements.length - 1];
    if (!last) {
      due.push({ name: spec.name, dueAt: toMs(state.startedAt) + (spec.initialDelayMs ?? 0) });
      return;
    }
    const count = effectiveCount(spec);
    if (count !== undefined && result.count >= count) return;
    const wait = last.phase === 'Error' ? Math.min(ERROR_RETRY_INTERVAL_MS, spec.intervalMs ?? ERROR_RETRY_INTERVAL_MS) : spec.intervalMs;
    if (wait === undefined) return;
    due.push({ name: spec.name, dueAt: toMs(last.finishedAt) + wait });
  });
  return due;
}

function toMs(instant: Instant): number {
  const ms = instant instanceof Date ? instant.getTime() : typeof instant === 'number' ? instant : Date.parse(instant);
  if (!Number.isFinite(ms)) throw new RunStateError(`not a valid time: ${JSON.stringify(instant)}`);
  return ms;
}

function toIso(instant: Instant): string {
  return new Date(toMs(instant)).toISOString();
}

function withoutKey<T extends object, K extends keyof T>(object: T, key: K): T {
  if (!(key in object)) return object;
  const copy = { ...object };
  delete copy[key];
  return copy;
}
