/**
 * The run of a CanaryJudge in a step: `count` judgements, one per interval; it fails once more
 * judgements failed than `failureLimit` allows, is inconclusive at the first inconclusive
 * judgement, and errors after repeated query failures. Pure state + event → new state, so the
 * CLI, the rollout engine and the benchmark drive it the same way.
 */
import type { JudgementResult } from './judgement.js';
import type { ResolvedJudge } from './judges.js';

export type JudgeRunPhase = 'Running' | 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

/** Query failures in a row after which the run ends in Error (Argo's consecutiveErrorLimit default). */
export const JUDGE_CONSECUTIVE_ERROR_LIMIT = 4;

export interface RecordedJudgement {
  readonly at: number;
  readonly result?: JudgementResult;
  readonly error?: string;
}

export interface JudgeRunState {
  readonly judge: string;
  readonly phase: JudgeRunPhase;
  readonly message?: string;
  readonly judgements: readonly RecordedJudgement[];
  /** Score of the latest judgement. */
  readonly score: number | null;
}

export function createJudgeRun(judge: ResolvedJudge): JudgeRunState {
  return { judge: judge.name, phase: 'Running', judgements: [], score: null };
}

export function recordJudgement(judge: ResolvedJudge, state: JudgeRunState, judgement: RecordedJudgement): JudgeRunState {
  if (state.phase !== 'Running') return state;
  const judgements = [...state.judgements, judgement];
  const score = judgement.result ? judgement.result.score : state.score;
  const next = { ...state, judgements, score };

  let consecutiveErrors = 0;
  for (let index = judgements.length - 1; index >= 0 && judgements[index].error !== undefined; index--) consecutiveErrors++;
  if (consecutiveErrors >= JUDGE_CONSECUTIVE_ERROR_LIMIT) {
    return { ...next, phase: 'Error', message: `${consecutiveErrors} judgements in a row could not be measured: ${judgement.error}` };
  }
  const results = judgements.flatMap((j) => (j.result ? [j.result] : []));
  const failed = results.filter((result) => result.phase === 'Failed').length;
  if (failed > judge.failureLimit) {
    return { ...next, phase: 'Failed', message: `judgement ${results.length} of ${judge.count} failed: ${judgement.result?.reason ?? ''}`.trim() };
  }
  if (judgement.result?.phase === 'Inconclusive') {
    return { ...next, phase: 'Inconclusive', message: `judgement ${results.length} of ${judge.count} was inconclusive: ${judgement.result.reason}` };
  }
  if (results.length >= judge.count) {
    return { ...next, phase: 'Successful', message: `${results.length - failed} of ${judge.count} judgements passed` };
  }
  return next;
}

/** When the next judgement is due, given when the run started; null once the run is over. */
export function nextJudgementAt(judge: ResolvedJudge, state: JudgeRunState, startedAt: number): number | null {
  if (state.phase !== 'Running') return null;
  const last = state.judgements[state.judgements.length - 1];
  return last ? last.at + judge.intervalMs : startedAt + judge.intervalMs;
}
