import { describe, expect, it } from '@jest/globals';
import { failure, run } from './helpers.js';

type Case = [source: string, result: unknown, expected: unknown];

const table = (cases: Case[]): Case[] => cases;

describe('len', () => {
  it.each(table([
    ['len(result)', [1, 2, 3], 3],
    ['len(result)', [], 0],
    ['len("héllo")', null, 5],
    ['len("")', null, 0],
    ['len(result)', { a: 1, b: 2 }, 2],
    ['len(1..10)', null, 10],
  ]))('%s with result %j = %j', (source, result, expected) => {
    expect(run(source, result)).toEqual(expected);
  });

  it('fails on values without a length', () => {
    expect(failure('len(result)', 5).detail).toBe('len() expects an array, string or map, got number 5');
    expect(failure('len(result)', null).detail).toBe('len() expects an array, string or map, got nil');
  });
});

describe('predicate builtins: all, any, none, one, filter, map, count', () => {
  it.each(table([
    ['all(result, {# < 0.05})', [0.01, 0.02], true],
    ['all(result, # < 0.05)', [0.01, 0.02], true],
    ['all(result, {# < 0.05})', [0.01, 0.2], false],
    ['all(result, # < 0.05)', [0.01, 0.2], false],
    ['all(result, {# < 0.05})', [], true],
    ['all(result, {# < 0.05})', [0.01, NaN], false],
    ['any(result, {# > 1})', [0, 2], true],
    ['any(result, # > 1)', [0, 1], false],
    ['any(result, # > 1)', [], false],
    ['none(result, {# > 1})', [0, 1], true],
    ['none(result, # > 1)', [0, 2], false],
    ['none(result, # > 1)', [], true],
    ['one(result, {# > 1})', [0, 2], true],
    ['one(result, # > 1)', [2, 3], false],
    ['one(result, # > 1)', [], false],
    ['filter(result, {# > 1})', [0, 2, 3], [2, 3]],
    ['filter(result, # > 5)', [0, 2, 3], []],
    ['map(result, {# * 100})', [0.01, 0.5], [1, 50]],
    ['map(result, # > 0)', [1, -1], [true, false]],
    ['map(result, {#})', [], []],
    ['count(result, # > 1)', [1, 2, 3], 2],
    ['count(result, {# > 1})', [], 0],
    ['count(result)', [true, false, true], 2],
    ['count(1..10, # % 2 == 0)', null, 5],
  ]))('%s with result %j = %j', (source, result, expected) => {
    expect(run(source, result)).toEqual(expected);
  });

  it('stops early once the answer is known', () => {
    // the predicate would fail on the second element; all() has its answer after the first
    expect(run('all(result, {# > 1})', [0, 'x'])).toBe(false);
    expect(run('any(result, {# > 1})', [2, 'x'])).toBe(true);
  });

  it.each([
    ['all(result, {#})', [1], 'the predicate of all() must return a bool, got number 1'],
    ['filter(result, #)', [1], 'the predicate of filter() must return a bool, got number 1'],
    ['count(result)', [1], 'the predicate of count() must return a bool, got number 1'],
    ['all(result, {# > 0})', 5, 'all() expects an array, got number 5'],
    ['any(result, {# > 0})', null, 'any() expects an array, got nil'],
    ['map(result, {# > 0})', 'abc', 'map() expects an array, got string "abc"'],
    ['all(result, {# > 0})', ['a'], 'invalid operation: string > number'],
  ])('%s with result %j fails: %s', (source, result, message) => {
    expect(failure(source, result).detail).toContain(message);
  });
});

