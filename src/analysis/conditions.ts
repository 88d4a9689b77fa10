/**
 * The verdict on one measured value, by Argo's rules: a true failureCondition fails (and beats a
 * true successCondition); a true successCondition succeeds; with both conditions set and neither
 * true the measurement is Inconclusive; a lone successCondition that is false fails; a lone
 * failureCondition that is false succeeds; no condition at all succeeds.
 */
import { ConditionError, evaluateCondition } from './expr/index.js';
import type { CompletedPhase, MeasuredValue } from './types.js';

export interface ConditionVerdict {
  readonly phase: CompletedPhase;
  /** Set for Error verdicts: which condition broke and why. */
  readonly message?: string;
}

interface Conditions {
  readonly successCondition?: string;
  readonly failureCondition?: string;
}

export function judgeValue(conditions: Conditions, value: MeasuredValue): ConditionVerdict {
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
