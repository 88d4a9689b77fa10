/**
 * Turns `.github/opsbox.yml` into a validated config, with every problem located by key path and,
 * when the source text is at hand, by line.
 */
import { LineCounter, parseDocument, isMap, isNode, isScalar, type Document } from 'yaml';
import { explainIssues, type ExplainedIssue } from './issue-messages.js';
import { CONFIG_PATH, configSchema, type OpsboxConfig } from './opsbox.schema.js';
import { ConfigError, formatKeyPath, type ConfigProblem } from './problems.js';

export type ConfigResult = { ok: true; config: OpsboxConfig } | { ok: false; problems: ConfigProblem[] };

/** Validates an already parsed config object (e.g. from Probot's `context.config`, `_extends` applied). */
export function validateConfig(raw: unknown, source?: { file?: string; text?: string }): ConfigResult {
  const file = source?.file ?? CONFIG_PATH;
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, problems: [{ file, key: '', message: 'expected a mapping with `services:` (see the config reference in README.md)' }] };
  }
  const { _extends: _ignored, ...rest } = raw as Record<string, unknown>;
  // with the input in each issue, a wrong type is told apart from a missing key
  const parsed = configSchema.safeParse(rest, { reportInput: true });
  if (parsed.success) return { ok: true, config: parsed.data };
  const located = source?.text ? locator(source.text) : undefined;
  const lineOf = (path: PropertyKey[]) => located?.(path, true)?.line;
  return { ok: false, problems: explainIssues(parsed.error.issues, rest, lineOf).map((issue) => toProblem(issue, file, located)) };
}

/** Parses and validates the config file's text; YAML syntax errors carry line and column. */
export function parseConfigText(text: string, file: string = CONFIG_PATH): ConfigResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((error) => {
        const pos = lineCounter.linePos(error.pos[0]);
        return { file, key: '', line: pos.line, column: pos.col, message: `invalid YAML: ${firstLine(error.message)}` };
      }),
    };
  }
  return validateConfig(doc.toJS(), { file, text });
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
  const doc: Document = parseDocument(text, { lineCounter });
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

function firstLine(message: string): string {
  return message.split('\n')[0];
}
