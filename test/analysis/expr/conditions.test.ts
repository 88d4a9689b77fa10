/** The public API the analysis engine uses: compileCondition, evaluateCondition, ConditionError. */
import { describe, expect, it } from '@jest/globals';
import { ConditionError, compileCondition, evaluateCondition, type CompiledCondition } from '../../../src/analysis/expr/index.js';
import { thrownBy } from '../support.js';

const conditionError = (action: () => unknown): ConditionError => thrownBy(ConditionError, action);

const check = (source: string, result: unknown): boolean => evaluateCondition(source, { result });

describe('acceptance cases', () => {
  it('asFloat("1.1") >= 1.1 is true', () => {
    expect(check('asFloat("1.1") >= 1.1', null)).toBe(true);
  });

  it('asInt("1.1") is an evaluation error', () => {
    const error = conditionError(() => check('asInt("1.1") > 0', null));
    expect(error.code).toBe('condition-eval');
    expect(error.message).toContain('asInt("1.1")');
  });

  it.each([
    [[0.01, 0.02], true],
    [[0.01, 0.06], false],
    [[], true],
  ])('all(result, {# < 0.05}) and all(result, # < 0.05) on %j are %p', (result, expected) => {
    expect(check('all(result, {# < 0.05})', result)).toBe(expected);
    expect(check('all(result, # < 0.05)', result)).toBe(expected);
  });

  it('2 in result', () => {
    expect(check('2 in result', [1, 2, 3])).toBe(true);
    expect(check('2 in result', [1, 3])).toBe(false);
    expect(check('2 in result', [])).toBe(false);
  });

  it('len(result) == 0 || result[0] < 5 on [] is true', () => {
    expect(check('len(result) == 0 || result[0] < 5', [])).toBe(true);
  });

  it('result[0] on [] is an error that says no data was returned', () => {
    const error = conditionError(() => check('result[0] >= 0.95', []));
    expect(error.code).toBe('condition-eval');
    expect(error.message).toContain('no data returned');
    expect(error.detail).toBe('index 0 out of range: result is empty (no data returned)');
    expect(error.position).toEqual({ offset: 6, line: 1, column: 7 });
  });

  it('NaN fails result >= 0.9, and isNaN(result) sees it', () => {
    expect(check('result >= 0.9', NaN)).toBe(false);
    expect(check('isNaN(result)', NaN)).toBe(true);
    expect(check('isNaN(result)', 0.95)).toBe(false);
  });

  it('default(result, 0)', () => {
    expect(check('default(result, 0) < 0.05', null)).toBe(true);
    expect(check('default(result, 0) < 0.05', 0.5)).toBe(false);
  });

  it('a condition that is not boolean is condition-not-bool, naming the condition', () => {
    const error = conditionError(() => check('result[0]', [0.5]));
    expect(error.code).toBe('condition-not-bool');
    expect(error.condition).toBe('result[0]');
    expect(error.detail).toBe('expected bool, but got number 0.5');
    expect(error.message).toBe('condition "result[0]": expected bool, but got number 0.5');
  });

  it.each([
    ['result', [0.5], 'expected bool, but got array [0.5]'],
    ['result', null, 'expected bool, but got nil'],
    ['"yes"', null, 'expected bool, but got string "yes"'],
    ['result * 2', 1, 'expected bool, but got number 2'],
    ['filter(result, # > 0)', [1], 'expected bool, but got array [1]'],
  ])('%s with result %j is not a bool: %s', (source, result, detail) => {
    const error = conditionError(() => check(source, result));
    expect(error.code).toBe('condition-not-bool');
    expect(error.detail).toBe(detail);
  });

  it('an unknown name is an error that names it', () => {
    const error = conditionError(() => check('reslt[0] > 0.95', [1]));
    expect(error.code).toBe('condition-syntax');
    expect(error.message).toContain('unknown name reslt');
    expect(error.message).toContain('"reslt[0] > 0.95"');
    expect(error.position?.column).toBe(1);
    expect(conditionError(() => compileCondition('result > limit')).detail).toBe(
      'unknown name limit at column 10 (a condition can use result and the builtin functions)',
    );
    expect(conditionError(() => compileCondition('avg(result) > 1')).detail).toContain('unknown name avg');
  });

  it('a syntax error says where and what', () => {
    const error = conditionError(() => compileCondition('result[0] >= )'));
    expect(error.code).toBe('condition-syntax');
    expect(error.detail).toBe('syntax error at column 14: unexpected ")"');
    expect(error.position).toEqual({ offset: 13, line: 1, column: 14 });
    expect(error.message).toBe('condition "result[0] >= )": syntax error at column 14: unexpected ")"');
  });

  it('a syntax error in a multi-line condition gives the line too', () => {
    const error = conditionError(() => compileCondition('len(result) > 0 &&\n  result[0] <'));
    expect(error.detail).toBe('syntax error at line 2, column 14: unexpected end of condition');
    expect(error.position).toEqual({ offset: 32, line: 2, column: 14 });
  });

  it('a huge range is an error, not a hang', () => {
    const error = conditionError(() => check('len(1..100000000) > 0', null));
    expect(error.code).toBe('condition-eval');
    expect(error.detail).toContain('too large');
  });

  it('deeply nested parentheses are an error', () => {
    const source = `${'('.repeat(1000)}true${')'.repeat(1000)}`;
    const error = conditionError(() => check(source, null));
    expect(error.code).toBe('condition-syntax');
    expect(error.detail).toContain('nested too deeply');
  });
});

