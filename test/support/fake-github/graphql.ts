/**
 * A small GraphQL engine for the fake: parses the documents clients send (operations, variables,
 * aliases, arguments, inline fragments), checks every selected field against a schema before
 * anything runs (so a wrong selection never half-applies a mutation), and answers exactly the
 * fields that were selected, with errors shaped like GitHub's (`type`, `path`, `locations`).
 * Fragment definitions and directives are not supported and are refused as such.
 */

export interface Location {
  line: number;
  column: number;
}

export type ValueNode =
  | { kind: 'variable'; name: string }
  | { kind: 'literal'; value: unknown }
  | { kind: 'list'; items: ValueNode[] }
  | { kind: 'object'; fields: Map<string, ValueNode> };

export interface FieldNode {
  kind: 'field';
  alias?: string;
  name: string;
  args: Map<string, ValueNode>;
  selections?: SelectionNode[];
  location: Location;
}

export interface InlineFragmentNode {
  kind: 'inlineFragment';
  typeCondition?: string;
  selections: SelectionNode[];
  location: Location;
}

export type SelectionNode = FieldNode | InlineFragmentNode;

export interface VariableDefinition {
  name: string;
  type: string;
  defaultValue?: ValueNode;
}

export interface OperationNode {
  operation: 'query' | 'mutation';
  name?: string;
  variables: VariableDefinition[];
  selections: SelectionNode[];
  location: Location;
}

export interface GraphqlError {
  message: string;
  type?: string;
  path?: Array<string | number>;
  locations?: Location[];
  extensions?: Record<string, unknown>;
}

/** A document that does not parse or does not fit the schema: answered with `errors` only, nothing runs. */
export class GraphqlRequestError extends Error {
  constructor(readonly errors: GraphqlError[]) {
    super(errors.map((error) => error.message).join('; '));
  }
}

/** A field that failed while running: its value becomes null and the error is reported with its path. */
export class GraphqlFieldError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// parsing

interface Token {
  kind: 'punct' | 'name' | 'number' | 'string' | 'end';
  value: string;
  location: Location;
}

const PUNCTUATORS = new Set(['!', '$', '(', ')', ':', '=', '@', '[', ']', '{', '|', '}']);

function syntaxError(message: string, location: Location): GraphqlRequestError {
  return new GraphqlRequestError([{ message: `Parse error on ${message} at [${location.line}, ${location.column}]`, locations: [location] }]);
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const here = (): Location => ({ line, column: i - lineStart + 1 });
  while (i < source.length) {
    const char = source[i];
    if (char === '\n') {
      line += 1;
      lineStart = i + 1;
      i += 1;
    } else if (char === ' ' || char === '\t' || char === '\r' || char === ',' || char === '\ufeff') {
      i += 1;
    } else if (char === '#') {
      while (i < source.length && source[i] !== '\n') i += 1;
    } else if (source.startsWith('...', i)) {
      tokens.push({ kind: 'punct', value: '...', location: here() });
      i += 3;
    } else if (PUNCTUATORS.has(char)) {
      tokens.push({ kind: 'punct', value: char, location: here() });
      i += 1;
    } else if (/[_A-Za-z]/.test(char)) {
      const start = i;
      while (i < source.length && /[_0-9A-Za-z]/.test(source[i])) i += 1;
      tokens.push({ kind: 'name', value: source.slice(start, i), location: { line, column: start - lineStart + 1 } });
    } else if (/[-0-9]/.test(char)) {
      const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(source.slice(i));
      if (!match) throw syntaxError(`"${char}"`, here());
      tokens.push({ kind: 'number', value: match[0], location: here() });
      i += match[0].length;
    } else if (char === '"') {
      if (source.startsWith('"""', i)) throw syntaxError('block string (not supported by the fake)', here());
      const location = here();
      let end = i + 1;
      while (end < source.length && source[end] !== '"') {
        if (source[end] === '\n') throw syntaxError('unterminated string', location);
        end += source[end] === '\\' ? 2 : 1;
      }
      if (end >= source.length) throw syntaxError('unterminated string', location);
      tokens.push({ kind: 'string', value: JSON.parse(source.slice(i, end + 1)) as string, location });
      i = end + 1;
    } else {
      throw syntaxError(`"${char}"`, here());
    }
  }
  tokens.push({ kind: 'end', value: '', location: here() });
  return tokens;
}

class Parser {
  private position = 0;

  constructor(private readonly tokens: Token[]) {}

  private get current(): Token {
    return this.tokens[this.position];
  }

