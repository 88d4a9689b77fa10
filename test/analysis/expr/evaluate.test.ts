import { describe, expect, it } from '@jest/globals';
import { MAX_RANGE } from '../../../src/analysis/expr/evaluate.js';
import { compileCondition } from '../../../src/analysis/expr/index.js';
import { failure, run } from './helpers.js';

describe('arithmetic', () => {
  it.each([
    ['1 + 2', 3],
    ['7 - 10', -3],
    ['2 * 3.5', 7],
    ['7 / 2', 3.5],
    ['6 / 3', 2],
    ['1 / 0', Infinity],
    ['-1 / 0', -Infinity],
    ['0 / 0', NaN],
    ['7 % 3', 1],
    ['-7 % 3', -1],
    ['7 % -3', 1],
    ['2 ** 10', 1024],
    ['2 ^ 3', 8],
    ['4 ** 0.5', 2],
    ['2 ** -1', 0.5],
    ['-2 ** 2', -4],
    ['(-2) ** 2', 4],
    ['- -3', 3],
    ['+3', 3],
    ['1e3 + 1', 1001],
    ['1_000 * 2', 2000],
    ['0.1 + 0.2', 0.1 + 0.2],
    ['2 + 3 * 4 - 6 / 2', 11],
    ['"con" + "cat"', 'concat'],
    ['"" + ""', ''],
  ])('%s = %p', (source, expected) => {
    expect(run(source)).toBe(expected);
  });

  it('follows Go math.Pow where JavaScript differs', () => {
    expect(run('1 ** result', NaN)).toBe(1);
    expect(run('result ** 0', NaN)).toBe(1);
    expect(run('(-1) ** result', Infinity)).toBe(1);
  });

  it('works on measured values', () => {
    expect(run('result * 100', 0.05)).toBeCloseTo(5);
    expect(run('result[0] / result[1]', [1, 4])).toBe(0.25);
  });

  it.each([
    ['"a" + 1', 'invalid operation: string + number (mismatched types)'],
    ['1 - "a"', 'invalid operation: number - string (mismatched types)'],
    ['true * 2', 'invalid operation: bool * number (mismatched types)'],
    ['nil + 1', 'invalid operation: nil + number (mismatched types); nil is nil'],
    ['[1] + [2]', 'invalid operation: array + array (mismatched types)'],
    ['-"a"', 'invalid operation: unary - needs a number, got string "a"'],
    ['+true', 'invalid operation: unary + needs a number, got bool true'],
    ['7 % 2.5', 'invalid operation: % needs integers, got 7 % 2.5'],
    ['7.5 % 2', 'invalid operation: % needs integers'],
    ['7 % 0', 'integer divide by zero'],
    ['"a" % 2', 'invalid operation: string % number'],
  ])('%s fails: %s', (source, message) => {
    const error = failure(source);
    expect(error.code).toBe('condition-eval');
    expect(error.detail).toContain(message);
  });
});

describe('comparison', () => {
  it.each([
    ['1 < 2', true],
    ['2 < 1', false],
    ['1 <= 1', true],
    ['2 > 1', true],
    ['1 >= 1.0', true],
    ['0.95 >= 0.9', true],
    ['-1 < 0', true],
    ['"a" < "b"', true],
    ['"b" >= "a"', true],
    ['"abc" > "abd"', false],
    ['1 < 2 < 3', true],
    ['1 < 3 < 2', false],
    ['0 <= 0.5 <= 1', true],
  ])('%s is %p', (source, expected) => {
    expect(run(source)).toBe(expected);
  });

  it.each([
    ['result >= 0.9', false],
    ['result <= 0.9', false],
    ['result > 0.9', false],
    ['result < 0.9', false],
    ['result == result', false],
    ['result != result', true],
    ['result == 0', false],
    ['not (result >= 0.9)', true],
  ])('with NaN, %s is %p', (source, expected) => {
    expect(run(source, NaN)).toBe(expected);
  });

  it('compares infinities', () => {
    expect(run('result > 1e308', Infinity)).toBe(true);
    expect(run('result < -1e308', -Infinity)).toBe(true);
  });

  it.each([
    ['"a" < 1', 'invalid operation: string < number (mismatched types)'],
    ['nil < 1', 'invalid operation: nil < number (mismatched types); nil is nil'],
    ['true > false', 'invalid operation: bool > bool'],
    ['[1] < [2]', 'invalid operation: array < array'],
  ])('%s fails: %s', (source, message) => {
    expect(failure(source).detail).toContain(message);
  });

  it('refuses to compare an array with a number, and says how to fix it', () => {
    const error = failure('result >= 0.9', [0.95]);
    expect(error.code).toBe('condition-eval');
    expect(error.detail).toBe(
      'invalid operation: array >= number (mismatched types); result is an array [0.95]: compare one element, as in result[0], or use all()/any()',
    );
    expect(failure('0.9 < result', [])).toMatchObject({ code: 'condition-eval' });
    expect(failure('filter(result, # > 1) > 0', [2]).detail).toContain('as in (filter(result, # > 1))[0]');
  });
});

