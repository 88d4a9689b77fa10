/** Maps the analysis engine's run state to what the reports show. */
import type { RunState } from '../analysis/run.js';
import type { AnalysisSnapshot } from '../report/view.js';

export function snapshotOf(run: RunState): AnalysisSnapshot {
  return {
    phase: run.phase,
    message: run.message,
    metrics: run.metrics.map((spec, index) => {
      const result = run.results[index];
      return {
        name: spec.name,
        query: spec.query,
        address: spec.address,
        successCondition: spec.successCondition,
        failureCondition: spec.failureCondition,
        phase: result.phase,
        message: result.message,
        dryRun: spec.dryRun,
        count: spec.count,
        interval: spec.interval,
        measurements: result.measurements.map((m) => ({
          phase: m.phase,
          value: m.value,
          message: m.message,
          startedAt: Date.parse(m.startedAt),
          finishedAt: Date.parse(m.finishedAt),
        })),
      };
    }),
  };
}
