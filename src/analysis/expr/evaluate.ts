/**
 * Tree-walking evaluator with expr's semantics for the subset we support:
 * - comparisons are between two numbers or two strings; anything else is a type error, never a silent
 *   false (so `result >= 0.9` with an array result fails loudly), and any comparison with NaN is false;
 * - `==` / `!=` never fail: values of different types are simply not equal;
 * - `and` / `or` / `?:` need bools and short-circuit; `??` falls back only on nil;
 * - `/` is float division, `%` needs integers, `**` follows Go's math.Pow;
 * - indexing past the end is an error, and on an empty array the message says "no data returned".
 *
 * Every node evaluation and every array element a range creates or a builtin visits costs a step;
 * an evaluation that runs out of steps fails instead of hanging.
 */
import { ExprEvalError } from './errors.js';
import { BUILTINS, compilePattern, goPow } from './functions.js';
import type { BinaryNode, Node, ParsedCondition } from './parser.js';
import { describe, fromHost, isArray, isMap, preview, typeOf, valuesEqual, type Value } from './values.js';

export const MAX_STEPS = 5_000_000;
export const MAX_RANGE = 1_000_000;

/** Binding of `#` and `#index` inside a predicate. */
interface Scope {
  readonly element: Value;
  readonly index: number;
}

/** Evaluates a parsed condition against the environment. Throws ExprEvalError. */
export function evaluateParsed(parsed: ParsedCondition, source: string, env: Record<string, unknown>): Value {
  const variables = new Map<string, Value>();
  for (const [name, offset] of parsed.names) {
    if (!Object.prototype.hasOwnProperty.call(env, name)) {
      throw new ExprEvalError(`unknown name ${name}: the environment does not provide it`, offset);
    }
    try {
      variables.set(name, fromHost(env[name], name));
    } catch (error) {
      if (error instanceof ExprEvalError) error.offset = offset;
      throw error;
    }
  }
  return new Evaluator(source, variables).evaluate(parsed.root, undefined);
}

const MAX_SHOWN_SOURCE = 40;

class Evaluator {
  private steps = 0;

  constructor(
    private readonly source: string,
    private readonly variables: ReadonlyMap<string, Value>,
  ) {}

  private readonly charge = (steps: number): void => {
    this.steps += steps;
    if (this.steps > MAX_STEPS) {
      throw new ExprEvalError(`condition is too expensive to evaluate (more than ${MAX_STEPS} steps)`);
    }
  };

  private fail(node: Node, message: string): never {
    throw new ExprEvalError(message, node.at);
  }

  /** The source text of a node, for messages: `result`, `filter(result, # > 1)`. */
  private text(node: Node): string {
    const text = this.source.slice(node.start, node.end).replace(/\s+/g, ' ').trim();
    return text.length > MAX_SHOWN_SOURCE ? `${text.slice(0, MAX_SHOWN_SOURCE - 1)}…` : text;
  }

  evaluate(node: Node, scope: Scope | undefined): Value {
    this.charge(1);
    switch (node.kind) {
      case 'number':
      case 'string':
      case 'bool':
        return node.value;
      case 'nil':
        return null;
      case 'name':
        return this.variables.get(node.name) ?? null;
      case 'pointer':
        if (!scope) return this.fail(node, '# used outside of a predicate');
        return node.name === 'element' ? scope.element : scope.index;
      case 'array':
        return node.elements.map((element) => this.evaluate(element, scope));
      case 'unary':
        return this.unary(node.operator, node.operand, node, scope);
      case 'binary':
        return this.binary(node, scope);
      case 'conditional': {
        const test = this.evaluate(node.test, scope);
        if (typeof test !== 'boolean') return this.fail(node, `the condition of ?: must be a bool, got ${describe(test)}`);
        return this.evaluate(test ? node.consequent : node.alternate, scope);
      }
      case 'member':
        return this.member(node.object, node.property, node, scope);
      case 'index':
        return this.index(node.object, this.evaluate(node.object, scope), this.evaluate(node.index, scope), node);
      case 'slice': {
        const object = this.evaluate(node.object, scope);
        const from = node.from ? this.evaluate(node.from, scope) : undefined;
        const to = node.to ? this.evaluate(node.to, scope) : undefined;
        return this.slice(node.object, object, from, to, node);
      }
      case 'call':
        return this.call(node.name, node.args, node, scope);
      case 'closure':
        return this.fail(node, 'a predicate can only be an argument of all, any, filter, …');
    }
  }

