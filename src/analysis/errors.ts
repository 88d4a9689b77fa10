/** Typed errors of the analysis engine. Messages say what is wrong, where, and what to do. */

export type TemplateErrorCode =
  | 'template-load'
  | 'template-invalid'
  | 'template-not-found'
  | 'template-duplicate'
  | 'argument-missing'
  | 'argument-invalid'
  | 'placeholder-unresolved'
  | 'provider-unsupported'
  | 'metric-invalid';

/** Where in the templates a problem is; every part is optional. */
export interface TemplateLocation {
  readonly file?: string;
  readonly template?: string;
  readonly metric?: string;
  readonly field?: string;
  /** 1-based position in the file, for problems of the text itself (YAML that does not parse). */
  readonly line?: number;
  readonly column?: number;
}

/** A template that cannot be loaded, found or resolved into runnable metrics. */
export class AnalysisTemplateError extends Error {
  readonly file?: string;
  readonly template?: string;
  readonly metric?: string;
  readonly field?: string;
  readonly line?: number;
  readonly column?: number;
  /** The message without its location prefix. */
  readonly reason: string;

  constructor(
    readonly code: TemplateErrorCode,
    message: string,
    location: TemplateLocation = {},
  ) {
    super(`${describeLocation(location)}${message}`);
    this.name = 'AnalysisTemplateError';
    this.reason = message;
    this.file = location.file;
    this.template = location.template;
    this.metric = location.metric;
    this.field = location.field;
    this.line = location.line;
    this.column = location.column;
  }
}

function describeLocation({ file, template, metric, field, line, column }: TemplateLocation): string {
  const parts: string[] = [];
  if (file) parts.push(line === undefined ? file : `${file}:${line}:${column ?? 1}`);
  if (template) parts.push(`template "${template}"`);
  if (metric) parts.push(`metric "${metric}"`);
  if (field) parts.push(`field ${field}`);
  return parts.length ? `${parts.join(', ')}: ` : '';
}

export type MeasurementErrorCode =
  | 'address-not-allowed'
  | 'address-missing'
  | 'address-invalid'
  | 'connection'
  | 'timeout'
  | 'aborted'
  | 'http-status'
  | 'prometheus-error'
  | 'bad-response'
  | 'unsupported-result'
  | 'query-invalid'
  | 'no-match'
  | 'provider-mismatch'
  | 'provider-unsupported';

/** A measurement that could not be taken; it becomes an Error measurement with this message. */
export class MeasurementError extends Error {
  constructor(
    readonly code: MeasurementErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MeasurementError';
  }
}

/** Misuse of the run state API (unknown metric, malformed state). */
export class RunStateError extends Error {
  readonly code = 'run-state-invalid';

  constructor(message: string) {
    super(message);
    this.name = 'RunStateError';
  }
}
