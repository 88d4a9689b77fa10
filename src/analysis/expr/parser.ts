/**
 * Parser of the condition language: a precedence-climbing parser with expr-lang's operator table.
 *
 *   precedence (low → high)             associativity
 *   ?:  (ternary, also `a ?: b`)         right
 *   or ||                                left
 *   and &&                               left
 *   == != < > <= >= in contains …        left (`a < b < c` means `a < b and b < c`)
 *   ..                                   left
 *   + -                                  left
 *   not !  (unary; binds looser than + - * /, so `not a == b` is `(not a) == b`, as in expr)
 *   * / %                                left
 *   - +    (unary)
 *   ** ^                                 right
 *   ??                                   left (not mixed with other operators without parentheses)
 *   postfix: a[i]  a[i:j]  a.b  f(…)
 *
 * Limits keep a hostile or broken condition cheap: the source length, the nesting of sub-expressions
 * and the depth of the resulting tree are bounded.
 */
import { describePosition, ExprEvalError, ExprNameError, ExprSyntaxError, positionAt } from './errors.js';
import { BUILTINS, compilePattern } from './functions.js';
import { tokenize, type Token } from './lexer.js';

/** The names a condition may read, as in Argo Rollouts, whose environment holds only the measurement. */
export const VARIABLES: ReadonlySet<string> = new Set(['result']);

export const MAX_SOURCE_LENGTH = 10_000;
/** Nested parentheses, brackets, calls and unary operators. */
export const MAX_NESTING = 100;
/** Height of the syntax tree, which long operator chains (`a or b or c …`) also grow. */
export const MAX_TREE_DEPTH = 1_000;

// ---- AST ------------------------------------------------------------------------------------------

interface BaseNode {
  /** Span of the node in the source, [start, end). */
  readonly start: number;
  readonly end: number;
  /** Where errors about this node point: the operator, the `[` of an index, the function name. */
  readonly at: number;
}

export type BinaryOperator =
  | 'or' | 'and'
  | '==' | '!=' | '<' | '>' | '<=' | '>='
  | 'in' | 'contains' | 'startsWith' | 'endsWith' | 'matches'
  | '..' | '+' | '-' | '*' | '/' | '%' | '**' | '??';

export type UnaryOperator = 'not' | '-' | '+';

export interface NumberNode extends BaseNode { readonly kind: 'number'; readonly value: number }
export interface StringNode extends BaseNode { readonly kind: 'string'; readonly value: string }
export interface BoolNode extends BaseNode { readonly kind: 'bool'; readonly value: boolean }
export interface NilNode extends BaseNode { readonly kind: 'nil' }
/** A name from the environment, such as `result`. */
export interface NameNode extends BaseNode { readonly kind: 'name'; readonly name: string }
/** `#` (the current element) or `#index` inside a predicate. */
export interface PointerNode extends BaseNode { readonly kind: 'pointer'; readonly name: 'element' | 'index' }
export interface ArrayNode extends BaseNode { readonly kind: 'array'; readonly elements: readonly Node[] }
export interface UnaryNode extends BaseNode { readonly kind: 'unary'; readonly operator: UnaryOperator; readonly operand: Node }
export interface BinaryNode extends BaseNode {
  readonly kind: 'binary';
  readonly operator: BinaryOperator;
  readonly left: Node;
  readonly right: Node;
}
export interface ConditionalNode extends BaseNode {
  readonly kind: 'conditional';
  readonly test: Node;
  readonly consequent: Node;
  readonly alternate: Node;
}
/** `a.b` */
export interface MemberNode extends BaseNode { readonly kind: 'member'; readonly object: Node; readonly property: string }
/** `a[i]` */
export interface IndexNode extends BaseNode { readonly kind: 'index'; readonly object: Node; readonly index: Node }
/** `a[i:j]`, either bound optional. */
export interface SliceNode extends BaseNode {
  readonly kind: 'slice';
  readonly object: Node;
  readonly from?: Node;
  readonly to?: Node;
}
/** A builtin call; a predicate argument is a ClosureNode. */
export interface CallNode extends BaseNode { readonly kind: 'call'; readonly name: string; readonly args: readonly Node[] }
/** The predicate of all/any/filter/…: `{# > 0}` or `# > 0`. */
export interface ClosureNode extends BaseNode { readonly kind: 'closure'; readonly body: Node }

