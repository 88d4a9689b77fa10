/**
 * Errors about manifest files that a user can act on: every message starts with where the
 * problem is (`file:line:column: key:`) and ends with what to do about it.
 */

export type ManifestErrorCode =
  | 'yaml-parse'
  | 'document-not-found'
  | 'path-not-found'
  | 'invalid-path'
  | 'not-a-scalar'
  | 'aliased-value'
  | 'unsupported-yaml'
  | 'ambiguous'
  | 'image-not-found'
  | 'version-missing'
  | 'versions-disagree'
  | 'invalid-version'
  | 'edit-check-failed';

export interface ErrorLocation {
  /** Path of the file relative to the repository root. */
  readonly file: string;
  /** 1-based. */
  readonly line?: number;
  /** 1-based. */
  readonly column?: number;
  /** The YAML path or object the problem is about, e.g. `spec.template.spec.containers[0].image`. */
  readonly key?: string;
}

/** `apps/api/canary.yaml:12:5: spec.template.spec.containers[0].image` (parts that are unknown are left out). */
export function formatLocation(where: ErrorLocation): string {
  let text = where.file;
  if (where.line !== undefined) {
    text += `:${where.line}`;
    if (where.column !== undefined) text += `:${where.column}`;
  }
  if (where.key) text += `: ${where.key}`;
  return text;
}

/**
 * A manifest that cannot be read or edited. `Code` is a string constant callers can switch on;
 * subclasses (TrafficError) narrow it to their own codes.
 */
export class ManifestError<Code extends string = ManifestErrorCode> extends Error {
  readonly code: Code;
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly key?: string;
  /** What is wrong and what to do, without the location prefix. */
  readonly detail: string;

  constructor(code: Code, where: ErrorLocation, detail: string) {
    super(`${formatLocation(where)}: ${detail}`);
    this.name = 'ManifestError';
    this.code = code;
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
    this.key = where.key;
    this.detail = detail;
  }
}