  private next(): Token {
    return this.tokens[this.position++];
  }

  private at(value: string): boolean {
    return this.current.kind !== 'string' && this.current.value === value;
  }

  private expect(value: string): Token {
    if (!this.at(value)) throw this.unexpected();
    return this.next();
  }

  private name(): string {
    if (this.current.kind !== 'name') throw this.unexpected();
    return this.next().value;
  }

  private unexpected(): GraphqlRequestError {
    const token = this.current;
    const shown = token.kind === 'end' ? 'end of file' : token.kind === 'string' ? JSON.stringify(token.value) : `"${token.value}"`;
    return syntaxError(`${shown} (${token.kind === 'end' ? 'EOF' : token.kind.toUpperCase()})`, token.location);
  }

  document(): OperationNode[] {
    const operations: OperationNode[] = [];
    while (this.current.kind !== 'end') operations.push(this.operation());
    if (operations.length === 0) throw this.unexpected();
    return operations;
  }

  private operation(): OperationNode {
    const location = this.current.location;
    if (this.at('{')) return { operation: 'query', variables: [], selections: this.selectionSet(), location };
    if (this.at('fragment')) {
      throw new GraphqlRequestError([{ message: 'Fragment definitions are not supported by the fake GitHub', locations: [location] }]);
    }
    const keyword = this.name();
    if (keyword !== 'query' && keyword !== 'mutation') {
      throw syntaxError(`"${keyword}" (IDENTIFIER)`, location);
    }
    const name = this.current.kind === 'name' ? this.name() : undefined;
    const variables: VariableDefinition[] = [];
    if (this.at('(')) {
      this.next();
      while (!this.at(')')) {
        this.expect('$');
        const variable = this.name();
        this.expect(':');
        const type = this.type();
        const defaultValue = this.at('=') ? (this.next(), this.value()) : undefined;
        variables.push({ name: variable, type, defaultValue });
      }
      this.next();
    }
    this.refuseDirectives();
    return { operation: keyword, name, variables, selections: this.selectionSet(), location };
  }

  private type(): string {
    let type: string;
    if (this.at('[')) {
      this.next();
      type = `[${this.type()}]`;
      this.expect(']');
    } else {
      type = this.name();
    }
    if (this.at('!')) {
      this.next();
      type += '!';
    }
    return type;
  }

  private refuseDirectives(): void {
    if (this.at('@')) {
      throw new GraphqlRequestError([{ message: 'Directives are not supported by the fake GitHub', locations: [this.current.location] }]);
    }
  }

  private selectionSet(): SelectionNode[] {
    this.expect('{');
    const selections: SelectionNode[] = [];
    while (!this.at('}')) selections.push(this.selection());
    this.next();
    if (selections.length === 0) throw this.unexpected();
    return selections;
  }

  private selection(): SelectionNode {
    const location = this.current.location;
    if (this.at('...')) {
      this.next();
      if (this.current.kind === 'name' && this.current.value !== 'on') {
        throw new GraphqlRequestError([{ message: 'Fragment spreads are not supported by the fake GitHub', locations: [location] }]);
      }
      const typeCondition = this.at('on') ? (this.next(), this.name()) : undefined;
      this.refuseDirectives();
      return { kind: 'inlineFragment', typeCondition, selections: this.selectionSet(), location };
    }
    let name = this.name();
    let alias: string | undefined;
    if (this.at(':')) {
      this.next();
      alias = name;
      name = this.name();
    }
    const args = new Map<string, ValueNode>();
    if (this.at('(')) {
      this.next();
      while (!this.at(')')) {
        const argument = this.name();
        this.expect(':');
        args.set(argument, this.value());
      }
      this.next();
    }
    this.refuseDirectives();
    const selections = this.at('{') ? this.selectionSet() : undefined;
    return { kind: 'field', alias, name, args, selections, location };
  }

  private value(): ValueNode {
    const token = this.current;
    if (this.at('$')) {
      this.next();
      return { kind: 'variable', name: this.name() };
    }
    if (this.at('[')) {
      this.next();
      const items: ValueNode[] = [];
      while (!this.at(']')) items.push(this.value());
      this.next();
      return { kind: 'list', items };
    }
    if (this.at('{')) {
      this.next();
      const fields = new Map<string, ValueNode>();
      while (!this.at('}')) {
        const field = this.name();
        this.expect(':');
        fields.set(field, this.value());
      }
      this.next();
      return { kind: 'object', fields };
    }
    this.next();
    if (token.kind === 'string') return { kind: 'literal', value: token.value };
    if (token.kind === 'number') return { kind: 'literal', value: Number(token.value) };
    if (token.kind === 'name') {
      if (token.value === 'true' || token.value === 'false') return { kind: 'literal', value: token.value === 'true' };
      if (token.value === 'null') return { kind: 'literal', value: null };
      return { kind: 'literal', value: token.value }; // an enum value
    }
    this.position -= 1;
    throw this.unexpected();
  }
}

