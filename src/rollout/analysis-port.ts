/**
 * What the rollout needs from the analysis engine: pure functions over a JSON run state.
 * The state machine receives them as a dependency so its tests can drive analyses directly.
 */
import {
  assessRun,
  createRun,
  dueMetrics,
  nextWakeAt,
  recordMeasurements,
  terminate,
  type MeasurementOutcome,
  type RunState,
} from '../analysis/run.js';
import type { AnalysisPhase, RunMetricSpec } from '../analysis/types.js';

export type AnalysisRun = RunState;
export type MeasurementInput = MeasurementOutcome;

/** An analysis as a rollout stores it: the metric specs (no credentials) and where they came from. */
export interface PlannedAnalysis {
  key: string;
  templates: string[];
  args: { name: string; value?: string }[];
  metrics: RunMetricSpec[];
}

export interface AnalysisPort {
  start(metrics: readonly RunMetricSpec[], now: number): AnalysisRun;
  /** Names of the metrics to measure now. */
  due(run: AnalysisRun, now: number): string[];
  /** Records the measurements of one round together, so none is lost when one ends the run. */
  record(run: AnalysisRun, measurements: readonly { metric: string; measurement: MeasurementInput }[]): AnalysisRun;
  outcome(run: AnalysisRun): { phase: AnalysisPhase; message?: string };
  /** When the run next needs a measurement; undefined once it has finished. */
  nextWakeAt(run: AnalysisRun, now: number): number | undefined;
  /** Stops a run: it ends Successful unless a limit was already breached. */
  terminate(run: AnalysisRun, now: number): AnalysisRun;
}

/** The analysis engine of src/analysis, Argo Rollouts' rules. */
export const argoAnalysis: AnalysisPort = {
  start: (metrics, now) => createRun(metrics, { startedAt: now }),
  due: (run, now) => dueMetrics(run, now),
  record: (run, measurements) => recordMeasurements(run, measurements.map(({ metric, measurement }) => ({ metric, outcome: measurement }))),
  outcome: (run) => {
    const { phase, message } = assessRun(run);
    return { phase, message };
  },
  nextWakeAt: (run) => nextWakeAt(run)?.getTime(),
  terminate: (run, now) => terminate(run, now),
};