describe('conditions from the Argo Rollouts documentation and real templates', () => {
  it.each([
    ['result[0] >= 0.95', [0.99], true],
    ['result[0] >= 0.95', [0.9], false],
    ['result[0] >= 0.95', [NaN], false],
    ['result[0] <= 0.01', [0.005], true],
    ['result[0] <= 0.01', [0.02], false],
    ['len(result) > 0 && result[0] < 0.05', [0.01], true],
    ['len(result) > 0 && result[0] < 0.05', [0.2], false],
    ['len(result) > 0 && result[0] < 0.05', [], false],
    ['result == nil || result[0] < 100', null, true],
    ['result == nil || result[0] < 100', [50], true],
    ['result == nil || result[0] < 100', [150], false],
    ['all(result, {# >= 0.9})', [0.95, 0.91], true],
    ['all(result, {# >= 0.9})', [0.95, 0.5], false],
    ['result >= 0.95', 0.97, true],
    ['result < 0.05', 0.1, false],
    ['isNaN(result) || result >= 0.95', NaN, true],
    ['len(result) == 0 || result[0] >= 0.95', [], true],
    ['asInt(result) == 200', '200', true],
    ['asFloat(result) > 0.5 and asFloat(result) <= 1', '0.75', true],
    ['result[0] > 0 and result[0] < 1', [0.5], true],
    ['max(result) < 500', [120, 480], true],
    ['sum(result) / len(result) < 0.05', [0.01, 0.03], true],
    ['isNaN(result[0]) || result[0] < 0.01', [NaN], true],
    ['default(result, 0) >= 0', null, true],
    ['result[len(result) - 1] > 0.9', [0.5, 0.95], true],
  ])('%s with result %j is %p', (source, result, expected) => {
    expect(check(source, result)).toBe(expected);
  });

  it('reports an array compared with a number (a vector result) as an error, not a failure', () => {
    const error = conditionError(() => check('result >= 0.95', [0.99]));
    expect(error.code).toBe('condition-eval');
    expect(error.detail).toContain('result[0]');
  });
});

describe('compileCondition and evaluateCondition', () => {
  it('compiles once and evaluates many times', () => {
    const condition = compileCondition('result[0] < 0.05');
    expect(condition.source).toBe('result[0] < 0.05');
    expect(evaluateCondition(condition, { result: [0.01] })).toBe(true);
    expect(evaluateCondition(condition, { result: [0.1] })).toBe(false);
    expect(condition.evaluate({ result: [0.01] })).toBe(true);
  });

  it('returns the cached compilation for the same source', () => {
    const first = compileCondition('result > 0.5 && result < 0.9');
    expect(compileCondition('result > 0.5 && result < 0.9')).toBe(first);
    expect(compileCondition('result > 0.5 && result < 0.8')).not.toBe(first);
  });

  it('keeps working when the cache overflows', () => {
    const conditions = Array.from({ length: 600 }, (_, i) => `result == ${i}`);
    for (const [i, source] of conditions.entries()) expect(evaluateCondition(source, { result: i })).toBe(true);
    expect(evaluateCondition(conditions[0], { result: 0 })).toBe(true);
  });

  it('evaluate() returns any value; evaluateCondition() insists on a bool', () => {
    expect(compileCondition('map(result, # * 2)').evaluate({ result: [1, 2] })).toEqual([2, 4]);
    expect(() => evaluateCondition('map(result, # * 2)', { result: [1, 2] })).toThrow(ConditionError);
  });

  it('accepts another CompiledCondition implementation', () => {
    const custom: CompiledCondition = { source: 'custom', evaluate: () => 42 };
    const error = conditionError(() => evaluateCondition(custom, {}));
    expect(error).toMatchObject({ code: 'condition-not-bool', condition: 'custom', detail: 'expected bool, but got number 42' });
  });

  it('throws syntax errors from compileCondition and evaluation errors from evaluate', () => {
    expect(conditionError(() => compileCondition('result >')).code).toBe('condition-syntax');
    const condition = compileCondition('result[0] > 1');
    expect(conditionError(() => condition.evaluate({ result: [] })).code).toBe('condition-eval');
  });

  it('refuses a condition that is not a string', () => {
    const error = conditionError(() => compileCondition(42 as unknown as string));
    expect(error.code).toBe('condition-syntax');
    expect(error.detail).toBe('a condition must be a string, got number');
  });

  it('builds ConditionErrors that stand alone in a log line or a PR comment', () => {
    const long = `len(result) > 0 && ${Array.from({ length: 100 }, (_, i) => `result[0] != ${i}`).join(' && ')} && result[0] <`;
    const error = conditionError(() => compileCondition(long));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConditionError');
    expect(error.condition).toBe(long);
    expect(error.message.length).toBeLessThan(400);
    expect(error.message).toMatch(/^condition "len\(result\) > 0 && result\[0\] != 0 .*…": syntax error at column \d+: unexpected end of condition$/);
    const multiLine = conditionError(() => compileCondition('result >\n\n'));
    expect(multiLine.message).toBe('condition "result >": syntax error at line 3, column 1: unexpected end of condition');
  });
});

