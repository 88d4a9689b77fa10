/**
 * Edits as splices into the original text: a scalar is replaced at its exact range, a key is
 * added as one line with its siblings' indentation, a key is removed with its line. Nothing else
 * in the file is re-rendered, so a diff shows only the lines that were meant to change.
 */
import { isScalar, parseDocument, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { ManifestError } from './errors.js';
import { YamlFile } from './yaml-file.js';

export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export type ScalarValue = string | number;
export type ScalarStyle = 'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE';
/** A small block map to insert under a new key, e.g. annotations. */
export type MapValue = Readonly<Record<string, ScalarValue>>;

/** Applies non-overlapping edits; edits at the same offset keep the order they were given in. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const ordered = edits.map((edit, order) => ({ edit, order })).sort((a, b) => a.edit.start - b.edit.start || a.order - b.order);
  let result = '';
  let cursor = 0;
  for (const { edit } of ordered) {
    if (edit.start < cursor) throw new Error(`overlapping edits at offset ${edit.start}`);
    result += text.slice(cursor, edit.start) + edit.text;
    cursor = edit.end;
  }
  return result + text.slice(cursor);
}

/**
 * Applies the edits, re-parses the result and lets `check` confirm the new values read back
 * (it returns a description of the mismatch, or undefined). A failed check means a bug here, not
 * a problem with the user's file, so nothing half-edited ever leaves this function.
 */
export function applyEditsChecked(file: YamlFile, edits: readonly TextEdit[], check: (edited: YamlFile) => string | undefined): string {
  if (edits.length === 0) return file.text;
  const text = applyEdits(file.text, edits);
  let edited: YamlFile;
  try {
    edited = YamlFile.parse(file.path, text);
  } catch (error) {
    const reason = error instanceof ManifestError ? error.detail : String(error);
    throw file.error('edit-check-failed', `the edit would make the file invalid (${reason}); the file was left unchanged.`);
  }
  if (edited.documents.length !== file.documents.length) {
    throw file.error('edit-check-failed', `the edit would change the number of documents; the file was left unchanged.`);
  }
  const mismatch = check(edited);
  if (mismatch) throw file.error('edit-check-failed', `after the edit ${mismatch}; the file was left unchanged.`);
  return text;
}

/** A string that reads back as the same string when written without quotes (YAML 1.2 and 1.1). */
export function isPlainSafe(text: string): boolean {
  if (!text || text !== text.trim() || /[\r\n\t,[\]{}]/.test(text)) return false;
  for (const version of ['1.2', '1.1'] as const) {
    const doc = parseDocument(text, { version, logLevel: 'silent' });
    if (doc.errors.length || doc.warnings.length || doc.toJS() !== text) return false;
  }
  return true;
}

/** Renders a value in a scalar style; PLAIN falls back to double quotes when the text would change type. */
export function renderScalar(value: ScalarValue, style: ScalarStyle): string {
  const text = String(value);
  if (style === 'QUOTE_DOUBLE') return JSON.stringify(text);
  if (style === 'QUOTE_SINGLE') return `'${text.replaceAll("'", "''")}'`;
  return typeof value === 'number' || isPlainSafe(text) ? text : JSON.stringify(text);
}

function renderKey(key: string): string {
  return isPlainSafe(key) && !key.includes(': ') ? key : JSON.stringify(key);
}

/** Replaces a scalar in its original style (or `style` when given); comments after it stay. */
export function replaceScalar(file: YamlFile, node: Scalar, value: ScalarValue, options: { style?: ScalarStyle; key?: string } = {}): TextEdit {
  const range = requireRange(file, node, options.key);
  if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
    throw file.error('unsupported-yaml', 'this value is a block scalar (| or >); write it on one line so it can be updated.', { node, key: options.key });
  }
  const current = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? node.type : 'PLAIN';
  const rendered = renderScalar(value, options.style ?? current);
  // `key:` with nothing after the colon: the empty value sits right after the colon
  const text = range[0] === range[1] ? ` ${rendered}` : rendered;
  return { start: range[0], end: range[1], text };
}

