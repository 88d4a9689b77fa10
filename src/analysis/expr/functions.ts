/**
 * Builtin functions of the condition language: expr's builtins that templates use (`len`, `all`,
 * `filter`, `sum`, `max`, `abs`, `int`, `string`, …) and the helpers Argo Rollouts adds to the
 * environment (`asInt`, `asFloat`, `isNaN`, `isInf`, `isNil`, `default`).
 *
 * Functions receive evaluated arguments. For the predicate builtins (`all(result, {# > 0})`) the
 * collection is the only argument and `ctx.predicate` runs the predicate for one element.
 */
import { RE2JS } from 're2js';
import { ExprEvalError } from './errors.js';
import { describe, formatGo, isArray, isMap, type Value } from './values.js';

export interface BuiltinContext {
  /** Present for predicate builtins: evaluates the predicate with `#` bound to `element`. */
  readonly predicate?: (element: Value, index: number) => Value;
  /** Counts work against the evaluation budget (one step per element visited). */
  charge(steps: number): void;
}

export interface Builtin {
  /** Fewest and most arguments (a predicate counts as one). */
  readonly min: number;
  readonly max: number;
  /** Whether the second argument is a predicate (`{# > 0}` or `# > 0`). */
  readonly predicate?: 'required' | 'optional';
  call(args: readonly Value[], ctx: BuiltinContext): Value;
}

const fail = (message: string): never => {
  throw new ExprEvalError(message);
};

function arrayArg(name: string, value: Value): readonly Value[] {
  if (isArray(value)) return value;
  return fail(`${name}() expects an array, got ${describe(value)}`);
}

function numberArg(name: string, value: Value): number {
  if (typeof value === 'number') return value;
  return fail(`${name}() expects a number, got ${describe(value)}`);
}

function boolResult(name: string, value: Value): boolean {
  if (typeof value === 'boolean') return value;
  return fail(`the predicate of ${name}() must return a bool, got ${describe(value)}`);
}

/** Elements of args[0] with the predicate's verdict, lazily, for all/any/none/one/filter/count. */
function* judged(name: string, args: readonly Value[], ctx: BuiltinContext): Generator<[boolean, Value]> {
  const items = arrayArg(name, args[0]);
  const predicate = ctx.predicate ?? ((element: Value) => element);
  for (let i = 0; i < items.length; i++) {
    ctx.charge(1);
    yield [boolResult(name, predicate(items[i], i)), items[i]];
  }
}

/** Numbers of the arguments, arrays flattened (max(1, 2), max(result), max([1, [2]])). */
function numbersOf(name: string, args: readonly Value[], ctx: BuiltinContext): number[] {
  const numbers: number[] = [];
  const visit = (value: Value, depth: number): void => {
    if (typeof value === 'number') {
      numbers.push(value);
    } else if (isArray(value) && depth < 8) {
      ctx.charge(value.length);
      for (const item of value) visit(item, depth + 1);
    } else {
      fail(`${name}() expects numbers or arrays of numbers, got ${describe(value)}`);
    }
  };
  for (const arg of args) visit(arg, 0);
  return numbers;
}

/** Go's math.Pow where it differs from JavaScript's `**` (x**0 = 1, 1**y = 1, (-1)**±Inf = 1). */
export function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return x ** y;
}

/** Go's math.Round: half away from zero. */
function goRound(x: number): number {
  if (!Number.isFinite(x)) return x;
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** strconv.ParseInt(s, 10, 64): an optional sign and decimal digits, nothing else. */
export function parseGoInt(name: string, text: string): number {
  if (!/^[+-]?\d+$/.test(text)) return fail(`${name}(${JSON.stringify(text)}): invalid syntax, expected an integer`);
  const big = BigInt(text);
  if (big < INT64_MIN || big > INT64_MAX) return fail(`${name}(${JSON.stringify(text)}): value out of range`);
  return Number(big);
}

/** strconv.ParseFloat(s, 64): decimal or exponent notation, Inf/Infinity with a sign, NaN. */
export function parseGoFloat(name: string, text: string): number {
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    return fail(`${name}(${JSON.stringify(text)}): invalid syntax, expected a number`);
  }
  const value = Number(text);
  if (!Number.isFinite(value)) return fail(`${name}(${JSON.stringify(text)}): value out of range`);
  return value;
}

function toInt(name: string, value: Value): number {
  if (typeof value === 'string') return parseGoInt(name, value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return fail(`${name}(${describe(value)}): cannot convert to an integer`);
    return Math.trunc(value) + 0; // + 0 turns -0 into 0
  }
  return fail(`${name}() is not supported on ${describe(value)}`);
}

function toFloat(name: string, value: Value): number {
  if (typeof value === 'string') return parseGoFloat(name, value);
  if (typeof value === 'number') return value;
  return fail(`${name}() is not supported on ${describe(value)}`);
}