export type Node =
  | NumberNode | StringNode | BoolNode | NilNode | NameNode | PointerNode | ArrayNode
  | UnaryNode | BinaryNode | ConditionalNode | MemberNode | IndexNode | SliceNode | CallNode | ClosureNode;

export interface ParsedCondition {
  readonly root: Node;
  /** Names the condition reads from the environment (see VARIABLES), with the offset of their first use. */
  readonly names: ReadonlyMap<string, number>;
}

// ---- operators ------------------------------------------------------------------------------------

const BINARY: Readonly<Record<string, { readonly precedence: number; readonly right?: boolean }>> = {
  or: { precedence: 10 }, '||': { precedence: 10 },
  and: { precedence: 15 }, '&&': { precedence: 15 },
  '==': { precedence: 20 }, '!=': { precedence: 20 },
  '<': { precedence: 20 }, '>': { precedence: 20 }, '<=': { precedence: 20 }, '>=': { precedence: 20 },
  in: { precedence: 20 }, contains: { precedence: 20 }, startsWith: { precedence: 20 }, endsWith: { precedence: 20 },
  matches: { precedence: 20 },
  '..': { precedence: 25 },
  '+': { precedence: 30 }, '-': { precedence: 30 },
  '*': { precedence: 60 }, '/': { precedence: 60 }, '%': { precedence: 60 },
  '**': { precedence: 100, right: true }, '^': { precedence: 100, right: true },
  '??': { precedence: 500 },
};
const ALIASES: Readonly<Record<string, BinaryOperator>> = { '||': 'or', '&&': 'and', '^': '**' };
const UNARY: Readonly<Record<string, { readonly precedence: number; readonly operator: UnaryOperator }>> = {
  not: { precedence: 50, operator: 'not' },
  '!': { precedence: 50, operator: 'not' },
  '-': { precedence: 90, operator: '-' },
  '+': { precedence: 90, operator: '+' },
};
/** Operators that `not` may prefix: `not in`, `not contains`, … */
const NEGATABLE = new Set(['in', 'contains', 'startsWith', 'endsWith', 'matches']);
/** Operators that chain: `0 < x <= 1`. */
const RELATIONAL = new Set(['<', '>', '<=', '>=']);

// ---- parser ---------------------------------------------------------------------------------------

/** Parses a condition. Throws ExprSyntaxError with the offset of the problem. */
export function parse(source: string): ParsedCondition {
  if (source.length > MAX_SOURCE_LENGTH) {
    throw new ExprSyntaxError(`condition is too long (${source.length} characters, limit ${MAX_SOURCE_LENGTH})`, MAX_SOURCE_LENGTH);
  }
  if (source.trim() === '') throw new ExprSyntaxError('condition is empty', 0);
  const parser = new Parser(source, tokenize(source));
  const root = parser.parseExpression(0);
  if (parser.current.kind !== 'eof') throw new ExprSyntaxError(`unexpected ${describeToken(parser.current)}`, parser.current.start);
  checkTreeDepth(root);
  return { root, names: parser.names };
}

function describeToken(token: Token): string {
  switch (token.kind) {
    case 'eof':
      return 'end of condition';
    case 'string':
      return `string ${JSON.stringify(token.value)}`;
    case 'number':
      return `number ${token.value}`;
    default:
      return JSON.stringify(token.value);
  }
}