export function parseDocument(source: string): OperationNode[] {
  return new Parser(tokenize(source)).document();
}

// ---------------------------------------------------------------------------------------------
// schema and execution

/** Output types by name: each field's type (`Commit`, `[TreeEntry]`, a scalar). */
export interface Schema {
  objects: Record<string, Record<string, string>>;
  /** Interfaces: their own fields and the object types that implement them. */
  interfaces: Record<string, { fields: Record<string, string>; possibleTypes: string[] }>;
  scalars: ReadonlySet<string>;
}

/** A runtime object: its GraphQL type and, per field, a value or a resolver taking the field's arguments. */
export interface GraphqlObject {
  __typename: string;
  [field: string]: unknown;
}

/** May throw GraphqlFieldError (the field becomes null) or GraphqlRequestError (nothing is answered but errors). */
export type Resolver = (args: Record<string, unknown>) => unknown;

export interface ExecutionResult {
  data?: Record<string, unknown> | null;
  errors?: GraphqlError[];
}

function baseType(type: string): string {
  return type.replace(/[[\]!]/g, '');
}

function fieldsOf(schema: Schema, type: string): Record<string, string> | undefined {
  return schema.objects[type] ?? schema.interfaces[type]?.fields;
}

function applies(schema: Schema, condition: string | undefined, runtimeType: string): boolean {
  if (!condition || condition === runtimeType) return true;
  return schema.interfaces[condition]?.possibleTypes.includes(runtimeType) ?? false;
}

/** Checks every selection against the schema, before anything runs (as GitHub validates a document). */
function validate(schema: Schema, type: string, selections: SelectionNode[], path: string[], errors: GraphqlError[]): void {
  for (const selection of selections) {
    if (selection.kind === 'inlineFragment') {
      const condition = selection.typeCondition ?? type;
      // the condition must be able to hold: the same type, or an interface and one of its types
      const fits = applies(schema, type, condition) || applies(schema, condition, type);
      if (!fieldsOf(schema, condition)) {
        errors.push({ message: `No such type ${condition}, so it can't be a fragment condition`, locations: [selection.location], path: [...path, `... on ${condition}`], extensions: { code: 'undefinedType', typeName: condition } });
      } else if (!fits) {
        errors.push({ message: `Fragment on ${condition} can't be spread inside ${type}`, locations: [selection.location], path: [...path, `... on ${condition}`], extensions: { code: 'fragmentSpreadTypeMismatch' } });
      } else {
        validate(schema, condition, selection.selections, [...path, `... on ${condition}`], errors);
      }
      continue;
    }
    if (selection.name === '__typename') continue;
    const fieldType = fieldsOf(schema, type)?.[selection.name];
    const fieldPath = [...path, selection.alias ?? selection.name];
    if (!fieldType) {
      errors.push({ message: `Field '${selection.name}' doesn't exist on type '${type}'`, locations: [selection.location], path: fieldPath, extensions: { code: 'undefinedField', typeName: type, fieldName: selection.name } });
      continue;
    }
    const target = baseType(fieldType);
    const isScalar = schema.scalars.has(target);
    if (isScalar && selection.selections) {
      errors.push({ message: `Selections can't be made on scalars (field '${selection.name}' returns ${target} but has selections [${selection.selections.map((s) => (s.kind === 'field' ? s.name : '...')).join(', ')}])`, locations: [selection.location], path: fieldPath, extensions: { code: 'selectionMismatch' } });
    } else if (!isScalar && !selection.selections) {
      errors.push({ message: `Field must have selections (field '${selection.name}' returns ${target} but has no selections. Did you mean '${selection.name} { ... }'?)`, locations: [selection.location], path: fieldPath, extensions: { code: 'selectionMismatch' } });
    } else if (selection.selections) {
      validate(schema, target, selection.selections, fieldPath, errors);
    }
  }
}

function valueOf(node: ValueNode, variables: Record<string, unknown>): unknown {
  switch (node.kind) {
    case 'variable':
      return variables[node.name];
    case 'literal':
      return node.value;
    case 'list':
      return node.items.map((item) => valueOf(item, variables));
    case 'object':
      return Object.fromEntries([...node.fields].map(([name, value]) => [name, valueOf(value, variables)]));
  }
}