function median(values: number[]): number {
  if (values.some(Number.isNaN)) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** max/min propagate NaN, as Go's math.Max does: a NaN in the data never hides behind a real number. */
function extreme(values: number[], pick: (a: number, b: number) => number): number | null {
  if (values.length === 0) return null;
  return values.reduce((best, value) => pick(best, value));
}

const MAX_PATTERN_LENGTH = 1000;
const patternCache = new Map<string, RE2JS>();
const MAX_CACHED_PATTERNS = 100;

/** A compiled `matches` pattern: true when it matches anywhere in the text, as Go's MatchString. */
export interface Pattern {
  test(text: string): boolean;
}

/**
 * Compiles a `matches` pattern with an RE2 engine, as expr does: the same syntax (`(?i)` flag
 * groups, no lookaround or backreferences) and matching in time linear in the text, so a pattern
 * in a template can never stall the app with catastrophic backtracking.
 */
export function compilePattern(pattern: string): Pattern {
  let compiled = patternCache.get(pattern);
  if (!compiled) {
    if (pattern.length > MAX_PATTERN_LENGTH) {
      fail(`regular expression is too long (${pattern.length} characters, limit ${MAX_PATTERN_LENGTH})`);
    }
    try {
      compiled = RE2JS.compile(pattern);
    } catch (error) {
      return fail(`invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message.replace(/^error parsing regexp: /, '')}`);
    }
    if (patternCache.size >= MAX_CACHED_PATTERNS) patternCache.delete(patternCache.keys().next().value as string);
    patternCache.set(pattern, compiled);
  }
  const regexp = compiled;
  return { test: (text) => regexp.matcher(text).find() };
}

const oneArgument = (call: (value: Value, ctx: BuiltinContext) => Value): Builtin => ({ min: 1, max: 1, call: ([value], ctx) => call(value, ctx) });
const numeric = (name: string, fn: (x: number) => number): Builtin => oneArgument((value) => fn(numberArg(name, value)));

export const BUILTINS: Readonly<Record<string, Builtin>> = {
  len: oneArgument((value) => {
    if (typeof value === 'string') return [...value].length;
    if (isArray(value)) return value.length;
    if (isMap(value)) return Object.keys(value).length;
    return fail(`len() expects an array, string or map, got ${describe(value)}`);
  }),

  all: {
    min: 2, max: 2, predicate: 'required',
    call(args, ctx) {
      for (const [matched] of judged('all', args, ctx)) if (!matched) return false;
      return true;
    },
  },
  any: {
    min: 2, max: 2, predicate: 'required',
    call(args, ctx) {
      for (const [matched] of judged('any', args, ctx)) if (matched) return true;
      return false;
    },
  },
  none: {
    min: 2, max: 2, predicate: 'required',
    call(args, ctx) {
      for (const [matched] of judged('none', args, ctx)) if (matched) return false;
      return true;
    },
  },
  one: {
    min: 2, max: 2, predicate: 'required',
    call(args, ctx) {
      let matches = 0;
      for (const [matched] of judged('one', args, ctx)) if (matched && ++matches > 1) return false;
      return matches === 1;
    },
  },
  filter: {
    min: 2, max: 2, predicate: 'required',
    call(args, ctx) {
      const kept: Value[] = [];
      for (const [matched, element] of judged('filter', args, ctx)) if (matched) kept.push(element);
      return kept;
    },
  },
  /** count(result, # > 1); without a predicate, the number of `true` elements. */
  count: {
    min: 1, max: 2, predicate: 'optional',
    call(args, ctx) {
      let matches = 0;
      for (const [matched] of judged('count', args, ctx)) if (matched) matches++;
      return matches;
    },
  },
  map: {
    min: 2, max: 2, predicate: 'required',
    call(args, ctx) {
      const items = arrayArg('map', args[0]);
      const predicate = ctx.predicate!;
      ctx.charge(items.length);
      return items.map((item, i) => predicate(item, i));
    },
  },

  sum: {
    min: 1, max: 2, predicate: 'optional',
    call(args, ctx) {
      let items = arrayArg('sum', args[0]);
      const predicate = ctx.predicate;
      if (predicate) {
        ctx.charge(items.length);
        items = items.map((item, i) => predicate(item, i));
      }
      return numbersOf('sum', [items], ctx).reduce((total, x) => total + x, 0);
    },
  },
  max: { min: 1, max: Infinity, call: (args, ctx) => extreme(numbersOf('max', args, ctx), (a, b) => (Number.isNaN(a) || a >= b ? a : b)) },
  min: { min: 1, max: Infinity, call: (args, ctx) => extreme(numbersOf('min', args, ctx), (a, b) => (Number.isNaN(a) || a <= b ? a : b)) },
  /** nil for no data (expr returns 0, which would let `mean(result) < 0.05` pass on an empty result). */
  mean: {
    min: 1, max: Infinity,
    call(args, ctx) {
      const numbers = numbersOf('mean', args, ctx);
      return numbers.length === 0 ? null : numbers.reduce((total, x) => total + x, 0) / numbers.length;
    },
  },
  median: {
    min: 1, max: Infinity,
    call(args, ctx) {
      const numbers = numbersOf('median', args, ctx);
      ctx.charge(numbers.length);
      return numbers.length === 0 ? null : median(numbers);
    },
  },

  abs: numeric('abs', Math.abs),
  ceil: numeric('ceil', Math.ceil),
  floor: numeric('floor', Math.floor),
  round: numeric('round', goRound),

  isNaN: oneArgument((value) => Number.isNaN(numberArg('isNaN', value))),
  isInf: {
    min: 1, max: 2,
    call([value, sign]) {
      const x = numberArg('isInf', value);
      const direction = sign === undefined ? 0 : numberArg('isInf', sign);
      return (direction >= 0 && x === Infinity) || (direction <= 0 && x === -Infinity);
    },
  },
  isNil: oneArgument((value) => value === null),
  /** Argo's default(): the fallback when the value is nil or an empty string. */
  default: { min: 2, max: 2, call: ([value, fallback]) => (value === null || value === '' ? fallback : value) },

  asInt: oneArgument((value) => toInt('asInt', value)),
  asFloat: oneArgument((value) => toFloat('asFloat', value)),
  int: oneArgument((value) => toInt('int', value)),
  float: oneArgument((value) => toFloat('float', value)),
  string: oneArgument((value, ctx) => formatGo(value, (steps) => ctx.charge(steps))),
};
