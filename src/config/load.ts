/**
 * Turns `.github/opsbox.yml` into a validated config, with every problem located by key path and,
 * when the source text is at hand, by line.
 */
import { LineCounter, parseDocument, isMap, isNode, isScalar, visit, type Document } from 'yaml';
import { duplicateKeyMessage, duplicateKeys, oversize } from '../util/yaml-limits.js';
import type { z } from 'zod';
import { explainIssues, type ExplainedIssue } from './issue-messages.js';
import { CONFIG_PATH, configSchema, type OpsboxConfig } from './opsbox.schema.js';
import { ConfigError, formatKeyPath, type ConfigProblem } from './problems.js';

export type ConfigResult = { ok: true; config: OpsboxConfig } | { ok: false; problems: ConfigProblem[] };

/** Validates an already parsed config object (e.g. from Probot's `context.config`, `_extends` applied). */
export function validateConfig(raw: unknown, source?: { file?: string; text?: string }): ConfigResult {
  const file = source?.file ?? CONFIG_PATH;
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) {
    const at = source?.text === undefined ? {} : { line: 1, column: 1 };
    const found = raw === null || raw === undefined ? 'an empty file' : Array.isArray(raw) ? 'a list' : `a ${typeof raw}`;
    return { ok: false, problems: [{ file, key: '', ...at, message: `expected a mapping with \`services:\`, found ${found} (see the config reference in README.md)` }] };
  }
  const { _extends: _ignored, ...rest } = raw as Record<string, unknown>;
  // with the input in each issue, a wrong type is told apart from a missing key
  const parsed = configSchema.safeParse(rest, { reportInput: true });
  if (parsed.success) return { ok: true, config: parsed.data };
  const located = source?.text ? locator(source.text) : undefined;
  const lineOf = (path: PropertyKey[]) => located?.(path, true)?.line;
  return { ok: false, problems: explainIssues(parsed.error.issues, rest, lineOf).map((issue) => toProblem(issue, file, located)) };
}

/**
 * The largest config file read. A config of a few hundred services is far below it; a larger file
 * is refused before it is parsed, so it cannot hold the app up.
 */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** Alias expansions allowed while reading a config or template: enough for real YAML, not for a bomb. */
export const MAX_ALIAS_COUNT = 100;

export type ParsedSource = { ok: true; raw: unknown } | { ok: false; problems: ConfigProblem[] };

/**
 * Parses a config file's text into plain data, without checking it against the schema (`_extends`
 * is merged first). Every way the text can fail to be YAML is a problem with line and column:
 * syntax errors, duplicate keys, too many alias expansions, a file over the size limit.
 */
export function parseConfigSource(text: string, file: string = CONFIG_PATH): ParsedSource {
  const tooBig = oversize(text, MAX_CONFIG_BYTES, 'a config');
  if (tooBig) return { ok: false, problems: [{ file, key: '', line: 1, column: 1, message: tooBig }] };
  const lineCounter = new LineCounter();
  // The library's own duplicate-key check compares every key with every other one (seconds for a
  // file of short keys); duplicateKeys does the same check in one pass.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((error) => {
        const pos = lineCounter.linePos(error.pos[0]);
        return { file, key: '', line: pos.line, column: pos.col, message: `invalid YAML: ${firstLine(error.message)}` };
      }),
    };
  }
  const duplicates = duplicateKeys(doc);
  if (duplicates.length > 0) {
    return {
      ok: false,
      problems: duplicates.map(({ key, offset }) => {
        const pos = lineCounter.linePos(offset);
        return { file, key: '', line: pos.line, column: pos.col, message: `invalid YAML: ${duplicateKeyMessage(key)}` };
      }),
    };
  }
  try {
    return { ok: true, raw: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    // Thrown while expanding aliases (`Excessive alias count …`): point at the first alias.
    const pos = firstAliasPosition(doc, lineCounter);
    return { ok: false, problems: [{ file, key: '', ...pos, message: `invalid YAML: ${firstLine((error as Error).message)}; write the repeated values out or use fewer aliases` }] };
  }
}

/** Parses and validates the config file's text; YAML problems carry line and column. */
export function parseConfigText(text: string, file: string = CONFIG_PATH): ConfigResult {
  const parsed = parseConfigSource(text, file);
  if (!parsed.ok) return parsed;
  return validateConfig(parsed.raw, { file, text });
}

export function parseConfigOrThrow(text: string, file: string = CONFIG_PATH): OpsboxConfig {
  const result = parseConfigText(text, file);
  if (!result.ok) throw new ConfigError(result.problems);
  return result.config;
}

function toProblem(issue: ExplainedIssue, file: string, locate?: Locate): ConfigProblem {
  // For an unknown key, point at the key itself, not at its value.
  const pos = locate?.(issue.path, issue.atKey);
  return { file, key: formatKeyPath(issue.path), message: issue.message, ...(pos ?? {}) };
}

interface Position {
  line: number;
  column: number;
}

type Locate = (path: PropertyKey[], atKey?: boolean) => Position | undefined;

/** Finds the line of the deepest existing node along a key path (or of the last key itself). */
function locator(text: string): Locate {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, uniqueKeys: false });
  return (path, atKey) => {
    if (atKey && path.length > 0) {
      const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1) as unknown[], true);
      if (isMap(parent)) {
        const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === path[path.length - 1]);
        if (pair && isNode(pair.key) && pair.key.range) {
          const pos = lineCounter.linePos(pair.key.range[0]);
          return { line: pos.line, column: pos.col };
        }
      }
    }
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as unknown[], true);
      if (isNode(node) && node.range) {
        const pos = lineCounter.linePos(node.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    return undefined;
  };
}

function firstAliasPosition(doc: Document, lineCounter: LineCounter): { line?: number; column?: number } {
  let offset: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  if (offset === undefined) return {};
  const pos = lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function firstLine(message: string): string {
  return message.split('\n')[0];
}
