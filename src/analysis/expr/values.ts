/**
 * Runtime values of the condition language and the helpers every part shares: type names for
 * messages, equality as expr defines it, and formatting (Go's `%v` for `string()`, a short form for errors).
 */
import { ExprEvalError } from './errors.js';

export type Value = null | boolean | number | string | readonly Value[] | ValueMap;
export interface ValueMap {
  readonly [key: string]: Value;
}

export type TypeName = 'nil' | 'bool' | 'number' | 'string' | 'array' | 'map';

export function typeOf(value: Value): TypeName {
  if (value === null) return 'nil';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    default:
      return 'map';
  }
}

export const isArray = (value: Value): value is readonly Value[] => Array.isArray(value);
export const isMap = (value: Value): value is ValueMap => value !== null && typeof value === 'object' && !Array.isArray(value);

const MAX_HOST_DEPTH = 32;

/**
 * Converts a value handed in through the environment (the measurement) to a language value:
 * `undefined` → nil, typed arrays → arrays, bigint → number, plain objects → maps.
 */
export function fromHost(value: unknown, name: string, depth = 0): Value {
  if (depth > MAX_HOST_DEPTH) throw new ExprEvalError(`value of ${name} is nested too deeply`);
  if (value === undefined || value === null) return null;
  switch (typeof value) {
    case 'number':
    case 'string':
    case 'boolean':
      return value;
    case 'bigint':
      return Number(value);
    case 'object': {
      if (Array.isArray(value)) return value.map((item) => fromHost(item, name, depth + 1));
      if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
        return Array.from(value as unknown as ArrayLike<number | bigint>, (item) => Number(item));
      }
      const proto = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) {
        const map: Record<string, Value> = Object.create(null);
        for (const [key, item] of Object.entries(value)) map[key] = fromHost(item, name, depth + 1);
        return map;
      }
      break;
    }
    default:
      break;
  }
  throw new ExprEvalError(`${name} has an unsupported type (${typeof value})`);
}

/** Equality as expr's `==`: numbers by value (NaN equals nothing), arrays and maps deeply, mixed types false. */
export function valuesEqual(a: Value, b: Value, charge: (steps: number) => void): boolean {
  if (a === null || b === null) return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    charge(a.length);
    for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i], b[i], charge)) return false;
    return true;
  }
  if (isMap(a) || isMap(b)) {
    if (!isMap(a) || !isMap(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    charge(keys.length);
    return keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && valuesEqual(a[key], b[key], charge));
  }
  return a === b;
}

/** A number as Go prints a float64 with %v: `0.95`, `1e+06` only from 1e21, `1e-05`, `NaN`, `+Inf`. */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mantissa, exp] = n.toExponential().split('e');
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 21) {
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(n);
}

/** Go's fmt `%v`, which is what expr's `string()` produces: `[1 2 3]`, `<nil>`, `map[a:1]`. */
export function formatGo(value: Value, charge: (steps: number) => void): string {
  if (value === null) return '<nil>';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    charge(value.length);
    return `[${value.map((item) => formatGo(item, charge)).join(' ')}]`;
  }
  const map = value as ValueMap;
  const keys = Object.keys(map).sort();
  charge(keys.length);
  return `map[${keys.map((key) => `${key}:${formatGo(map[key], charge)}`).join(' ')}]`;
}

const MAX_SHOWN_ITEMS = 10;
const MAX_SHOWN_STRING = 60;

/** A short, readable form of a value for error messages: `0.95`, `"abc"`, `[0.1, 0.2, … (30 more)]`. */
export function preview(value: Value, depth = 0): string {
  if (value === null) return 'nil';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    return JSON.stringify(value.length > MAX_SHOWN_STRING ? `${value.slice(0, MAX_SHOWN_STRING)}…` : value);
  }
  if (depth > 2) return Array.isArray(value) ? '[…]' : '{…}';
  if (Array.isArray(value)) {
    const shown = value.slice(0, MAX_SHOWN_ITEMS).map((item) => preview(item, depth + 1));
    if (value.length > MAX_SHOWN_ITEMS) shown.push(`… (${value.length - MAX_SHOWN_ITEMS} more)`);
    return `[${shown.join(', ')}]`;
  }
  const map = value as ValueMap;
  const keys = Object.keys(map);
  const shown = keys.slice(0, MAX_SHOWN_ITEMS).map((key) => `${JSON.stringify(key)}: ${preview(map[key], depth + 1)}`);
  if (keys.length > MAX_SHOWN_ITEMS) shown.push(`… (${keys.length - MAX_SHOWN_ITEMS} more)`);
  return `{${shown.join(', ')}}`;
}

/** "number 0.5", "array [1, 2]", "nil". */
export function describe(value: Value): string {
  return value === null ? 'nil' : `${typeOf(value)} ${preview(value)}`;
}
