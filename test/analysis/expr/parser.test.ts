import { describe, expect, it } from '@jest/globals';
import { ExprNameError, ExprSyntaxError } from '../../../src/analysis/expr/errors.js';
import { MAX_NESTING, MAX_SOURCE_LENGTH, parse, type Node } from '../../../src/analysis/expr/parser.js';
import { thrownBy } from '../support.js';

/** The tree as an S-expression, to compare shapes without positions: `(+ 1 (* 2 3))`. */
function sexpr(node: Node): string {
  switch (node.kind) {
    case 'number':
    case 'bool':
      return String(node.value);
    case 'string':
      return JSON.stringify(node.value);
    case 'nil':
      return 'nil';
    case 'name':
      return node.name;
    case 'pointer':
      return node.name === 'element' ? '#' : '#index';
    case 'array':
      return `[${node.elements.map(sexpr).join(' ')}]`;
    case 'unary':
      return `(${node.operator} ${sexpr(node.operand)})`;
    case 'binary':
      return `(${node.operator} ${sexpr(node.left)} ${sexpr(node.right)})`;
    case 'conditional':
      return `(? ${sexpr(node.test)} ${sexpr(node.consequent)} ${sexpr(node.alternate)})`;
    case 'member':
      return `(. ${sexpr(node.object)} ${node.property})`;
    case 'index':
      return `([] ${sexpr(node.object)} ${sexpr(node.index)})`;
    case 'slice':
      return `([:] ${sexpr(node.object)} ${node.from ? sexpr(node.from) : '_'} ${node.to ? sexpr(node.to) : '_'})`;
    case 'call':
      return `(${node.name}${node.args.map((arg) => ` ${sexpr(arg)}`).join('')})`;
    case 'closure':
      return `{${sexpr(node.body)}}`;
  }
}

const shape = (source: string): string => sexpr(parse(source).root);

const syntaxError = (source: string): ExprSyntaxError => thrownBy(ExprSyntaxError, () => parse(source));

describe('parse: literals and primaries', () => {
  it.each([
    ['42', '42'],
    ['0.95', '0.95'],
    ['"text"', '"text"'],
    ['true', 'true'],
    ['false', 'false'],
    ['nil', 'nil'],
    ['result', 'result'],
    ['[]', '[]'],
    ['[1, "a", [true]]', '[1 "a" [true]]'],
    ['[1, 2,]', '[1 2]'],
    ['(result)', 'result'],
    ['((1))', '1'],
  ])('%s → %s', (source, expected) => {
    expect(shape(source)).toBe(expected);
  });
});

