/**
 * Conditions of Argo Rollouts analysis metrics (`successCondition`, `failureCondition`): a hand-written
 * parser and evaluator for the subset of the expr language (github.com/expr-lang/expr) that real
 * AnalysisTemplates use. See parser.ts for the grammar, evaluate.ts for the semantics and
 * functions.ts for the builtins.
 *
 *   const condition = compileCondition('len(result) > 0 && result[0] < 0.05');
 *   evaluateCondition(condition, { result: [0.01] });   // true
 *
 * Every failure is a ConditionError whose message names the condition:
 * - 'condition-syntax': the condition does not parse or uses an unknown name (the message says where);
 * - 'condition-eval': evaluation failed (type error, index out of range, no data, step limit, …);
 * - 'condition-not-bool': the condition evaluated to something other than a bool.
 */
import { ConditionError, describePosition, ExprEvalError, ExprNameError, ExprSyntaxError, positionAt, type ConditionErrorCode } from './errors.js';
import { evaluateParsed } from './evaluate.js';
import { childrenOf, parse, VARIABLES, type Node, type ParsedCondition } from './parser.js';
import { describe, type Value } from './values.js';

export { ConditionError } from './errors.js';
export type { ConditionErrorCode, SourcePosition } from './errors.js';

export interface CompiledCondition {
  readonly source: string;

  /** The condition's value (a bool, number, string, nil, array or map); throws ConditionError. */
  evaluate(env: Record<string, unknown>): unknown;
}

class Condition implements CompiledCondition {
  constructor(
    readonly source: string,
    private readonly parsed: ParsedCondition,
  ) {}

  /** True when the condition calls `len(<variable>)`, i.e. it decides itself what an empty value means. */
  testsLengthOf(variable: string): boolean {
    const stack: Node[] = [this.parsed.root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node.kind === 'call' && node.name === 'len' && node.args.some((arg) => arg.kind === 'name' && arg.name === variable)) return true;
      stack.push(...childrenOf(node));
    }
    return false;
  }

  evaluate(env: Record<string, unknown>): unknown {
    try {
      return evaluateParsed(this.parsed, this.source, env);
    } catch (error) {
      throw toConditionError('condition-eval', this.source, error);
    }
  }
}

function toConditionError(code: ConditionErrorCode, source: string, error: unknown): ConditionError {
  if (error instanceof ConditionError) return error;
  if (error instanceof ExprNameError) {
    const position = positionAt(source, error.offset);
    const known = [...VARIABLES].join(', ');
    return new ConditionError('condition-syntax', source, `unknown name ${error.unknownName} at ${describePosition(source, position)} (a condition can use ${known} and the builtin functions)`, position);
  }
  if (error instanceof ExprSyntaxError) {
    const position = positionAt(source, error.offset);
    return new ConditionError('condition-syntax', source, `syntax error at ${describePosition(source, position)}: ${error.message}`, position);
  }
  if (error instanceof ExprEvalError) {
    return new ConditionError(code, source, error.message, error.offset === undefined ? undefined : positionAt(source, error.offset));
  }
  if (error instanceof RangeError) {
    // A stack overflow the limits should have prevented: still an error of this condition, not a crash.
    return new ConditionError(code, source, `condition is too complex to evaluate (${error.message})`);
  }
  throw error;
}

/** Compiled conditions by source: the same few conditions run at every measurement interval. */
const cache = new Map<string, Condition>();
const MAX_CACHED_CONDITIONS = 256;

/** Parses a condition once (cached); throws ConditionError 'condition-syntax'. */
export function compileCondition(source: string): CompiledCondition {
  if (typeof source !== 'string') {
    throw new ConditionError('condition-syntax', String(source), `a condition must be a string, got ${typeof source}`);
  }
  const cached = cache.get(source);
  if (cached) {
    cache.delete(source); // keep recently used entries at the end of the map (least recently used first)
    cache.set(source, cached);
    return cached;
  }
  let parsed: ParsedCondition;
  try {
    parsed = parse(source);
  } catch (error) {
    throw toConditionError('condition-syntax', source, error);
  }
  const condition = new Condition(source, parsed);
  if (cache.size >= MAX_CACHED_CONDITIONS) cache.delete(cache.keys().next().value as string);
  cache.set(source, condition);
  return condition;
}

/** Whether a condition calls `len(<variable>)` (throws ConditionError when it does not parse). */
export function testsLengthOf(source: string, variable: string): boolean {
  return (compileCondition(source) as Condition).testsLengthOf(variable);
}

/**
 * Evaluates and requires a boolean: otherwise ConditionError 'condition-not-bool' with message
 * `expected bool, but got <type>` (mention the condition text).
 */
export function evaluateCondition(source: string | CompiledCondition, env: Record<string, unknown>): boolean {
  const condition = typeof source === 'string' ? compileCondition(source) : source;
  const value = condition.evaluate(env);
  if (typeof value === 'boolean') return value;
  const got = value === undefined ? 'nil' : describe(value as Value);
  throw new ConditionError('condition-not-bool', condition.source, `expected bool, but got ${got}`);
}
