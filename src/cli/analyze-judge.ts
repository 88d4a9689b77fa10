/**
 * `opsbox analyze` for CanaryJudges: runs each judge's judgements in real time and prints them,
 * with the same JSON shape as AnalysisTemplates (one entry in `metrics` per judged metric) plus
 * the run's `score`.
 */
import type { JudgeRunState } from '../analysis/judge/judge-run.js';
import type { MetricComparison } from '../analysis/judge/classify.js';
import { runJudge } from '../analysis/judge/measure.js';
import type { ResolvedJudge } from '../analysis/judge/judges.js';
import type { Clock } from '../analysis/runner.js';
import type { MetricProvider } from '../analysis/types.js';
import type { CliIO } from './io.js';

export interface JudgeJsonMeasurement {
  phase: string;
  value: Pick<MetricComparison, 'canary' | 'baseline' | 'effect' | 'pValue' | 'classification'> & { relativeEffect: number | null };
  message: string | null;
  startedAt: string;
  finishedAt: string;
}

export interface JudgeJsonReport {
  phase: JudgeRunState['phase'];
  message: string | null;
  /** Score (0–100) of the latest judgement; null before any or without countable metrics. */
  score: number | null;
  judge: string;
  metrics: { name: string; phase: string; message: string | null; dryRun: boolean; measurements: JudgeJsonMeasurement[] }[];
}

export function toJudgeJsonReport(judge: ResolvedJudge, state: JudgeRunState): JudgeJsonReport {
  return {
    phase: state.phase,
    message: state.message ?? null,
    score: state.score,
    judge: judge.name,
    metrics: judge.metrics.map((metric) => {
      const measurements: JudgeJsonMeasurement[] = [];
      for (const judgement of state.judgements) {
        const at = new Date(judgement.at).toISOString();
        const judged = judgement.result?.metrics.find((m) => m.name === metric.name);
        if (!judged) {
          measurements.push({
            phase: 'Error',
            value: { canary: { n: 0, median: null }, baseline: { n: 0, median: null }, effect: null, relativeEffect: null, pValue: null, classification: 'NoData' },
            message: judgement.error ?? null,
            startedAt: at,
            finishedAt: at,
          });
          continue;
        }
        const { canary, baseline, effect, relativeEffect, pValue, classification } = judged.value;
        measurements.push({ phase: judged.phase, value: { canary, baseline, effect, relativeEffect, pValue, classification }, message: null, startedAt: at, finishedAt: at });
      }
      const last = measurements[measurements.length - 1];
      return { name: metric.name, phase: last?.phase ?? 'Pending', message: null, dryRun: metric.dryRun, measurements };
    }),
  };
}

const round = (value: number | null, digits = 4) => (value === null ? '-' : Number(value.toPrecision(digits)).toString());

export interface AnalyzeJudgeOptions {
  readonly provider: MetricProvider;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  readonly json: boolean;
}

/** Runs the judges one after the other; the worst phase decides. */
export async function analyzeJudges(judges: readonly ResolvedJudge[], options: AnalyzeJudgeOptions, io: CliIO): Promise<JudgeRunState['phase']> {
  const progress = options.json ? io.stderr : io.stdout;
  const reports: JudgeJsonReport[] = [];
  const phases: JudgeRunState['phase'][] = [];
  for (const judge of judges) {
    progress.write(
      `Judging CanaryJudge "${judge.name}" (${judge.file}): ${judge.count} judgement(s), every ${judge.interval}, canary vs baseline over ${judge.lookbackMs / 1000}s at ${judge.stepMs / 1000}s resolution\n`,
    );
    const state = await runJudge(judge, {
      provider: options.provider,
      clock: options.clock,
      signal: options.signal,
      onJudgement: (judgement) => {
        const time = new Date(judgement.at).toISOString().replace(/\.\d{3}Z$/, 'Z');
        if (!judgement.result) {
          progress.write(`${time}  Error — ${judgement.error}\n`);
          return;
        }
        for (const metric of judgement.result.metrics) {
          const v = metric.value;
          progress.write(
            `${time}  ${metric.name}${metric.dryRun ? ' (dry run)' : ''}  canary ${round(v.canary.median)} (n=${v.canary.n}) vs baseline ${round(v.baseline.median)} (n=${v.baseline.n})  effect ${round(v.effect)}  p=${round(v.pValue, 3)}  ${v.classification}\n`,
          );
        }
        progress.write(`${time}  score ${round(judgement.result.score, 3)}: ${judgement.result.phase} — ${judgement.result.reason}\n`);
      },
    });
    phases.push(state.phase);
    reports.push(toJudgeJsonReport(judge, state));
    if (!options.json) progress.write(`Result: ${state.phase}${state.message ? ` — ${state.message}` : ''}\n`);
  }
  if (options.json) io.stdout.write(`${JSON.stringify(reports.length === 1 ? reports[0] : { judges: reports })}\n`);
  const order: JudgeRunState['phase'][] = ['Error', 'Failed', 'Inconclusive', 'Running', 'Successful'];
  return order.find((phase) => phases.includes(phase)) ?? 'Successful';
}