describe('parse: precedence and associativity (expr-lang table)', () => {
  it.each([
    // arithmetic
    ['1 + 2 * 3', '(+ 1 (* 2 3))'],
    ['1 * 2 + 3', '(+ (* 1 2) 3)'],
    ['1 - 2 - 3', '(- (- 1 2) 3)'],
    ['8 / 4 / 2', '(/ (/ 8 4) 2)'],
    ['7 % 4 * 2', '(* (% 7 4) 2)'],
    ['2 ** 3 ** 2', '(** 2 (** 3 2))'],
    ['2 ^ 3 ^ 2', '(** 2 (** 3 2))'],
    ['2 * 3 ** 2', '(* 2 (** 3 2))'],
    ['(1 + 2) * 3', '(* (+ 1 2) 3)'],
    // unary
    ['-2 ** 2', '(- (** 2 2))'],
    ['-result * 2', '(* (- result) 2)'],
    ['+1', '(+ 1)'],
    ['- -1', '(- (- 1))'],
    ['-result[0]', '(- ([] result 0))'],
    ['not true == false', '(== (not true) false)'],
    ['!true && false', '(and (not true) false)'],
    ['not (true == false)', '(not (== true false))'],
    ['!!true', '(not (not true))'],
    // logic
    ['true or false and false', '(or true (and false false))'],
    ['true and false or true', '(or (and true false) true)'],
    ['true || false && false', '(or true (and false false))'],
    ['1 < 2 and 3 > 2', '(and (< 1 2) (> 3 2))'],
    ['1 + 1 == 2 || false', '(or (== (+ 1 1) 2) false)'],
    // comparisons
    ['1 == 1 == true', '(== (== 1 1) true)'],
    ['1 < 2 < 3', '(and (< 1 2) (< 2 3))'],
    ['0 < result <= 1 < 2', '(and (and (< 0 result) (<= result 1)) (< 1 2))'],
    ['1 < 2 == true', '(== (< 1 2) true)'],
    ['2 in result', '(in 2 result)'],
    ['2 not in result', '(not (in 2 result))'],
    ['"ab" not contains "c"', '(not (contains "ab" "c"))'],
    ['"ab" not startsWith "c"', '(not (startsWith "ab" "c"))'],
    ['"ab" not endsWith "c"', '(not (endsWith "ab" "c"))'],
    ['"ab" not matches "c"', '(not (matches "ab" "c"))'],
    ['"a" + "b" contains "b"', '(contains (+ "a" "b") "b")'],
    // range
    ['1..3', '(.. 1 3)'],
    ['1 + 1..5', '(.. (+ 1 1) 5)'],
    ['2 in 1..3', '(in 2 (.. 1 3))'],
    ['1..3 == [1, 2, 3]', '(== (.. 1 3) [1 2 3])'],
    // nil coalescing
    ['nil ?? 1', '(?? nil 1)'],
    ['nil ?? nil ?? 1', '(?? (?? nil nil) 1)'],
    ['1 + nil ?? 2', '(+ 1 (?? nil 2))'],
    ['(result ?? 0) > 1', '(> (?? result 0) 1)'],
    // ternary
    ['true ? 1 : 2', '(? true 1 2)'],
    ['true ? 1 : false ? 2 : 3', '(? true 1 (? false 2 3))'],
    ['true ? false ? 1 : 2 : 3', '(? true (? false 1 2) 3)'],
    ['true or false ? 1 : 2', '(? (or true false) 1 2)'],
    ['result > 1 ? "hi" : "lo"', '(? (> result 1) "hi" "lo")'],
    ['true ?: false', '(? true true false)'],
    // postfix
    ['result[0] >= 0.95', '(>= ([] result 0) 0.95)'],
    ['result[-1]', '([] result (- 1))'],
    ['result[0][1]', '([] ([] result 0) 1)'],
    ['result[1:3]', '([:] result 1 3)'],
    ['result[:2]', '([:] result _ 2)'],
    ['result[1:]', '([:] result 1 _)'],
    ['result[:]', '([:] result _ _)'],
    ['result.a.b', '(. (. result a) b)'],
    ['result.in', '(. result in)'],
    ['(1..5)[0]', '([] (.. 1 5) 0)'],
    ['len(result)[0]', '([] (len result) 0)'],
  ])('%s → %s', (source, expected) => {
    expect(shape(source)).toBe(expected);
  });
});

describe('parse: calls and predicates', () => {
  it.each([
    ['len(result)', '(len result)'],
    ['len(result,)', '(len result)'],
    ['max(1, 2, 3)', '(max 1 2 3)'],
    ['all(result, {# < 0.05})', '(all result {(< # 0.05)})'],
    ['all(result, # < 0.05)', '(all result {(< # 0.05)})'],
    ['filter(result, {# > #index})', '(filter result {(> # #index)})'],
    ['count(result)', '(count result)'],
    ['count(result, # > 1)', '(count result {(> # 1)})'],
    ['sum(result, {# * 2})', '(sum result {(* # 2)})'],
    ['all(result, {any(#, {# > 0})})', '(all result {(any # {(> # 0)})})'],
    ['all(result, # > 0) && len(result) > 0', '(and (all result {(> # 0)}) (> (len result) 0))'],
    ['map(result, {# * 100})[0]', '([] (map result {(* # 100)}) 0)'],
    ['default(result, 0)', '(default result 0)'],
    ['isInf(result, -1)', '(isInf result (- 1))'],
  ])('%s → %s', (source, expected) => {
    expect(shape(source)).toBe(expected);
  });

  it('records the names the condition reads, with their first offset', () => {
    const { names } = parse('result[0] > 1 and all(result, {# > 0})');
    expect([...names]).toEqual([['result', 0]]);
    expect([...parse('len([1]) > 0').names]).toEqual([]);
  });

  it('records spans: the whole node, and the operator for errors', () => {
    const { root } = parse('result[0] >= 0.95');
    expect(root).toMatchObject({ kind: 'binary', start: 0, end: 17, at: 10 });
    if (root.kind !== 'binary') throw new Error('expected a binary node');
    expect(root.left).toMatchObject({ kind: 'index', start: 0, end: 9, at: 6 });
  });
});

