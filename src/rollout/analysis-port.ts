/**
 * What the rollout needs from the analysis engine: pure functions over a JSON run state.
 * The state machine receives them as a dependency so its tests can drive analyses directly.
 */
import type { RunMetricSpec } from '../analysis/types.js';

export type AnalysisOutcome = 'Running' | 'Successful' | 'Inconclusive' | 'Failed' | 'Error';

/** One finished measurement as the executor reports it: a value, or the error that prevented one. */
export type MeasurementInput =
  | { value: number | number[] | string; startedAt: number; finishedAt: number }
  | { error: string; startedAt: number; finishedAt: number };

/** An analysis as the rollout stores it: the metric specs (no credentials) and where they came from. */
export interface ResolvedAnalysis {
  key: string;
  templates: string[];
  args: { name: string; value?: string }[];
  metrics: RunMetricSpec[];
}

/** Opaque JSON run state owned by the analysis engine. */
export type AnalysisRun = { readonly __analysisRun?: never } & Record<string, unknown>;

export interface AnalysisPort {
  start(metrics: readonly RunMetricSpec[], now: number): AnalysisRun;
  /** Names of the metrics to measure now. */
  due(run: AnalysisRun, now: number): string[];
  record(run: AnalysisRun, metric: string, measurement: MeasurementInput): AnalysisRun;
  outcome(run: AnalysisRun): { phase: AnalysisOutcome; message?: string };
  /** When the run next needs a measurement; undefined once it has finished. */
  nextWakeAt(run: AnalysisRun, now: number): number | undefined;
  /** Stops a run: it ends Successful unless a limit was already breached. */
  terminate(run: AnalysisRun, now: number): AnalysisRun;
}
