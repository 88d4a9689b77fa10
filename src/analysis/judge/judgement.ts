/**
 * One judgement of a CanaryJudge: every metric's canary and baseline samples compared and
 * classified, then scored. Pure: the samples come from wherever the caller measured them.
 */
import { compareSamples, hasEnoughSamples, type MetricComparison } from './classify.js';
import type { ResolvedJudge, ResolvedJudgeMetric } from './judges.js';
import { scoreJudgement, type JudgementPhase } from './score.js';

export interface MetricSamples {
  readonly canary: readonly number[];
  readonly baseline: readonly number[];
}

export type MetricPhase = 'Successful' | 'Failed' | 'Inconclusive';

export interface JudgedMetric {
  readonly name: string;
  readonly dryRun: boolean;
  readonly critical: boolean;
  /** What this metric's verdict means for the judgement, after the noData policy. */
  readonly phase: MetricPhase;
  readonly value: MetricComparison;
  /** The samples compared, in time order, for charts. */
  readonly samples: MetricSamples;
}

export interface JudgementResult {
  readonly score: number | null;
  readonly phase: JudgementPhase;
  readonly reason: string;
  readonly metrics: readonly JudgedMetric[];
}

function metricPhase(metric: ResolvedJudgeMetric, comparison: MetricComparison): MetricPhase {
  switch (comparison.classification) {
    case 'Pass':
      return 'Successful';
    case 'High':
    case 'Low':
      return 'Failed';
    case 'NoData':
      return metric.noData === 'pass' ? 'Successful' : metric.noData === 'fail' ? 'Failed' : 'Inconclusive';
  }
}

/** Judges measured samples; `samples` is keyed by metric name (a missing metric counts as empty). */
export function judgeSamples(judge: ResolvedJudge, samples: ReadonlyMap<string, MetricSamples>): JudgementResult {
  const metrics = judge.metrics.map((metric): JudgedMetric => {
    const measured = samples.get(metric.name) ?? { canary: [], baseline: [] };
    const value = compareSamples(measured.canary, measured.baseline, metric.rule);
    return { name: metric.name, dryRun: metric.dryRun, critical: metric.critical, phase: metricPhase(metric, value), value, samples: measured };
  });
  const scored = scoreJudgement(
    judge.metrics.map((metric, index) => ({ ...metric, classification: metrics[index].value.classification })),
    judge.thresholds,
  );
  return { ...scored, metrics };
}

/**
 * Whether a judgement should wait rather than count: the window is still shorter than the
 * lookback (the weight was applied recently) and a counted metric lacks minSamples on a side.
 * Warm-up is not a measurement; once the full lookback is available, missing data is NoData.
 */
export function isWarmingUp(judge: ResolvedJudge, samples: ReadonlyMap<string, MetricSamples>, windowMs: number): boolean {
  if (windowMs >= judge.lookbackMs) return false;
  return judge.metrics.some((metric) => {
    if (metric.dryRun) return false;
    const measured = samples.get(metric.name);
    return !hasEnoughSamples(measured?.canary ?? [], measured?.baseline ?? [], metric.rule.minSamples);
  });
}

/** The sample window of a judgement taken at `now`: the lookback, capped at the time since the weight was applied. */
export function judgementWindowMs(judge: ResolvedJudge, now: number, weightAppliedAt?: number): number {
  if (weightAppliedAt === undefined) return judge.lookbackMs;
  return Math.max(0, Math.min(judge.lookbackMs, now - weightAppliedAt));
}
