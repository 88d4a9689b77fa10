/**
 * Errors of the condition language.
 *
 * The lexer, parser and evaluator throw the internal `ExprSyntaxError` / `ExprEvalError` (a message and,
 * where known, the offset in the source). `index.ts` turns them into the public `ConditionError`, which
 * names the condition so that a message read in a check run or a PR comment stands on its own.
 */

/** Where in the condition something went wrong (1-based line and column, 0-based offset). */
export interface SourcePosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

export function positionAt(source: string, offset: number): SourcePosition {
  const clamped = Math.max(0, Math.min(offset, source.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < clamped; i++) {
    if (source.charCodeAt(i) === 10 /* \n */) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset: clamped, line, column: clamped - lineStart + 1 };
}

/** "column 7", or "line 2, column 3" when the condition spans several lines. */
export function describePosition(source: string, position: SourcePosition): string {
  return source.includes('\n') ? `line ${position.line}, column ${position.column}` : `column ${position.column}`;
}

/** A lexing or parsing error at an offset of the source. */
export class ExprSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'ExprSyntaxError';
  }
}

/** A name the condition language does not know (`reslt`, `foo(1)`): found at compile time, as in Argo. */
export class ExprNameError extends ExprSyntaxError {
  constructor(
    readonly unknownName: string,
    offset: number,
  ) {
    super(`unknown name ${unknownName}`, offset);
    this.name = 'ExprNameError';
  }
}

/** An evaluation error; `offset` is filled in by the evaluator when the failing node is known. */
export class ExprEvalError extends Error {
  constructor(
    message: string,
    public offset?: number,
  ) {
    super(message);
    this.name = 'ExprEvalError';
  }
}

export type ConditionErrorCode = 'condition-syntax' | 'condition-eval' | 'condition-not-bool';

const MAX_QUOTED_CONDITION = 200;

/** `"result[0] >= 0.95"`, shortened when the condition is long. */
export function quoteCondition(condition: string): string {
  const oneLine = condition.replace(/\s+/g, ' ').trim();
  const short = oneLine.length > MAX_QUOTED_CONDITION ? `${oneLine.slice(0, MAX_QUOTED_CONDITION - 1)}…` : oneLine;
  return JSON.stringify(short);
}

/**
 * The one error type callers see. `message` names the condition; `detail` is the same text without it,
 * for places that already show the condition next to the error.
 */
export class ConditionError extends Error {
  constructor(
    readonly code: ConditionErrorCode,
    readonly condition: string,
    readonly detail: string,
    readonly position?: SourcePosition,
  ) {
    super(`condition ${quoteCondition(condition)}: ${detail}`);
    this.name = 'ConditionError';
  }
}
