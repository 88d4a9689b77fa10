/** Shared helpers of the condition-language tests (not a test file itself). */
import { ConditionError, compileCondition } from '../../../src/analysis/expr/index.js';
import { thrownBy } from '../support.js';

/** The value of a condition with `result` bound to the given measurement. */
export function run(source: string, result: unknown = null): unknown {
  return compileCondition(source).evaluate({ result });
}

/** The ConditionError a condition raises (at compile or evaluation time). */
export function failure(source: string, result: unknown = null): ConditionError {
  return thrownBy(ConditionError, () => compileCondition(source).evaluate({ result }));
}
