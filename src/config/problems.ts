import { formatLocation } from '../manifests/errors.js';
import { formatPath } from '../manifests/yaml-path.js';

/** A config problem a user can act on: which file, which line, which key, what is wrong. */
export interface ConfigProblem {
  file: string;
  /** Dotted key path such as `services.api.traffic.provider` (empty for the whole file). */
  key: string;
  message: string;
  line?: number;
  column?: number;
}

/** `.github/opsbox.yml:11:17: services.api.traffic.provider: expected one of …` */
export function formatProblem(problem: ConfigProblem): string {
  return `${formatLocation(problem)}: ${problem.message}`;
}

/**
 * `['services', 'api', 'steps', 2, 'setWeight']` → `services.api.steps[2].setWeight`, written like
 * the paths of manifest problems (a key with dots in brackets).
 */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  return formatPath(path.map((part) => (typeof part === 'number' ? part : String(part))));
}

export class ConfigError extends Error {
  readonly code = 'invalid-config';
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

/** The problems that stop one service: its own (`services.api` never takes `services.api-worker`'s) and those outside `services`. */
export function problemsOfService<P extends { key: string }>(problems: readonly P[], service: string): P[] {
  const serviceKey = `services.${service}`;
  return problems.filter((p) => p.key === serviceKey || p.key.startsWith(`${serviceKey}.`) || !p.key.startsWith('services.'));
}