describe('robustness', () => {
  /** A small deterministic generator, so that a failure reproduces. */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
  }

  const PIECES = [
    'result', '#', '#index', '0', '1', '0.5', '-1', '"a"', "'b'", 'nil', 'true', 'false', '[', ']', '(', ')', '{', '}',
    ',', ':', '?', '.', '..', '+', '-', '*', '/', '%', '**', '^', '==', '!=', '<', '>', '<=', '>=', 'and', 'or', 'not',
    '!', '&&', '||', '??', 'in', 'contains', 'matches', 'startsWith', 'len(', 'all(', 'any(', 'filter(', 'map(', 'sum(',
    'max(', 'mean(', 'isNaN(', 'default(', 'asInt(', 'string(', 'count(', '1..3', 'result[0]', 'result[-1]',
  ];
  const RESULTS: unknown[] = [null, 0.5, NaN, [], [0.1, 0.2], ['x'], { a: 1 }];

  it('never throws anything but a ConditionError, whatever the input', () => {
    const next = random(42);
    let outcomes = 0;
    for (let i = 0; i < 3000; i++) {
      const length = 1 + Math.floor(next() * 12);
      const source = Array.from({ length }, () => PIECES[Math.floor(next() * PIECES.length)]).join(' ');
      for (const result of RESULTS) {
        try {
          evaluateCondition(source, { result });
        } catch (error) {
          if (!(error instanceof ConditionError)) throw new Error(`${source} with ${JSON.stringify(result)} threw ${String(error)}`);
        }
        outcomes++;
      }
    }
    expect(outcomes).toBe(3000 * RESULTS.length);
  });

  it('evaluates random well-formed conditions to a value or a ConditionError', () => {
    const next = random(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
    const generate = (depth: number, inPredicate: boolean): string => {
      const sub = (): string => generate(depth - 1, inPredicate);
      const roll = next();
      if (depth <= 0 || roll < 0.25) {
        return pick(['result', '0', '1', '0.5', '-1', '"a"', 'nil', 'true', 'false', '[1, 2]', '[]', ...(inPredicate ? ['#', '#index'] : [])]);
      }
      if (roll < 0.35) {
        const operator = pick(['+', '-', '*', '/', '%', '**', '==', '!=', '<', '>=', 'and', 'or', '??', 'in', 'contains', 'matches', '..']);
        return `(${sub()} ${operator} ${sub()})`;
      }
      if (roll < 0.45) return `${pick(['not ', '-', '!'])}${sub()}`;
      if (roll < 0.55) return `(${sub()} ? ${sub()} : ${sub()})`;
      if (roll < 0.65) return `${sub()}[${sub()}]`;
      if (roll < 0.7) return `${sub()}[${sub()}:${sub()}]`;
      if (roll < 0.85) {
        return `${pick(['all', 'any', 'none', 'one', 'filter', 'map', 'count', 'sum'])}(${sub()}, {${generate(depth - 1, true)}})`;
      }
      const name = pick(['len', 'max', 'min', 'mean', 'median', 'abs', 'ceil', 'round', 'isNaN', 'isInf', 'isNil', 'asInt', 'asFloat', 'int', 'float', 'string']);
      return `${name}(${sub()})`;
    };
    const codes = new Set<string>();
    for (let i = 0; i < 1500; i++) {
      const source = generate(4, false);
      for (const result of RESULTS) {
        try {
          expect(typeof evaluateCondition(source, { result })).toBe('boolean');
          codes.add('bool');
        } catch (error) {
          if (!(error instanceof ConditionError)) throw new Error(`${source} with ${JSON.stringify(result)} threw ${String(error)}`);
          codes.add(error.code);
        }
      }
    }
    // the generator only writes well-formed conditions: every outcome is a value or a runtime error
    expect([...codes].sort()).toEqual(['bool', 'condition-eval', 'condition-not-bool']);
  });
});
