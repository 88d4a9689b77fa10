/** A config problem a user can act on: which file, which line, which key, what is wrong. */
export interface ConfigProblem {
  file: string;
  /** Dotted key path such as `services.api.traffic.provider` (empty for the whole file). */
  key: string;
  message: string;
  line?: number;
  column?: number;
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line ? `${problem.file}:${problem.line}${problem.column ? `:${problem.column}` : ''}` : problem.file;
  return problem.key ? `${where}: ${problem.key}: ${problem.message}` : `${where}: ${problem.message}`;
}

/** `['services', 'api', 'steps', 2, 'setWeight']` → `services.api.steps[2].setWeight`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

export class ConfigError extends Error {
  readonly code = 'invalid-config';
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}