describe('parse: errors say where and what', () => {
  it.each([
    ['result >=', 'unexpected end of condition', 9],
    ['result >= )', 'unexpected ")"', 10],
    ['(result > 1', 'expected ")" to close the "(" at column 1, got end of condition', 11],
    ['result[0', 'expected "]" to close the "[" at column 7, got end of condition', 8],
    ['[1, 2', 'expected "]" to close the "[" at column 1', 5],
    ['len(result', 'expected ")" to close the call of len() at column 4', 10],
    ['all(result, {# > 1)', 'expected "}" to close the predicate "{" at column 13, got ")"', 18],
    ['result > 1 2', 'unexpected number 2', 11],
    ['result > 1 "x"', 'unexpected string "x"', 11],
    ['1 +* 2', 'unexpected "*"', 3],
    ['result not 1', 'unexpected "not"', 7],
    ['true ? 1', 'expected ":" for the "?" at column 6, got end of condition', 8],
    ['len()', 'not enough arguments to call len(): expected 1 argument, got 0', 0],
    ['len(result, 1)', 'too many arguments to call len(): expected at most 1, got 2', 0],
    ['default(result)', 'not enough arguments to call default(): expected 2 arguments, got 1', 0],
    ['all(result)', 'not enough arguments to call all(): expected an array and a predicate', 0],
    ['all(result, # > 1, 2)', 'too many arguments to call all()', 0],
    ['# > 1', '# can only be used inside a predicate', 0],
    ['all(result, {#foo})', 'unknown name #foo', 13],
    ['result ?? 0 > 1', '> and ?? cannot be mixed without parentheses', 12],
    ['{a: 1}', 'braces only wrap predicates', 0],
    ['result.', 'expected a field name after ".", got end of condition', 7],
    ['result.1', 'expected a field name after ".", got number 1', 7],
    ['"abc" matches "("', 'invalid regular expression "("', 14],
    ['result == 1 +', 'unexpected end of condition', 13],
    ['', 'condition is empty', 0],
    ['  \n ', 'condition is empty', 0],
  ])('%j: %s', (source, message, offset) => {
    const error = syntaxError(source);
    expect(error.message).toContain(message);
    expect(error.offset).toBe(offset);
  });

  it('rejects unknown names and functions at compile time, as Argo does', () => {
    for (const [source, name, offset] of [['reslt[0] > 1', 'reslt', 0], ['result > threshold', 'threshold', 9], ['foo(result)', 'foo', 0]] as const) {
      const error = syntaxError(source);
      expect(error).toBeInstanceOf(ExprNameError);
      expect(error.message).toBe(`unknown name ${name}`);
      expect(error.offset).toBe(offset);
    }
  });

  it('rejects a condition longer than the limit', () => {
    const error = syntaxError(`result == ${'1'.repeat(MAX_SOURCE_LENGTH)}`);
    expect(error.message).toContain(`limit ${MAX_SOURCE_LENGTH}`);
  });
});

describe('parse: nesting is bounded', () => {
  it('accepts reasonable nesting', () => {
    expect(shape(`${'('.repeat(50)}1${')'.repeat(50)}`)).toBe('1');
    expect(shape(`${'!'.repeat(50)}true`)).toMatch(/^\(not/);
    const chain = Array.from({ length: 300 }, (_, i) => `result == ${i}`).join(' or ');
    expect(() => parse(chain)).not.toThrow();
  });

  it.each([
    ['parentheses', `${'('.repeat(MAX_NESTING + 1)}1${')'.repeat(MAX_NESTING + 1)}`],
    ['unclosed parentheses', '('.repeat(5000)],
    ['unary operators', `${'!'.repeat(5000)}true`],
    ['unary minus', `${'-'.repeat(5000)}1`],
    ['arrays', `${'['.repeat(3000)}${']'.repeat(3000)}`],
    ['indexes', `result${'[0'.repeat(2000)}${']'.repeat(2000)}`],
    ['calls', `${'abs('.repeat(1000)}1${')'.repeat(1000)}`],
    ['right-associative powers', Array.from({ length: 2000 }, () => '2').join('**')],
  ])('rejects deeply nested %s with an error, not a stack overflow', (_, source) => {
    expect(syntaxError(source).message).toContain('nested too deeply');
  });

  it('rejects a tree too deep to evaluate safely (a very long left-associative chain)', () => {
    const source = `1${' + 1'.repeat(2000)}`;
    expect(syntaxError(source).message).toContain('too long or nested too deeply');
  });
});