describe('equality', () => {
  it.each([
    ['1 == 1', null, true],
    ['1 == 1.0', null, true],
    ['1 != 2', null, true],
    ['"1" == 1', null, false],
    ['1 != "1"', null, true],
    ['"a" == "a"', null, true],
    ['true == true', null, true],
    ['true == 1', null, false],
    ['nil == nil', null, true],
    ['nil == 0', null, false],
    ['nil == false', null, false],
    ['[1, 2] == [1, 2]', null, true],
    ['[1, 2] == [2, 1]', null, false],
    ['[1] != [1, 2]', null, true],
    ['[[1]] == [[1]]', null, true],
    ['[] == []', null, true],
    ['1..3 == [1, 2, 3]', null, true],
    ['result == nil', null, true],
    ['result == nil', [], false],
    ['result != nil', [], true],
    ['result == []', [], true],
    ['result == [0.5]', [0.5], true],
    ['result == result', { a: [1] }, true],
  ])('%s with result %j is %p', (source, result, expected) => {
    expect(run(source, result)).toBe(expected);
  });
});

describe('logic', () => {
  it.each([
    ['true and true', true],
    ['true and false', false],
    ['false and true', false],
    ['true && true', true],
    ['true or false', true],
    ['false or false', false],
    ['false || true', true],
    ['not true', false],
    ['!false', true],
    ['not not true', true],
    ['!(1 > 2)', true],
  ])('%s is %p', (source, expected) => {
    expect(run(source)).toBe(expected);
  });

  it('short-circuits: the right side is not evaluated when the left decides', () => {
    expect(run('false and result[0] > 1', [])).toBe(false);
    expect(run('true or result[0] > 1', [])).toBe(true);
    expect(run('len(result) == 0 || result[0] < 5', [])).toBe(true);
    expect(run('len(result) > 0 && result[0] < 0.05', [])).toBe(false);
    expect(run('result == nil || result[0] < 100', null)).toBe(true);
  });

  it.each([
    ['1 and true', 'invalid operation: and needs bools, but 1 is number 1'],
    ['true and 1', 'invalid operation: and needs bools, but 1 is number 1'],
    ['result or true', 'invalid operation: or needs bools, but result is array [1]'],
    ['not 1', 'invalid operation: not needs a bool, got number 1'],
    ['!nil', 'invalid operation: not needs a bool, got nil'],
  ])('%s fails: %s', (source, message) => {
    expect(failure(source, [1]).detail).toBe(message);
  });
});