describe('aggregates: sum, max, min, mean, median', () => {
  it.each(table([
    ['sum(result)', [1, 2, 3.5], 6.5],
    ['sum(result)', [], 0],
    ['sum(result, {# * 2})', [1, 2], 6],
    ['sum(result, # > 1 ? 1 : 0)', [1, 2, 3], 2],
    ['max(result)', [1, 5, 3], 5],
    ['max(1, 7, 3)', null, 7],
    ['max(result, 10)', [1, 5], 10],
    ['max([1, [9, 2]])', null, 9],
    ['max(result)', [-Infinity, -1], -1],
    ['max(result)', [], null],
    ['min(result)', [1, 5, 3], 1],
    ['min(4, 2)', null, 2],
    ['min(result)', [], null],
    ['mean(result)', [1, 2, 3, 6], 3],
    ['mean(result)', [0.5], 0.5],
    ['mean(1, 2)', null, 1.5],
    ['mean(result)', [], null],
    ['median(result)', [3, 1, 2], 2],
    ['median(result)', [4, 1, 3, 2], 2.5],
    ['median(result)', [], null],
  ]))('%s with result %j = %j', (source, result, expected) => {
    expect(run(source, result)).toEqual(expected);
  });

  it('propagates NaN, so a NaN in the data is never hidden', () => {
    for (const source of ['sum(result)', 'max(result)', 'min(result)', 'mean(result)', 'median(result)']) {
      expect(run(source, [1, NaN, 3])).toBeNaN();
      expect(run(source, [NaN, 1])).toBeNaN();
    }
  });

  it('makes a comparison with the aggregate of no data an error, not a pass', () => {
    const error = failure('mean(result) < 0.05', []);
    expect(error.code).toBe('condition-eval');
    expect(error.detail).toBe('invalid operation: nil < number (mismatched types); mean(result) is nil because its array is empty (no data returned)');
    expect(failure('max(result) <= 100', []).detail).toContain('no data returned');
    expect(run('(mean(result) ?? 0) < 0.05', [])).toBe(true);
  });

  it.each([
    ['sum(result)', ['a'], 'sum() expects numbers or arrays of numbers, got string "a"'],
    ['sum(result)', 5, 'sum() expects an array, got number 5'],
    ['max(result)', [null], 'max() expects numbers or arrays of numbers, got nil'],
    ['min("a")', null, 'min() expects numbers or arrays of numbers, got string "a"'],
    ['mean(result)', [true], 'mean() expects numbers or arrays of numbers, got bool true'],
  ])('%s with result %j fails: %s', (source, result, message) => {
    expect(failure(source, result).detail).toBe(message);
  });
});

describe('math: abs, ceil, floor, round, isNaN, isInf', () => {
  it.each(table([
    ['abs(-2.5)', null, 2.5],
    ['abs(3)', null, 3],
    ['ceil(1.2)', null, 2],
    ['ceil(-1.2)', null, -1],
    ['floor(1.8)', null, 1],
    ['floor(-1.2)', null, -2],
    ['round(1.5)', null, 2],
    ['round(2.5)', null, 3],
    ['round(-2.5)', null, -3],
    ['round(0.4)', null, 0],
    ['round(result)', NaN, NaN],
    ['isNaN(result)', NaN, true],
    ['isNaN(result)', 0.5, false],
    ['isNaN(result[0])', [NaN], true],
    ['isNaN(0 / 0)', null, true],
    ['isInf(result)', Infinity, true],
    ['isInf(result)', -Infinity, true],
    ['isInf(result)', 1e308, false],
    ['isInf(result)', NaN, false],
    ['isInf(result, 1)', Infinity, true],
    ['isInf(result, 1)', -Infinity, false],
    ['isInf(result, -1)', -Infinity, true],
    ['isInf(result, -1)', Infinity, false],
    ['isInf(result, 0)', -Infinity, true],
    ['isInf(1 / 0)', null, true],
  ]))('%s with result %j = %j', (source, result, expected) => {
    expect(run(source, result)).toEqual(expected);
  });

  it.each([
    ['abs("1")', 'abs() expects a number, got string "1"'],
    ['ceil(nil)', 'ceil() expects a number, got nil'],
    ['isNaN(result)', 'isNaN() expects a number, got array [1]'],
    ['isInf("x")', 'isInf() expects a number, got string "x"'],
    ['isInf(1, "x")', 'isInf() expects a number, got string "x"'],
  ])('%s fails: %s', (source, message) => {
    expect(failure(source, [1]).detail).toBe(message);
  });
});

describe('nil helpers: isNil, default', () => {
  it.each(table([
    ['isNil(result)', null, true],
    ['isNil(result)', undefined, true],
    ['isNil(result)', [], false],
    ['isNil(result)', 0, false],
    ['isNil(result)', '', false],
    ['default(result, 0)', null, 0],
    ['default(result, 0)', '', 0],
    ['default(result, 0)', 0.7, 0.7],
    ['default(result, 0)', 0, 0],
    ['default(result, 0)', false, false],
    ['default(result, 0)', [], []],
    ['default(result, 0) < 0.05', null, true],
    ['default(nil, "x")', null, 'x'],
  ]))('%s with result %j = %j', (source, result, expected) => {
    expect(run(source, result)).toEqual(expected);
  });
});