  private unary(operator: 'not' | '-' | '+', operandNode: Node, node: Node, scope: Scope | undefined): Value {
    const operand = this.evaluate(operandNode, scope);
    if (operator === 'not') {
      if (typeof operand !== 'boolean') return this.fail(node, `invalid operation: not needs a bool, got ${describe(operand)}`);
      return !operand;
    }
    if (typeof operand !== 'number') return this.fail(node, `invalid operation: unary ${operator} needs a number, got ${describe(operand)}`);
    return operator === '-' ? -operand : operand;
  }

  private binary(node: BinaryNode, scope: Scope | undefined): Value {
    const { operator } = node;
    if (operator === 'and' || operator === 'or') {
      const left = this.operandBool(node.left, node, scope);
      if (operator === 'and' ? !left : left) return left;
      return this.operandBool(node.right, node, scope);
    }
    if (operator === '??') {
      const left = this.evaluate(node.left, scope);
      return left !== null ? left : this.evaluate(node.right, scope);
    }
    const left = this.evaluate(node.left, scope);
    const right = this.evaluate(node.right, scope);
    switch (operator) {
      case '==':
        return valuesEqual(left, right, this.charge);
      case '!=':
        return !valuesEqual(left, right, this.charge);
      case '<':
      case '>':
      case '<=':
      case '>=':
        if ((typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string')) {
          return compare(operator, left, right);
        }
        return this.mismatch(node, left, right);
      case '+':
        if (typeof left === 'number' && typeof right === 'number') return left + right;
        if (typeof left === 'string' && typeof right === 'string') return left + right;
        return this.mismatch(node, left, right);
      case '-':
      case '*':
      case '/':
      case '**':
        if (typeof left !== 'number' || typeof right !== 'number') return this.mismatch(node, left, right);
        return arithmetic(operator, left, right);
      case '%':
        if (typeof left !== 'number' || typeof right !== 'number') return this.mismatch(node, left, right);
        if (!Number.isInteger(left) || !Number.isInteger(right)) {
          return this.fail(node, `invalid operation: % needs integers, got ${preview(left)} % ${preview(right)}`);
        }
        if (right === 0) return this.fail(node, 'integer divide by zero');
        return (left % right) + 0;
      case '..':
        return this.range(node, left, right);
      case 'in':
        return this.membership(node, left, right);
      case 'contains':
      case 'startsWith':
      case 'endsWith':
      case 'matches':
        if (typeof left !== 'string' || typeof right !== 'string') {
          return this.fail(node, `invalid operation: ${operator} needs two strings, got ${describe(left)} and ${describe(right)}`);
        }
        try {
          return stringTest(operator, left, right);
        } catch (error) {
          if (error instanceof ExprEvalError && error.offset === undefined) error.offset = node.right.start;
          throw error;
        }
    }
  }

  private operandBool(operand: Node, node: BinaryNode, scope: Scope | undefined): boolean {
    const value = this.evaluate(operand, scope);
    if (typeof value !== 'boolean') {
      return this.fail(node, `invalid operation: ${node.operator} needs bools, but ${this.text(operand)} is ${describe(value)}`);
    }
    return value;
  }

  /** A type error for a binary operator, with a hint for the classic mistake of comparing an array. */
  private mismatch(node: BinaryNode, left: Value, right: Value): never {
    let message = `invalid operation: ${typeOf(left)} ${node.operator} ${typeOf(right)} (mismatched types)`;
    const explain = (side: Node, value: Value): string | undefined => {
      if (value === null) {
        const noData = side.kind === 'call' && ['mean', 'median', 'max', 'min'].includes(side.name);
        return `${this.text(side)} is nil${noData ? ' because its array is empty (no data returned)' : ''}`;
      }
      if (isArray(value)) {
        const text = this.text(side);
        const element = side.kind === 'name' ? `${text}[0]` : `(${text})[0]`;
        return `${text} is an array ${preview(value)}: compare one element, as in ${element}, or use all()/any()`;
      }
      return undefined;
    };
    const hints = [explain(node.left, left), explain(node.right, right)].filter((hint) => hint !== undefined);
    if (hints.length > 0) message += `; ${hints.join('; ')}`;
    return this.fail(node, message);
  }

  private range(node: BinaryNode, from: Value, to: Value): Value {
    if (typeof from !== 'number' || typeof to !== 'number' || !Number.isInteger(from) || !Number.isInteger(to)) {
      return this.fail(node, `invalid operation: .. needs integers, got ${describe(from)} and ${describe(to)}`);
    }
    const size = Math.max(0, to - from + 1);
    if (size > MAX_RANGE) return this.fail(node, `range ${from}..${to} is too large (${size} elements, limit ${MAX_RANGE})`);
    this.charge(size);
    return Array.from({ length: size }, (_, i) => from + i);
  }

  private membership(node: BinaryNode, needle: Value, haystack: Value): boolean {
    if (haystack === null) return false;
    if (isArray(haystack)) {
      this.charge(haystack.length);
      return haystack.some((item) => valuesEqual(needle, item, this.charge));
    }
    if (isMap(haystack)) {
      if (typeof needle !== 'string') return this.fail(node, `invalid operation: the key of in must be a string, got ${describe(needle)}`);
      return Object.prototype.hasOwnProperty.call(haystack, needle);
    }
    return this.fail(node, `invalid operation: in needs an array or a map on the right, got ${describe(haystack)}`);
  }

  private member(objectNode: Node, property: string, node: Node, scope: Scope | undefined): Value {
    const object = this.evaluate(objectNode, scope);
    if (isMap(object)) return Object.prototype.hasOwnProperty.call(object, property) ? object[property] : null;
    const what = object === null ? `${this.text(objectNode)} is nil` : `${this.text(objectNode)} is ${describe(object)}`;
    return this.fail(node, `cannot read field ${property}: ${what}`);
  }

  private index(objectNode: Node, object: Value, index: Value, node: Node): Value {
    if (isMap(object)) {
      if (typeof index !== 'string') return this.fail(node, `a map key must be a string, got ${describe(index)}`);
      return Object.prototype.hasOwnProperty.call(object, index) ? object[index] : null;
    }
    if (typeof object === 'string' || isArray(object)) {
      const items: readonly Value[] = typeof object === 'string' ? [...object] : object;
      if (typeof index !== 'number' || !Number.isInteger(index)) {
        return this.fail(node, `an index must be an integer, got ${describe(index)}`);
      }
      const position = index < 0 ? items.length + index : index;
      if (position < 0 || position >= items.length) {
        const what = this.text(objectNode);
        const problem = items.length === 0 ? `${what} is empty (no data returned)` : `${what} has ${items.length} element${items.length === 1 ? '' : 's'}`;
        return this.fail(node, `index ${index} out of range: ${problem}`);
      }
      return items[position];
    }
    if (object === null) return this.fail(node, `cannot index nil: ${this.text(objectNode)} is nil (no data returned)`);
    return this.fail(node, `cannot index ${describe(object)}`);
  }

  /** `a[i:j]` with expr's clamping: negative bounds count from the end, bounds past the end are cut. */
  private slice(objectNode: Node, object: Value, from: Value | undefined, to: Value | undefined, node: Node): Value {
    if (typeof object !== 'string' && !isArray(object)) {
      return this.fail(node, `cannot slice ${object === null ? `nil: ${this.text(objectNode)} is nil` : describe(object)}`);
    }
    const items: readonly Value[] = typeof object === 'string' ? [...object] : object;
    const bound = (value: Value | undefined, fallback: number): number => {
      if (value === undefined) return fallback;
      if (typeof value !== 'number' || !Number.isInteger(value)) return this.fail(node, `a slice bound must be an integer, got ${describe(value)}`);
      const position = value < 0 ? items.length + value : value;
      return Math.min(Math.max(position, 0), items.length);
    };
    const end = bound(to, items.length);
    const start = Math.min(bound(from, 0), end);
    this.charge(end - start);
    const part = items.slice(start, end);
    return typeof object === 'string' ? part.join('') : part;
  }

  private call(name: string, argNodes: readonly Node[], node: Node, scope: Scope | undefined): Value {
    const builtin = BUILTINS[name];
    const args: Value[] = [];
    let predicate: ((element: Value, index: number) => Value) | undefined;
    for (const argNode of argNodes) {
      if (argNode.kind === 'closure') {
        predicate = (element, index) => this.evaluate(argNode.body, { element, index });
      } else {
        args.push(this.evaluate(argNode, scope));
      }
    }
    try {
      return builtin.call(args, { predicate, charge: this.charge });
    } catch (error) {
      if (error instanceof ExprEvalError && error.offset === undefined) error.offset = node.at;
      throw error;
    }
  }
}

function compare(operator: '<' | '>' | '<=' | '>=', left: number | string, right: number | string): boolean {
  switch (operator) {
    case '<':
      return left < right;
    case '>':
      return left > right;
    case '<=':
      return left <= right;
    case '>=':
      return left >= right;
  }
}

function arithmetic(operator: '-' | '*' | '/' | '**', left: number, right: number): number {
  switch (operator) {
    case '-':
      return left - right;
    case '*':
      return left * right;
    case '/':
      return left / right;
    case '**':
      return goPow(left, right);
  }
}

function stringTest(operator: 'contains' | 'startsWith' | 'endsWith' | 'matches', left: string, right: string): boolean {
  switch (operator) {
    case 'contains':
      return left.includes(right);
    case 'startsWith':
      return left.startsWith(right);
    case 'endsWith':
      return left.endsWith(right);
    case 'matches':
      return compilePattern(right).test(left);
  }
}