describe('ternary and nil coalescing', () => {
  it.each([
    ['result > 1 ? "high" : "low"', 2, 'high'],
    ['result > 1 ? "high" : "low"', 1, 'low'],
    ['true ? 1 : 2 + 3', null, 1],
    ['false ? 1 : true ? 2 : 3', null, 2],
    ['result > 0.9 ?: false', 1, true],
    ['result > 0.9 ?: 5', 0, 5],
    ['len(result) > 0 ? result[0] < 0.05 : false', [], false],
    ['nil ?? 1', null, 1],
    ['result ?? 5', null, 5],
    ['result ?? 5', 0, 0],
    ['result ?? 5', false, false],
    ['result ?? 5', '', ''],
    ['nil ?? nil ?? 3', null, 3],
    ['(result ?? [0])[0]', null, 0],
  ])('%s with result %j is %p', (source, result, expected) => {
    expect(run(source, result)).toEqual(expected);
  });

  it('does not evaluate the branch not taken', () => {
    expect(run('len(result) == 0 ? true : result[0] > 1', [])).toBe(true);
    expect(run('result ?? result[0]', 1)).toBe(1);
  });

  it('needs a bool condition', () => {
    expect(failure('result ? 1 : 2', 1).detail).toBe('the condition of ?: must be a bool, got number 1');
    expect(failure('nil ?: 1').detail).toBe('the condition of ?: must be a bool, got nil');
  });
});

describe('ranges', () => {
  it.each([
    ['1..3', [1, 2, 3]],
    ['1..1', [1]],
    ['3..1', []],
    ['-1..1', [-1, 0, 1]],
    ['0..2 == [0, 1, 2]', true],
    ['sum(1..100)', 5050],
    ['len(1..1000000)', 1_000_000],
  ])('%s = %j', (source, expected) => {
    expect(run(source)).toEqual(expected);
  });

  it('refuses ranges over the limit at once instead of building them', () => {
    const error = failure('1..100000000');
    expect(error.code).toBe('condition-eval');
    expect(error.detail).toBe('range 1..100000000 is too large (100000000 elements, limit 1000000)');
    expect(failure(`1..${MAX_RANGE + 1}`).detail).toContain('too large');
    expect(failure('len(-1e15..1e15) > 0').detail).toContain('too large');
  });

  it('needs integers', () => {
    expect(failure('1.5..3').detail).toBe('invalid operation: .. needs integers, got number 1.5 and number 3');
    expect(failure('1.."3"').detail).toContain('.. needs integers');
  });
});

describe('membership and string operators', () => {
  it.each([
    ['2 in result', [1, 2, 3], true],
    ['5 in result', [1, 2, 3], false],
    ['2 not in result', [1, 2, 3], false],
    ['2 in []', null, false],
    ['"a" in ["a", "b"]', null, true],
    ['[1] in [[1], [2]]', null, true],
    ['1 in nil', null, false],
    ['result in [nil]', null, true],
    ['result in [1, 2]', NaN, false],
    ['"a" in result', { a: 1 }, true],
    ['"b" in result', { a: 1 }, false],
    ['"toString" in result', { a: 1 }, false],
    ['"error" contains "err"', null, true],
    ['"error" contains "x"', null, false],
    ['"canary-v2" startsWith "canary"', null, true],
    ['"canary-v2" endsWith "v2"', null, true],
    ['"canary-v2" endsWith "v3"', null, false],
    ['"abc" not contains "x"', null, true],
    ['"abc" not startsWith "a"', null, false],
    ['"abc" not endsWith "a"', null, true],
    ['"v1.2.3" matches "^v\\\\d+\\\\.\\\\d+"', null, true],
    ['"abc" matches "b"', null, true],
    ['"abc" matches "^b"', null, false],
    ['"ABC" matches "(?i)abc"', null, true],
    ['"abc" not matches "^x"', null, true],
    ['result matches "^[0-9]+$"', '123', true],
  ])('%s with result %j is %p', (source, result, expected) => {
    expect(run(source, result)).toBe(expected);
  });

  it.each([
    ['1 in 5', 'invalid operation: in needs an array or a map on the right, got number 5'],
    ['1 in "abc"', 'in needs an array or a map'],
    ['1 in result', 'the key of in must be a string, got number 1'],
    ['1 contains "a"', 'invalid operation: contains needs two strings, got number 1 and string "a"'],
    ['"a" startsWith nil', 'startsWith needs two strings'],
    ['[1] endsWith "a"', 'endsWith needs two strings'],
    ['1 matches "a"', 'matches needs two strings'],
  ])('%s fails: %s', (source, message) => {
    expect(failure(source, { a: 1 }).detail).toContain(message);
  });

  it('checks a pattern that is not a literal when it is evaluated', () => {
    expect(failure('"abc" matches result', '(').detail).toContain('invalid regular expression "("');
    expect(failure('"abc" matches result', 'a'.repeat(1001)).detail).toContain('regular expression is too long');
  });

  it('speaks RE2 as expr does: no lookaround, and nested quantifiers match without backtracking', () => {
    expect(failure('"abc" matches result', '(?=a)').detail).toContain('invalid regular expression "(?=a)": invalid or unsupported Perl syntax');
    // exponential for a backtracking engine (minutes at this length); linear with RE2
    expect(run('result matches "^(a+)+$"', `${'a'.repeat(5000)}!`)).toBe(false);
    expect(run('result matches "(x+x+)+y"', 'x'.repeat(5000))).toBe(false);
  });
});

