/**
 * One YAML file, parsed once, with the source text kept: edits are spliced into `text` at the
 * offsets of parsed nodes (see yaml-edit.ts) instead of re-rendering the documents, so untouched
 * bytes stay untouched.
 */
import {
  isAlias,
  isCollection,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node,
  type Scalar,
  type YAMLError,
} from 'yaml';
import { ManifestError, type ErrorLocation, type ManifestErrorCode } from './errors.js';
import { formatPath, parsePath, PathSyntaxError, type PathSegment, type YamlPath } from './yaml-path.js';
import { duplicateKeyMessage, duplicateKeys, MAX_MANIFEST_BYTES, oversize } from '../util/yaml-limits.js';

export interface YamlDocument {
  /** 0-based position among the non-empty documents of the file. */
  readonly index: number;
  readonly document: Document.Parsed;
  readonly kind?: string;
  readonly apiVersion?: string;
  /** metadata.name */
  readonly name?: string;
}

export type Lookup =
  | { readonly found: true; readonly node: Node; readonly throughAlias: boolean }
  | {
      readonly found: false;
      /** Index in the path of the first segment that is missing. */
      readonly missingAt: number;
      /** The deepest node that exists on the way (null for an empty document). */
      readonly deepest: Node | null;
      /** Keys (or `[0]`…`[n]`) available at the deepest node, for error messages. */
      readonly available: string[];
    };

export interface ErrorAnchor {
  /** A node whose start gives line and column. */
  readonly node?: Node | null;
  readonly offset?: number;
  readonly key?: string;
}

/** Hints for the parse errors people actually make in manifests. */
const PARSE_HINTS: Partial<Record<string, string>> = {
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  BAD_INDENT: 'check the indentation of this line against its siblings',
  MULTILINE_IMPLICIT_KEY: 'put the key on one line or check for a missing ":"',
  BAD_DQ_ESCAPE: 'fix the escape sequence in the double-quoted string',
};

export class YamlFile {
  private constructor(
    readonly path: string,
    readonly text: string,
    readonly documents: readonly YamlDocument[],
    private readonly lineCounter: LineCounter,
  ) {}

  /** Parses every document of the file; throws ManifestError (`yaml-parse`) with line and column. */
  static parse(path: string, text: string): YamlFile {
    const tooBig = oversize(text, MAX_MANIFEST_BYTES, 'a manifest');
    if (tooBig) throw new ManifestError('yaml-parse', { file: path, line: 1, column: 1 }, tooBig);
    const lineCounter = new LineCounter();
    // uniqueKeys off: the library's check is quadratic; duplicateKeys below is one pass
    const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
    const documents: YamlDocument[] = [];
    for (const document of parsed) {
      const error = document.errors[0];
      if (error) throw parseError(path, error, lineCounter);
      const [repeated] = duplicateKeys(document);
      if (repeated) {
        const { line, col } = lineCounter.linePos(repeated.offset);
        throw new ManifestError('yaml-parse', { file: path, line, column: col }, `invalid YAML: ${duplicateKeyMessage(repeated.key)}.`);
      }
      // a stray `---` or a comment-only document parses as an empty scalar
      if (document.contents === null || (isScalar(document.contents) && document.contents.value === null)) continue;
      const kind = document.get('kind');
      const apiVersion = document.get('apiVersion');
      const name = document.getIn(['metadata', 'name']);
      documents.push({
        index: documents.length,
        document,
        kind: typeof kind === 'string' ? kind : undefined,
        apiVersion: typeof apiVersion === 'string' ? apiVersion : undefined,
        name: typeof name === 'string' ? name : undefined,
      });
    }
    return new YamlFile(path, text, documents, lineCounter);
  }