/** Adds `key: value` as the last entry of a map, as one line with the siblings' indentation. */
export function insertPair(
  file: YamlFile,
  map: YAMLMap,
  key: string,
  value: ScalarValue | MapValue,
  options: { style?: ScalarStyle; key?: string } = {},
): TextEdit {
  const range = requireRange(file, map, options.key);
  const style = options.style ?? 'PLAIN';
  const entries = typeof value === 'object' ? Object.entries(value) : [];

  if (map.flow) {
    const rendered =
      typeof value === 'object' ? `{ ${entries.map(([k, v]) => `${renderKey(k)}: ${renderScalar(v, style)}`).join(', ')} }` : renderScalar(value, style);
    const last = map.items.at(-1);
    if (!last) return { start: range[0] + 1, end: range[0] + 1, text: `${renderKey(key)}: ${rendered}` };
    const end = endOfPair(last);
    return { start: end, end, text: `, ${renderKey(key)}: ${rendered}` };
  }

  const firstKey = map.items[0]?.key as Node | undefined;
  const indent = ' '.repeat(firstKey?.range ? file.columnOf(firstKey.range[0]) : 0);
  const eol = file.lineEnding;
  const lines =
    typeof value === 'object'
      ? [`${indent}${renderKey(key)}:`, ...entries.map(([k, v]) => `${indent}  ${renderKey(k)}: ${renderScalar(v, style)}`)]
      : [`${indent}${renderKey(key)}: ${renderScalar(value, style)}`];

  // a block map ends after the newline of its last entry; at the end of a file there may be none
  let at = range[1];
  if (at > 0 && file.text[at - 1] !== '\n') {
    const newline = file.text.indexOf('\n', at);
    if (newline < 0) return { start: file.text.length, end: file.text.length, text: eol + lines.join(eol) };
    at = newline + 1;
  }
  return { start: at, end: at, text: lines.join(eol) + eol };
}

/** Removes `key: value` (a scalar value) from a map, with its line when the key starts the line. */
export function removePair(file: YamlFile, map: YAMLMap, key: string, options: { key?: string } = {}): TextEdit {
  const index = map.items.findIndex((pair) => isScalar(pair.key) && String(pair.key.value) === key);
  const pair = map.items[index];
  if (!pair) throw new Error(`removePair: no key ${key}`);
  const keyNode = pair.key as Node;
  const keyStart = requireRange(file, keyNode, options.key)[0];
  const valueEnd = endOfPair(pair);
  const next = map.items[index + 1];
  const nextKeyStart = (next?.key as Node | undefined)?.range?.[0];

  if (map.flow) {
    if (index > 0) {
      const start = endOfPair(map.items[index - 1]);
      return { start, end: valueEnd, text: '' };
    }
    return { start: keyStart, end: nextKeyStart ?? valueEnd, text: '' };
  }

  const lineStart = file.text.lastIndexOf('\n', keyStart - 1) + 1;
  if (/^\s*$/.test(file.text.slice(lineStart, keyStart))) {
    const newline = file.text.indexOf('\n', valueEnd);
    return { start: lineStart, end: newline < 0 ? file.text.length : newline + 1, text: '' };
  }
  // `- key: value` shares its line with the list dash: pull the next key up instead
  if (nextKeyStart === undefined) {
    throw file.error('unsupported-yaml', `cannot remove "${key}", the only entry of this list item.`, { node: keyNode, key: options.key });
  }
  return { start: keyStart, end: nextKeyStart, text: '' };
}

function endOfPair(pair: Pair): number {
  const value = pair.value as Node | null;
  return value?.range?.[1] ?? (pair.key as Node).range![1];
}

function requireRange(file: YamlFile, node: Node, key?: string): [number, number, number] {
  if (!node.range) throw file.error('unsupported-yaml', 'this node has no position in the file and cannot be edited in place.', { key });
  return node.range;
}