class Execution {
  readonly errors: GraphqlError[] = [];

  constructor(
    private readonly schema: Schema,
    private readonly variables: Record<string, unknown>,
  ) {}

  async project(value: unknown, selections: SelectionNode[], path: Array<string | number>): Promise<unknown> {
    if (value === null || value === undefined) return null;
    if (Array.isArray(value)) {
      const items: unknown[] = [];
      for (const [index, item] of value.entries()) items.push(await this.project(item, selections, [...path, index]));
      return items;
    }
    const object = value as GraphqlObject;
    const result: Record<string, unknown> = {};
    await this.collect(object, selections, path, result);
    return result;
  }

  /** Fields run one after another, as the spec requires of a mutation's fields. */
  private async collect(object: GraphqlObject, selections: SelectionNode[], path: Array<string | number>, result: Record<string, unknown>): Promise<void> {
    for (const selection of selections) {
      if (selection.kind === 'inlineFragment') {
        if (applies(this.schema, selection.typeCondition, object.__typename)) await this.collect(object, selection.selections, path, result);
        continue;
      }
      const key = selection.alias ?? selection.name;
      if (selection.name === '__typename') {
        result[key] = object.__typename;
        continue;
      }
      const fieldPath = [...path, key];
      try {
        const member = object[selection.name];
        const args = Object.fromEntries([...selection.args].map(([name, node]) => [name, valueOf(node, this.variables)]));
        const resolved = await (typeof member === 'function' ? (member as Resolver)(args) : member);
        result[key] = selection.selections ? await this.project(resolved, selection.selections, fieldPath) : (resolved ?? null);
      } catch (error) {
        if (!(error instanceof GraphqlFieldError)) throw error;
        result[key] = null;
        this.errors.push({ type: error.type, path: fieldPath, locations: [selection.location], message: error.message });
      }
    }
  }
}

/** Missing non-null variables are refused before anything runs, in GitHub's words. */
function checkVariables(operation: OperationNode, variables: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const errors: GraphqlError[] = [];
  for (const definition of operation.variables) {
    let value = variables[definition.name];
    if (value === undefined && definition.defaultValue) value = valueOf(definition.defaultValue, {});
    if ((value === undefined || value === null) && definition.type.endsWith('!')) {
      errors.push({
        message: `Variable $${definition.name} of type ${definition.type} was provided invalid value`,
        locations: [operation.location],
        extensions: { value: value ?? null, problems: [{ path: [], explanation: 'Expected value to not be null' }] },
      });
    }
    values[definition.name] = value;
  }
  if (errors.length > 0) throw new GraphqlRequestError(errors);
  return values;
}

export interface GraphqlRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

/** The operation a request runs, validated; throws GraphqlRequestError for anything GitHub would refuse unrun. */
export function prepare(schema: Schema, request: GraphqlRequest): { operation: OperationNode; variables: Record<string, unknown> } {
  if (typeof request.query !== 'string' || request.query.trim() === '') {
    throw new GraphqlRequestError([{ message: 'A query attribute must be specified and must be a string.' }]);
  }
  const operations = parseDocument(request.query);
  const wanted = typeof request.operationName === 'string' ? request.operationName : undefined;
  const operation = wanted ? operations.find((candidate) => candidate.name === wanted) : operations.length === 1 ? operations[0] : undefined;
  if (!operation) {
    throw new GraphqlRequestError([{ message: wanted ? `No operation named "${wanted}"` : 'An operation name is required' }]);
  }
  const root = operation.operation === 'query' ? 'Query' : 'Mutation';
  const errors: GraphqlError[] = [];
  validate(schema, root, operation.selections, [operation.operation], errors);
  if (errors.length > 0) throw new GraphqlRequestError(errors);
  const given = request.variables && typeof request.variables === 'object' ? (request.variables as Record<string, unknown>) : {};
  return { operation, variables: checkVariables(operation, given) };
}

/** Runs a prepared operation against its root object; field errors become nulls plus `errors`. */
export async function execute(schema: Schema, operation: OperationNode, variables: Record<string, unknown>, root: GraphqlObject): Promise<ExecutionResult> {
  const execution = new Execution(schema, variables);
  const data = (await execution.project(root, operation.selections, [])) as Record<string, unknown>;
  return execution.errors.length > 0 ? { data, errors: execution.errors } : { data };
}