  /** The line ending the file uses, so inserted lines match it. */
  get lineEnding(): '\n' | '\r\n' {
    return this.text.includes('\r\n') ? '\r\n' : '\n';
  }

  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; column: number } {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  /** Column (0-based) of an offset within its line. */
  columnOf(offset: number): number {
    return this.position(offset).column - 1;
  }

  /** `Deployment api`, or `document 2` for documents without kind and name. */
  describe(doc: YamlDocument): string {
    if (doc.kind && doc.name) return `${doc.kind} ${doc.name}`;
    if (doc.kind) return `${doc.kind} (document ${doc.index + 1})`;
    if (doc.name) return `${doc.name} (document ${doc.index + 1})`;
    return `document ${doc.index + 1}`;
  }

  /** `Service api, Deployment api` (all documents unless given), or `no documents`, for messages. */
  describeAll(docs: readonly YamlDocument[] = this.documents): string {
    return docs.map((doc) => this.describe(doc)).join(', ') || 'no documents';
  }

  /** The documents named `name`; a `document-not-found` error that lists the documents when none is. */
  named(name: string): YamlDocument[] {
    const named = this.documents.filter((doc) => doc.name === name);
    if (named.length === 0) throw this.error('document-not-found', `no document named "${name}"; found: ${this.describeAll()}. Fix \`name\` or the file.`);
    return named;
  }

  /** File, line, column and key of an anchor, for errors. */
  where(at: ErrorAnchor = {}): ErrorLocation {
    const offset = at.offset ?? at.node?.range?.[0];
    const position = offset === undefined ? undefined : this.position(offset);
    return { file: this.path, line: position?.line, column: position?.column, key: at.key };
  }

  error<Code extends string = ManifestErrorCode>(code: Code, detail: string, at: ErrorAnchor = {}): ManifestError<Code> {
    return new ManifestError(code, this.where(at), detail);
  }

  /** Parses a user-written path; a syntax error becomes a ManifestError that names the file. */
  parsePath(text: string): PathSegment[] {
    try {
      return parsePath(text);
    } catch (error) {
      if (error instanceof PathSyntaxError) throw this.error('invalid-path', error.message, { key: text });
      throw error;
    }
  }

  lookup(doc: YamlDocument, path: YamlPath): Lookup {
    let node: Node | null = doc.document.contents;
    let throughAlias = false;
    for (let index = 0; index < path.length; index++) {
      if (isAlias(node)) {
        node = node.resolve(doc.document) ?? null;
        throughAlias = true;
      }
      const segment = path[index];
      let next: Node | null | undefined;
      if (typeof segment === 'number' && isSeq(node)) next = node.items[segment] as Node | undefined;
      else if (typeof segment === 'string' && isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === segment);
        // `key:` with no value parses as an empty scalar; only `? key` leaves the value null
        next = pair ? ((pair.value as Node | null) ?? undefined) : undefined;
      }
      if (next === undefined || next === null) {
        return { found: false, missingAt: index, deepest: node, available: availableKeys(node) };
      }
      node = next;
    }
    if (node === null) return { found: false, missingAt: 0, deepest: null, available: [] };
    if (isAlias(node)) {
      node = node.resolve(doc.document) ?? node;
      throughAlias = true;
    }
    return { found: true, node, throughAlias };
  }

  /** The node at `path`, or a `path-not-found` error that says which key is missing and which exist. */
  nodeAt(doc: YamlDocument, path: YamlPath, what = 'value'): Node {
    return this.existing(doc, path, what).node;
  }

  /** The scalar at `path`; throws when it is missing, a collection, or reached through an alias. */
  editableScalarAt(doc: YamlDocument, path: YamlPath, what = 'value'): Scalar {
    const { node, throughAlias } = this.existing(doc, path, what);
    const key = formatPath(path);
    if (!isScalar(node)) {
      throw this.error('not-a-scalar', `expected a single ${what} here, found a ${isCollection(node) ? (isMap(node) ? 'map' : 'list') : 'node'}. Point the path at the ${what} itself.`, { node, key });
    }
    if (throughAlias) {
      throw this.error('aliased-value', `the ${what} comes from an alias (*name); editing it would change every place that uses the anchor. Write the ${what} here directly.`, { node, key });
    }
    return node;
  }

  private existing(doc: YamlDocument, path: YamlPath, what: string): Extract<Lookup, { found: true }> {
    const result = this.lookup(doc, path);
    if (result.found) return result;
    const missing = path[result.missingAt];
    const parentPath = formatPath(path.slice(0, result.missingAt)) || 'the document root';
    const absent = typeof missing === 'number' ? `no item [${missing}] in ${parentPath}` : `no key "${missing}" in ${parentPath}`;
    const available = result.available.length ? `; found: ${result.available.join(', ')}` : '';
    throw this.error('path-not-found', `${this.describe(doc)} has ${absent}${available}. Check the path to the ${what}.`, {
      node: result.deepest,
      key: formatPath(path),
    });
  }

  /** The scalar's text as written: strings as themselves, numbers like `1.10` exactly as in the file. */
  scalarText(node: Scalar): string {
    if (typeof node.value === 'string') return node.value;
    if (node.range) return this.text.slice(node.range[0], node.range[1]).trim();
    return String(node.value);
  }

  /** The document that holds `path`: the one named `name`, or else the only one where the path exists. */
  documentWithPath(path: YamlPath, name?: string): YamlDocument {
    if (name !== undefined) {
      const named = this.named(name);
      if (named.length > 1) throw this.error('ambiguous', `${named.length} documents are named "${name}"; keep one.`);
      return named[0];
    }
    if (this.documents.length === 0) throw this.error('path-not-found', 'the file has no YAML documents.', { key: formatPath(path) });
    const holding = this.documents.filter((doc) => this.lookup(doc, path).found);
    if (holding.length === 1) return holding[0];
    if (holding.length === 0) return this.documents[0]; // the lookup that follows reports what is missing
    throw this.error('ambiguous', `${holding.length} documents have ${formatPath(path)} (${this.describeAll(holding)}); set \`name\` to the metadata.name of the one to use.`);
  }

  /**
   * The one document matching `kinds` (and `name` when given). Without a name, several candidates
   * are ambiguous; `prefer` may settle that (e.g. the Ingress marked as canary).
   */
  selectDocument(options: {
    kinds: readonly string[];
    name?: string;
    prefer?: (doc: YamlDocument) => boolean;
  }): YamlDocument {
    const kindLabel = options.kinds.join(' or ');
    const candidates = this.documents.filter((doc) => doc.kind !== undefined && options.kinds.includes(doc.kind));
    if (options.name !== undefined) {
      const named = candidates.filter((doc) => doc.name === options.name);
      if (named.length === 1) return named[0];
      if (named.length > 1) {
        throw this.error('ambiguous', `${named.length} ${kindLabel} documents are named "${options.name}"; keep one.`);
      }
      const sameName = this.documents.find((doc) => doc.name === options.name);
      const hint = sameName ? ` ("${options.name}" is a ${sameName.kind ?? 'document without kind'})` : '';
      throw this.error('document-not-found', `no ${kindLabel} named "${options.name}"${hint}; found: ${this.describeAll()}. Fix the name or the file.`);
    }
    if (candidates.length === 1) return candidates[0];
    if (candidates.length === 0) {
      throw this.error('document-not-found', `no ${kindLabel} in this file; found: ${this.describeAll()}. Check the file path.`);
    }
    const preferred = options.prefer ? candidates.filter(options.prefer) : [];
    if (preferred.length === 1) return preferred[0];
    throw this.error(
      'ambiguous',
      `${candidates.length} ${kindLabel} documents (${candidates.map((doc) => doc.name ?? `document ${doc.index + 1}`).join(', ')}); set \`name\` to the metadata.name of the one to use.`,
    );
  }
}

function availableKeys(node: Node | null): string[] {
  if (isMap(node)) return node.items.flatMap((pair) => (isScalar(pair.key) ? [String(pair.key.value)] : []));
  if (isSeq(node)) return node.items.length ? [`[0]…[${node.items.length - 1}]`] : ['(empty list)'];
  return [];
}

function parseError(path: string, error: YAMLError, lineCounter: LineCounter): ManifestError {
  const { line, col } = lineCounter.linePos(error.pos[0]);
  const hint = PARSE_HINTS[error.code] ?? 'check the indentation and quoting of this line and the one before';
  const reason = error.message.replace(/\s+$/, '').replace(/\.$/, '');
  return new ManifestError('yaml-parse', { file: path, line, column: col }, `invalid YAML: ${reason}; ${hint}.`);
}
