/**
 * The verdict on one measured value, by Argo's rules: a true failureCondition fails (and beats a
 * true successCondition); a true successCondition succeeds; with both conditions set and neither
 * true the measurement is Inconclusive; a lone successCondition that is false fails; a lone
 * failureCondition that is false succeeds; no condition at all succeeds.
 *
 * One deliberate difference, unless the template opts out: a query that returned no series must not
 * pass a gate by accident (`all(result, # < 0.05)` is true on `[]`). When the verdict on an empty
 * result would be Successful and no condition tests `len(result)` itself, the measurement is an Error
 * "no data", retried and counted against consecutiveErrorLimit like Argo's `result[0]` on no data.
 */
import { ConditionError, evaluateCondition, testsLengthOf } from './expr/index.js';
import type { CompletedPhase, MeasuredValue } from './types.js';

export interface ConditionVerdict {
  readonly phase: CompletedPhase;
  /** Set for Error verdicts: which condition broke and why. */
  readonly message?: string;
}

interface Conditions {
  readonly successCondition?: string;
  readonly failureCondition?: string;
  /** `evaluate`: judge an empty result by the conditions alone, exactly as Argo does. */
  readonly emptyResult?: EmptyResultMode;
}

/** The template annotation that chooses how an empty result is judged. */
export const EMPTY_RESULT_ANNOTATION = 'opsbox.dev/empty-result';
export const EMPTY_RESULT_MODES = ['error', 'evaluate'] as const;
export type EmptyResultMode = (typeof EMPTY_RESULT_MODES)[number];

export const NO_DATA_MESSAGE =
  `no data: the query returned no series, and the condition would pass on an empty result without testing for it; ` +
  `fix the query or its labels, write the condition to accept no data (len(result) == 0 || …), or annotate the template ${EMPTY_RESULT_ANNOTATION}: evaluate`;

export function judgeValue(conditions: Conditions, value: MeasuredValue): ConditionVerdict {
  const verdict = judgeByConditions(conditions, value);
  if (verdict.phase === 'Successful' && isEmpty(value) && conditions.emptyResult !== 'evaluate' && !testsEmptiness(conditions)) {
    return { phase: 'Error', message: NO_DATA_MESSAGE };
  }
  return verdict;
}

function isEmpty(value: MeasuredValue): boolean {
  return Array.isArray(value) && value.length === 0;
}

/** Whether a condition decides itself what no data means, by testing `len(result)`. */
function testsEmptiness({ successCondition, failureCondition }: Conditions): boolean {
  return [successCondition, failureCondition].some((source) => source !== undefined && source !== '' && testsLengthOf(source, 'result'));
}

function judgeByConditions(conditions: Conditions, value: MeasuredValue): ConditionVerdict {
  const { successCondition, failureCondition } = conditions;
  if (!successCondition && !failureCondition) return { phase: 'Successful' };
  let success: boolean | undefined;
  let failure: boolean | undefined;
  try {
    if (successCondition) success = evaluate('successCondition', successCondition, value);
    if (failureCondition) failure = evaluate('failureCondition', failureCondition, value);
  } catch (error) {
    return { phase: 'Error', message: (error as Error).message };
  }
  if (failure === undefined) failure = !success;
  if (success === undefined) success = !failure;
  if (failure) return { phase: 'Failed' };
  if (success) return { phase: 'Successful' };
  return { phase: 'Inconclusive' };
}

function evaluate(field: string, source: string, value: MeasuredValue): boolean {
  try {
    return evaluateCondition(source, { result: value });
  } catch (error) {
    // ConditionError.detail is the reason without the condition, which is named here already.
    const reason = error instanceof ConditionError ? error.detail : error instanceof Error ? error.message : String(error);
    throw new Error(`${field} ${JSON.stringify(source)}: ${reason}`);
  }
}