describe('conversions: asInt, asFloat, int, float, string', () => {
  it.each(table([
    ['asInt("42")', null, 42],
    ['asInt("-7")', null, -7],
    ['asInt("+7")', null, 7],
    ['asInt("007")', null, 7],
    ['asInt(3.9)', null, 3],
    ['asInt(-3.9)', null, -3],
    ['asInt(result)', 5, 5],
    ['asInt("9223372036854775807") > 0', null, true],
    ['asFloat("1.1")', null, 1.1],
    ['asFloat("1.1") >= 1.1', null, true],
    ['asFloat("1e3")', null, 1000],
    ['asFloat(".5")', null, 0.5],
    ['asFloat("5.")', null, 5],
    ['asFloat("-0.25")', null, -0.25],
    ['asFloat("+Inf")', null, Infinity],
    ['asFloat("-inf")', null, -Infinity],
    ['asFloat("Infinity")', null, Infinity],
    ['isNaN(asFloat("NaN"))', null, true],
    ['asFloat(2)', null, 2],
    ['asFloat(result) > 0.5', '0.75', true],
    ['int("12")', null, 12],
    ['int(2.7)', null, 2],
    ['int(-2.7)', null, -2],
    ['float("2.5")', null, 2.5],
    ['float(2)', null, 2],
    ['int("12") + float("1.5")', null, 13.5],
    ['string(1)', null, '1'],
    ['string(0.5)', null, '0.5'],
    ['string(-2.25)', null, '-2.25'],
    ['string(1000000)', null, '1000000'],
    ['string(1e21)', null, '1e+21'],
    ['string(0.00001)', null, '1e-05'],
    ['string(0.0001)', null, '0.0001'],
    ['string(1.5e-300)', null, '1.5e-300'],
    ['string(result)', NaN, 'NaN'],
    ['string(result)', Infinity, '+Inf'],
    ['string(result)', -Infinity, '-Inf'],
    ['string(nil)', null, '<nil>'],
    ['string(true)', null, 'true'],
    ['string("x")', null, 'x'],
    ['string([1, 2.5, nil, "x"])', null, '[1 2.5 <nil> x]'],
    ['string(result)', { b: 2, a: 1 }, 'map[a:1 b:2]'],
    ['string(1) + "%"', null, '1%'],
  ]))('%s with result %j = %j', (source, result, expected) => {
    expect(run(source, result)).toEqual(expected);
  });

  it.each([
    ['asInt("1.1")', 'asInt("1.1"): invalid syntax, expected an integer'],
    ['asInt("")', 'asInt(""): invalid syntax, expected an integer'],
    ['asInt(" 1")', 'asInt(" 1"): invalid syntax, expected an integer'],
    ['asInt("1_000")', 'invalid syntax'],
    ['asInt("0x10")', 'invalid syntax'],
    ['asInt("9223372036854775808")', 'asInt("9223372036854775808"): value out of range'],
    ['asInt(true)', 'asInt() is not supported on bool true'],
    ['asInt(nil)', 'asInt() is not supported on nil'],
    ['asInt(result)', 'asInt(number NaN): cannot convert to an integer'],
    ['asInt(1 / 0)', 'cannot convert to an integer'],
    ['asFloat("abc")', 'asFloat("abc"): invalid syntax, expected a number'],
    ['asFloat("1.1.1")', 'invalid syntax'],
    ['asFloat("")', 'invalid syntax'],
    ['asFloat("1e400")', 'asFloat("1e400"): value out of range'],
    ['asFloat([1])', 'asFloat() is not supported on array [1]'],
    ['int("2.7")', 'int("2.7"): invalid syntax, expected an integer'],
    ['float("x")', 'float("x"): invalid syntax, expected a number'],
  ])('%s fails: %s', (source, message) => {
    const error = failure(source, NaN);
    expect(error.code).toBe('condition-eval');
    expect(error.detail).toContain(message);
  });
});