describe('indexing and slicing', () => {
  it.each([
    ['result[0]', [0.5, 0.7], 0.5],
    ['result[1]', [0.5, 0.7], 0.7],
    ['result[-1]', [0.5, 0.7], 0.7],
    ['result[-2]', [0.5, 0.7], 0.5],
    ['result[0][1]', [[1, 2]], 2],
    ['[1, 2, 3][1]', null, 2],
    ['(1..5)[4]', null, 5],
    ['"abc"[0]', null, 'a'],
    ['"héllo"[1]', null, 'é'],
    ['"abc"[-1]', null, 'c'],
    ['result["a"]', { a: 1 }, 1],
    ['result["b"]', { a: 1 }, null],
    ['result.a', { a: 1 }, 1],
    ['result.b', { a: 1 }, null],
    ['result.a.b', { a: { b: true } }, true],
    ['result[1:3]', [1, 2, 3, 4], [2, 3]],
    ['result[:2]', [1, 2, 3, 4], [1, 2]],
    ['result[2:]', [1, 2, 3, 4], [3, 4]],
    ['result[:]', [1, 2, 3, 4], [1, 2, 3, 4]],
    ['result[-2:]', [1, 2, 3, 4], [3, 4]],
    ['result[:-1]', [1, 2, 3, 4], [1, 2, 3]],
    ['result[1:100]', [1, 2, 3, 4], [2, 3, 4]],
    ['result[5:]', [1, 2, 3, 4], []],
    ['result[3:1]', [1, 2, 3, 4], []],
    ['result[-100:1]', [1, 2, 3, 4], [1]],
    ['result[0:1]', [], []],
    ['"hello"[1:3]', null, 'el'],
    ['"hello"[3:]', null, 'lo'],
  ])('%s with result %j is %j', (source, result, expected) => {
    expect(run(source, result)).toEqual(expected);
  });

  it('says "no data returned" when indexing an empty result', () => {
    for (const source of ['result[0]', 'result[-1]', 'result[0] >= 0.95', 'result[0] < 0.05 || true']) {
      const error = failure(source, []);
      expect(error.code).toBe('condition-eval');
      expect(error.detail).toMatch(/^index -?\d out of range: result is empty \(no data returned\)$/);
    }
    expect(failure('filter(result, # > 1)[0]', [1]).detail).toBe('index 0 out of range: filter(result, # > 1) is empty (no data returned)');
    expect(failure('result[0]', null).detail).toBe('cannot index nil: result is nil (no data returned)');
  });

  it('refuses indexes past the end', () => {
    expect(failure('result[2]', [1, 2]).detail).toBe('index 2 out of range: result has 2 elements');
    expect(failure('result[1]', [1]).detail).toBe('index 1 out of range: result has 1 element');
    expect(failure('result[-3]', [1, 2]).detail).toBe('index -3 out of range: result has 2 elements');
    expect(failure('"ab"[2]').detail).toBe('index 2 out of range: "ab" has 2 elements');
  });

  it.each([
    ['result[0.5]', [1], 'an index must be an integer, got number 0.5'],
    ['result["a"]', [1], 'an index must be an integer, got string "a"'],
    ['result[0]', 5, 'cannot index number 5'],
    ['result[0]', true, 'cannot index bool true'],
    ['result[1]', { a: 1 }, 'a map key must be a string, got number 1'],
    ['result.a', [1], 'cannot read field a: result is array [1]'],
    ['result.a', null, 'cannot read field a: result is nil'],
    ['result[1:2]', 5, 'cannot slice number 5'],
    ['result[1:2]', null, 'cannot slice nil: result is nil'],
    ['result[0.5:]', [1], 'a slice bound must be an integer, got number 0.5'],
  ])('%s with result %j fails: %s', (source, result, message) => {
    expect(failure(source, result).detail).toBe(message);
  });
});

