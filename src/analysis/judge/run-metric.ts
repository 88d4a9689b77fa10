/**
 * A CanaryJudge inside an analysis run: one run metric per judge, measured once per interval, whose
 * measurement value is the judgement as JSON. This is how a step's `analysis.templates[]` can name
 * a judge while the rollout keeps driving one kind of run.
 */
import type { ConditionVerdict } from '../conditions.js';
import { DEFAULT_MEASUREMENT_RETENTION } from '../resolve.js';
import type { MeasuredValue, ResolvedMetric } from '../types.js';
import { JUDGE_CONSECUTIVE_ERROR_LIMIT } from './judge-run.js';
import type { JudgementResult } from './judgement.js';
import type { ResolvedJudge } from './judges.js';

/** The judgement as stored in a measurement: the comparison of every metric and its samples. */
export interface StoredJudgement {
  readonly phase: JudgementResult['phase'];
  readonly score: number | null;
  readonly reason: string;
  readonly metrics: readonly {
    readonly name: string;
    readonly phase: string;
    readonly dryRun: boolean;
    readonly value: JudgementResult['metrics'][number]['value'];
    readonly samples: JudgementResult['metrics'][number]['samples'];
  }[];
}

/** Text that marks a measurement taken while the judge waits for minSamples. */
export const WARMING_UP = 'warming up';

export function encodeJudgement(result: JudgementResult): string {
  const stored: StoredJudgement = {
    phase: result.phase,
    score: result.score === null ? null : Math.round(result.score * 10) / 10,
    reason: result.reason,
    metrics: result.metrics.map(({ name, phase, dryRun, value, samples }) => ({
      name,
      phase,
      dryRun,
      value,
      // NaN is not JSON: missing samples are written as null.
      samples: { canary: samples.canary.map(finiteOrNull), baseline: samples.baseline.map(finiteOrNull) } as unknown as typeof samples,
    })),
  };
  return JSON.stringify(stored);
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** Reads a stored judgement back; null when the text is not one. */
export function decodeJudgement(text: string | undefined): StoredJudgement | null {
  if (!text || !text.startsWith('{')) return null;
  try {
    const parsed = JSON.parse(text) as StoredJudgement;
    return Array.isArray(parsed.metrics) && typeof parsed.phase === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

/** The verdict of a judge measurement: the phase of the judgement it carries. */
export function judgementVerdict(value: MeasuredValue): ConditionVerdict {
  const judgement = typeof value === 'string' ? decodeJudgement(value) : null;
  if (!judgement) return { phase: 'Error', message: 'the judge measurement carries no judgement' };
  return { phase: judgement.phase, message: judgement.reason };
}

/** The run metric of a resolved judge. Warm-up retries are errors that must not end the run early. */
export function judgeRunMetric(judge: ResolvedJudge): ResolvedMetric {
  const warmUpRetries = Math.ceil(judge.lookbackMs / judge.stepMs);
  return {
    name: judge.name,
    interval: judge.interval,
    intervalMs: judge.intervalMs,
    initialDelay: judge.interval,
    initialDelayMs: judge.intervalMs,
    count: judge.count,
    failureLimit: judge.failureLimit,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: warmUpRetries + JUDGE_CONSECUTIVE_ERROR_LIMIT,
    consecutiveSuccessLimit: 0,
    dryRun: judge.metrics.every((metric) => metric.dryRun),
    measurementRetention: DEFAULT_MEASUREMENT_RETENTION,
    judge: judge.name,
    prometheus: {
      ...judge.prometheus,
      query: judge.metrics.map((metric) => `${metric.name}: ${metric.canary} vs ${metric.baseline}`).join('\n'),
    },
    source: { file: judge.file, template: judge.name, kind: 'CanaryJudge' },
  };
}
