/**
 * Turns metric classifications into a judgement: the score is the weighted share of counted
 * metrics that pass, a failing critical metric fails the judgement whatever the score, and the
 * pass/marginal thresholds map the score to a phase.
 */
import type { Classification, NoDataPolicy } from './classify.js';

export type JudgementPhase = 'Successful' | 'Inconclusive' | 'Failed';

export interface ScoredMetric {
  readonly name: string;
  readonly classification: Classification;
  readonly weight: number;
  readonly critical: boolean;
  readonly noData: NoDataPolicy;
  /** Dry-run metrics are shown but never counted. */
  readonly dryRun?: boolean;
}

export interface Thresholds {
  readonly pass: number;
  readonly marginal: number;
}

export interface Judgement {
  /** 0–100; null when no metric could be counted. */
  readonly score: number | null;
  readonly phase: JudgementPhase;
  /** Why the phase is what it is, for people reading the evidence. */
  readonly reason: string;
}

type Outcome = 'pass' | 'fail' | 'uncounted';

function outcomeOf(metric: ScoredMetric): Outcome {
  if (metric.classification === 'Pass') return 'pass';
  if (metric.classification === 'High' || metric.classification === 'Low') return 'fail';
  if (metric.noData === 'pass') return 'pass';
  if (metric.noData === 'fail') return 'fail';
  return 'uncounted';
}

export function scoreJudgement(metrics: readonly ScoredMetric[], thresholds: Thresholds): Judgement {
  const counted = metrics.filter((metric) => !metric.dryRun);
  let passing = 0;
  let total = 0;
  const failedCritical: string[] = [];
  const withoutData: string[] = [];
  for (const metric of counted) {
    const outcome = outcomeOf(metric);
    if (outcome === 'uncounted') {
      withoutData.push(metric.name);
      continue;
    }
    total += metric.weight;
    if (outcome === 'pass') passing += metric.weight;
    else if (metric.critical) failedCritical.push(metric.name);
  }
  const score = total > 0 ? (100 * passing) / total : null;

  if (failedCritical.length > 0) {
    return { score, phase: 'Failed', reason: `critical metric ${failedCritical.join(', ')} failed` };
  }
  if (score === null) {
    return { score, phase: 'Inconclusive', reason: 'no metric had enough data to be judged' };
  }
  if (score < thresholds.marginal) {
    return { score, phase: 'Failed', reason: `score ${formatScore(score)} is below the marginal threshold ${thresholds.marginal}` };
  }
  if (score < thresholds.pass) {
    return { score, phase: 'Inconclusive', reason: `score ${formatScore(score)} is between marginal ${thresholds.marginal} and pass ${thresholds.pass}` };
  }
  if (withoutData.length > 0) {
    return { score, phase: 'Inconclusive', reason: `no data for ${withoutData.join(', ')} (noData: inconclusive)` };
  }
  return { score, phase: 'Successful', reason: `score ${formatScore(score)} reaches the pass threshold ${thresholds.pass}` };
}

function formatScore(score: number): string {
  return Number.isInteger(score) ? String(score) : score.toFixed(1);
}