describe('predicates', () => {
  it('binds # to each element and #index to its position', () => {
    expect(run('map(result, {# * 10})', [1, 2])).toEqual([10, 20]);
    expect(run('map(result, {#index})', [5, 6, 7])).toEqual([0, 1, 2]);
    expect(run('filter(result, # > #index)', [5, 0, 7])).toEqual([5, 7]);
  });

  it('binds # to the innermost predicate', () => {
    expect(run('all(result, {any(#, {# > 2})})', [[1, 3], [4]])).toBe(true);
    expect(run('all(result, {any(#, {# > 2})})', [[1, 3], [1]])).toBe(false);
    expect(run('map(result, {len(filter(#, # > 0))})', [[1, -1], [1, 2]])).toEqual([1, 2]);
  });

  it('reads maps in predicates', () => {
    expect(run('all(result, {#.ok})', [{ ok: true }, { ok: true }])).toBe(true);
  });

  it('does not leak # outside its predicate', () => {
    expect(failure('all(result, {# > 0}) && # > 0', [1]).code).toBe('condition-syntax');
  });
});

describe('the environment', () => {
  it('passes measured values in as language values', () => {
    expect(run('result', undefined)).toBeNull();
    expect(run('result[1]', new Float64Array([1, 2]))).toBe(2);
    expect(run('result + 1', 2n)).toBe(3);
    expect(run('result.a[0]', { a: [1] })).toBe(1);
  });

  it('refuses values the language has no type for', () => {
    expect(failure('result', () => 1).detail).toBe('result has an unsupported type (function)');
    expect(failure('result', new Date(0)).detail).toContain('unsupported type');
  });

  it('reports a name the environment lacks as an evaluation error', () => {
    const error = (() => {
      try {
        compileCondition('result > 1').evaluate({});
      } catch (caught) {
        return caught as { code: string; detail: string; position: unknown };
      }
      throw new Error('expected an error');
    })();
    expect(error).toMatchObject({ code: 'condition-eval', detail: 'unknown name result: the environment does not provide it' });
    expect(error.position).toEqual({ offset: 0, line: 1, column: 1 });
  });

  it('does not read inherited properties of the environment', () => {
    expect(() => compileCondition('result').evaluate(Object.create({ result: 1 }))).toThrow('unknown name result');
  });
});

describe('bounded cost', () => {
  it.each([
    ['map(1..1000, {1..1000000})'],
    ['count(1..1000000, {count(1..1000000, {true}) > 0}) > 0'],
    ['all(1..1000000, {all(1..1000000, {# > 0})})'],
    ['len(map(1..1000000, {map(1..100, {#})})) > 0'],
  ])('stops %s with an error instead of hanging', (source) => {
    const error = failure(source);
    expect(error.code).toBe('condition-eval');
    expect(error.detail).toMatch(/too expensive to evaluate \(more than \d+ steps\)/);
  });

  it('starts every evaluation with a fresh budget', () => {
    // each run costs about 2 million steps: a budget shared between runs would run out on the third
    const condition = compileCondition('sum(1..1000000) > 0');
    for (let i = 0; i < 3; i++) expect(condition.evaluate({ result: null })).toBe(true);
  });

  it('handles a large measurement', () => {
    const result = Array.from({ length: 100_000 }, (_, i) => i / 100_000);
    expect(run('all(result, {# < 1}) and max(result) < 1 and len(result) == 100000', result)).toBe(true);
  });
});