class Parser {
  readonly names = new Map<string, number>();
  private pos = 0;
  private nesting = 0;
  private predicateDepth = 0;
  /** End offset of the last consumed token. */
  private lastEnd = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: readonly Token[],
  ) {}

  get current(): Token {
    return this.tokens[this.pos];
  }

  private peek(ahead = 1): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)];
  }

  private advance(): Token {
    const token = this.current;
    if (token.kind !== 'eof') this.pos++;
    this.lastEnd = token.end;
    return token;
  }

  private is(value: string): boolean {
    return this.current.kind === 'operator' && this.current.value === value;
  }

  private expect(value: string, context: string): Token {
    if (!this.is(value)) {
      throw new ExprSyntaxError(`expected ${JSON.stringify(value)} ${context}, got ${describeToken(this.current)}`, this.current.start);
    }
    return this.advance();
  }

  /** "column 7" (or "line 2, column 3") of an offset, for messages that point elsewhere. */
  private where(offset: number): string {
    return describePosition(this.source, positionAt(this.source, offset));
  }

  private span(start: number, at: number): BaseNode {
    return { start, end: this.lastEnd, at };
  }

  parseExpression(precedence: number): Node {
    if (++this.nesting > MAX_NESTING) {
      throw new ExprSyntaxError(`expression is nested too deeply (limit ${MAX_NESTING} levels)`, this.current.start);
    }
    let left = this.parseUnary();
    let previous = '';
    for (;;) {
      let token = this.current;
      if (token.kind !== 'operator') break;
      const notToken = token.value === 'not' ? token : undefined;
      if (notToken) {
        const next = this.peek();
        if (next.kind !== 'operator' || !NEGATABLE.has(next.value)) break;
        token = next;
      }
      const info = BINARY[token.value];
      if (!info || info.precedence < precedence) break;
      if (previous === '??' && token.value !== '??') {
        throw new ExprSyntaxError(`${token.value} and ?? cannot be mixed without parentheses`, token.start);
      }
      if (notToken) this.advance();
      this.advance();
      if (RELATIONAL.has(token.value)) {
        left = this.parseComparisonChain(left, token, info.precedence);
      } else {
        const right = this.parseExpression(info.right ? info.precedence : info.precedence + 1);
        const operator = ALIASES[token.value] ?? (token.value as BinaryOperator);
        this.checkLiteralPattern(operator, right);
        left = { kind: 'binary', operator, left, right, ...this.span(left.start, token.start) };
        if (notToken) left = { kind: 'unary', operator: 'not', operand: left, ...this.span(left.start, notToken.start) };
      }
      previous = token.value;
    }
    if (precedence === 0) left = this.parseConditional(left);
    this.nesting--;
    return left;
  }

  /** `a < b <= c` → `a < b and b <= c` (b is evaluated twice, as in expr). */
  private parseComparisonChain(first: Node, firstOperator: Token, precedence: number): Node {
    let left = first;
    let token = firstOperator;
    let chain: Node | undefined;
    for (;;) {
      const right = this.parseExpression(precedence + 1);
      const comparison: Node = { kind: 'binary', operator: token.value as BinaryOperator, left, right, ...this.span(left.start, token.start) };
      chain = chain ? { kind: 'binary', operator: 'and', left: chain, right: comparison, ...this.span(chain.start, token.start) } : comparison;
      if (this.current.kind !== 'operator' || !RELATIONAL.has(this.current.value)) return chain;
      left = right;
      token = this.advance();
    }
  }

  /** `test ? a : b`, and expr's short form `test ?: b` (which means `test ? test : b`). */
  private parseConditional(test: Node): Node {
    let node = test;
    while (this.is('?')) {
      const question = this.advance();
      let consequent = node;
      if (this.is(':')) {
        this.advance();
      } else {
        consequent = this.parseExpression(0);
        this.expect(':', `for the "?" at ${this.where(question.start)}`);
      }
      const alternate = this.parseExpression(0);
      node = { kind: 'conditional', test: node, consequent, alternate, ...this.span(node.start, question.start) };
    }
    return node;
  }

  private parseUnary(): Node {
    const token = this.current;
    const unary = token.kind === 'operator' ? UNARY[token.value] : undefined;
    if (unary) {
      this.advance();
      const operand = this.parseExpression(unary.precedence);
      return this.parsePostfix({ kind: 'unary', operator: unary.operator, operand, ...this.span(token.start, token.start) });
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePrimary(): Node {
    const token = this.current;
    switch (token.kind) {
      case 'number':
        this.advance();
        return { kind: 'number', value: token.number!, ...this.span(token.start, token.start) };
      case 'string':
        this.advance();
        return { kind: 'string', value: token.value, ...this.span(token.start, token.start) };
      case 'identifier':
        return this.parseIdentifier();
      case 'eof':
        throw new ExprSyntaxError('unexpected end of condition', token.start);
      default:
        break;
    }
    switch (token.value) {
      case '(': {
        this.advance();
        const inner = this.parseExpression(0);
        this.expect(')', `to close the "(" at ${this.where(token.start)}`);
        return inner;
      }
      case '[':
        return this.parseArray();
      case '#':
        return this.parsePointer();
      case '{':
        throw new ExprSyntaxError('unexpected "{": braces only wrap predicates, as in all(result, {# < 0.05})', token.start);
      default:
        throw new ExprSyntaxError(`unexpected ${describeToken(token)}`, token.start);
    }
  }

  private parseIdentifier(): Node {
    const token = this.advance();
    switch (token.value) {
      case 'true':
      case 'false':
        return { kind: 'bool', value: token.value === 'true', ...this.span(token.start, token.start) };
      case 'nil':
        return { kind: 'nil', ...this.span(token.start, token.start) };
      default:
        break;
    }
    if (this.is('(')) return this.parseCall(token);
    if (!VARIABLES.has(token.value)) throw new ExprNameError(token.value, token.start);
    if (!this.names.has(token.value)) this.names.set(token.value, token.start);
    return { kind: 'name', name: token.value, ...this.span(token.start, token.start) };
  }

  private parsePointer(): Node {
    const hash = this.advance();
    if (this.predicateDepth === 0) {
      throw new ExprSyntaxError('# can only be used inside a predicate, as in all(result, {# < 0.05})', hash.start);
    }
    if (this.current.kind === 'identifier' && this.current.start === hash.end) {
      const name = this.advance();
      if (name.value !== 'index') throw new ExprSyntaxError(`unknown name #${name.value} (use # or #index)`, hash.start);
      return { kind: 'pointer', name: 'index', ...this.span(hash.start, hash.start) };
    }
    return { kind: 'pointer', name: 'element', ...this.span(hash.start, hash.start) };
  }

  private parseArray(): Node {
    const open = this.advance();
    const elements: Node[] = [];
    while (!this.is(']')) {
      elements.push(this.parseExpression(0));
      if (!this.is(',')) break;
      this.advance();
    }
    this.expect(']', `to close the "[" at ${this.where(open.start)}`);
    return { kind: 'array', elements, ...this.span(open.start, open.start) };
  }

  private parseCall(name: Token): Node {
    const builtin = BUILTINS[name.value];
    if (!builtin) throw new ExprNameError(name.value, name.start);
    const open = this.advance();
    const args: Node[] = [];
    while (!this.is(')')) {
      const isPredicate = builtin.predicate !== undefined && args.length === 1;
      args.push(isPredicate ? this.parseClosure() : this.parseExpression(0));
      if (!this.is(',')) break;
      this.advance();
    }
    this.expect(')', `to close the call of ${name.value}() at ${this.where(open.start)}`);
    if (args.length < builtin.min) {
      const what = builtin.predicate === 'required' ? `an array and a predicate, as in ${name.value}(result, {# > 0})` : `${builtin.min} argument${builtin.min > 1 ? 's' : ''}`;
      throw new ExprSyntaxError(`not enough arguments to call ${name.value}(): expected ${what}, got ${args.length}`, name.start);
    }
    if (args.length > builtin.max) {
      throw new ExprSyntaxError(`too many arguments to call ${name.value}(): expected at most ${builtin.max}, got ${args.length}`, name.start);
    }
    return { kind: 'call', name: name.value, args, ...this.span(name.start, name.start) };
  }

  private parseClosure(): Node {
    const start = this.current;
    const braced = this.is('{');
    if (braced) this.advance();
    this.predicateDepth++;
    const body = this.parseExpression(0);
    this.predicateDepth--;
    if (braced) this.expect('}', `to close the predicate "{" at ${this.where(start.start)}`);
    return { kind: 'closure', body, ...this.span(start.start, start.start) };
  }

  private parsePostfix(node: Node): Node {
    for (;;) {
      if (this.is('.')) {
        this.advance();
        const property = this.current;
        if (property.kind !== 'identifier' && !(property.kind === 'operator' && /^[a-zA-Z_]\w*$/.test(property.value))) {
          throw new ExprSyntaxError(`expected a field name after ".", got ${describeToken(property)}`, property.start);
        }
        this.advance();
        node = { kind: 'member', object: node, property: property.value, ...this.span(node.start, property.start) };
      } else if (this.is('[')) {
        node = this.parseIndexOrSlice(node);
      } else {
        return node;
      }
    }
  }

  private parseIndexOrSlice(object: Node): Node {
    const open = this.advance();
    if (++this.nesting > MAX_NESTING) {
      throw new ExprSyntaxError(`expression is nested too deeply (limit ${MAX_NESTING} levels)`, open.start);
    }
    const context = `to close the "[" at ${this.where(open.start)}`;
    let node: Node;
    const from = this.is(':') ? undefined : this.parseExpression(0);
    if (from && !this.is(':')) {
      this.expect(']', context);
      node = { kind: 'index', object, index: from, ...this.span(object.start, open.start) };
    } else {
      this.expect(':', context);
      const to = this.is(']') ? undefined : this.parseExpression(0);
      this.expect(']', context);
      node = { kind: 'slice', object, from, to, ...this.span(object.start, open.start) };
    }
    this.nesting--;
    return node;
  }

  /** A literal `matches` pattern is checked now, so that a bad regular expression is a syntax error. */
  private checkLiteralPattern(operator: BinaryOperator, right: Node): void {
    if (operator !== 'matches' || right.kind !== 'string') return;
    try {
      compilePattern(right.value);
    } catch (error) {
      if (error instanceof ExprEvalError) throw new ExprSyntaxError(error.message, right.start);
      throw error;
    }
  }
}

/** The direct sub-expressions of a node. */
export function childrenOf(node: Node): readonly Node[] {
  switch (node.kind) {
    case 'array':
      return node.elements;
    case 'unary':
      return [node.operand];
    case 'binary':
      return [node.left, node.right];
    case 'conditional':
      return [node.test, node.consequent, node.alternate];
    case 'member':
      return [node.object];
    case 'index':
      return [node.object, node.index];
    case 'slice':
      return [node.object, ...(node.from ? [node.from] : []), ...(node.to ? [node.to] : [])];
    case 'call':
      return node.args;
    case 'closure':
      return [node.body];
    default:
      return [];
  }
}

/** Bounds the tree height (the evaluator recurses over it), without recursing here. */
function checkTreeDepth(root: Node): void {
  const stack: Array<[Node, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > MAX_TREE_DEPTH) {
      throw new ExprSyntaxError(`expression is too long or nested too deeply (limit ${MAX_TREE_DEPTH} levels)`, node.at);
    }
    for (const child of childrenOf(node)) stack.push([child, depth + 1]);
  }
}
