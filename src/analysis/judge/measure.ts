/**
 * Measures a CanaryJudge: both queries of every metric as Prometheus range queries over the
 * judgement window, one sample per step, through the same provider (and so the same address
 * allowlist, credentials handling and error messages) as AnalysisTemplates.
 */
import type { Clock } from '../runner.js';
import type { MetricProvider, ResolvedMetric } from '../types.js';
import { createJudgeRun, nextJudgementAt, recordJudgement, type JudgeRunState, type RecordedJudgement } from './judge-run.js';
import { isWarmingUp, judgeSamples, judgementWindowMs, type MetricSamples } from './judgement.js';
import type { ResolvedJudge } from './judges.js';

function rangeMetric(judge: ResolvedJudge, name: string, query: string, startMs: number, endMs: number): ResolvedMetric {
  return {
    name,
    failureLimit: 0,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: 0,
    consecutiveSuccessLimit: 0,
    dryRun: false,
    measurementRetention: 1,
    source: { file: judge.file, template: judge.name, kind: 'AnalysisTemplate' },
    prometheus: {
      ...judge.prometheus,
      query,
      // Absolute times: the window is fixed by the judgement, not by the provider's clock.
      rangeQuery: { start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString(), step: `${judge.stepMs}ms` },
    },
  };
}

function numbers(value: unknown, side: string): number[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'number') return [value];
  throw new Error(`the ${side} query returned text, not numbers; write a query that returns one series of numbers`);
}

/** The samples of every metric over [now − window, now]. Rejects when a query fails. */
export async function measureSamples(
  judge: ResolvedJudge,
  provider: MetricProvider,
  nowMs: number,
  windowMs: number,
  signal?: AbortSignal,
): Promise<Map<string, MetricSamples>> {
  const startMs = nowMs - windowMs;
  const entries = await Promise.all(
    judge.metrics.map(async (metric): Promise<[string, MetricSamples]> => {
      if (windowMs < judge.stepMs) return [metric.name, { canary: [], baseline: [] }];
      const [canary, baseline] = await Promise.all([
        provider.measure(rangeMetric(judge, `${metric.name} (canary)`, metric.canary, startMs, nowMs), signal),
        provider.measure(rangeMetric(judge, `${metric.name} (baseline)`, metric.baseline, startMs, nowMs), signal),
      ]);
      return [metric.name, { canary: numbers(canary.value, 'canary'), baseline: numbers(baseline.value, 'baseline') }];
    }),
  );
  return new Map(entries);
}

/** One judgement at `now`, or null while warming up. Query failures become an error judgement. */
export async function takeJudgement(
  judge: ResolvedJudge,
  provider: MetricProvider,
  nowMs: number,
  weightAppliedAt?: number,
  signal?: AbortSignal,
): Promise<RecordedJudgement | null> {
  const windowMs = judgementWindowMs(judge, nowMs, weightAppliedAt);
  let samples: Map<string, MetricSamples>;
  try {
    samples = await measureSamples(judge, provider, nowMs, windowMs, signal);
  } catch (error) {
    return { at: nowMs, error: error instanceof Error ? error.message : String(error) };
  }
  if (isWarmingUp(judge, samples, windowMs)) return null;
  return { at: nowMs, result: judgeSamples(judge, samples) };
}

export interface RunJudgeOptions {
  readonly provider: MetricProvider;
  readonly clock: Clock;
  /** When the canary weight was applied; the window never reaches back before it. */
  readonly weightAppliedAt?: number;
  readonly signal?: AbortSignal;
  readonly onJudgement?: (judgement: RecordedJudgement, state: JudgeRunState) => void;
}

/** Runs a judge in real time until it decides (or is aborted: then it stays Running). */
export async function runJudge(judge: ResolvedJudge, options: RunJudgeOptions): Promise<JudgeRunState> {
  const { clock, signal } = options;
  const startedAt = clock.now();
  let state = createJudgeRun(judge);
  let dueAt = nextJudgementAt(judge, state, startedAt);
  // Bounded: count judgements, plus warm-up retries (at most lookback/step) and error retries per judgement.
  const maxAttempts = judge.count * (Math.ceil(judge.lookbackMs / judge.stepMs) + 2) + 8;
  for (let attempt = 0; attempt < maxAttempts && dueAt !== null; attempt++) {
    await clock.sleep(Math.max(0, dueAt - clock.now()), signal);
    if (signal?.aborted) return state;
    const now = clock.now();
    const judgement = await takeJudgement(judge, options.provider, now, options.weightAppliedAt, signal);
    if (judgement === null) {
      // Warming up: look again one step later.
      dueAt = now + judge.stepMs;
      continue;
    }
    state = recordJudgement(judge, state, judgement);
    options.onJudgement?.(judgement, state);
    dueAt = nextJudgementAt(judge, state, startedAt);
  }
  return state;
}
