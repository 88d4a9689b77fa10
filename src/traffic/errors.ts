import { ManifestError, type ErrorLocation } from '../manifests/errors.js';
import type { ErrorAnchor, YamlFile } from '../manifests/yaml-file.js';

export type TrafficErrorCode =
  | 'backend-not-found'
  | 'duplicate-backend'
  | 'invalid-weight'
  | 'inconsistent-weights'
  | 'other-backend'
  | 'file-missing'
  | 'not-canary'
  | 'workload-not-found';

/**
 * A traffic object that cannot be read or set. It is a ManifestError, so callers that report
 * manifest problems catch both; YAML syntax and missing documents stay plain ManifestErrors.
 */
export class TrafficError extends ManifestError<TrafficErrorCode> {
  constructor(code: TrafficErrorCode, where: ErrorLocation, detail: string) {
    super(code, where, detail);
    this.name = 'TrafficError';
  }
}

export function trafficError(file: YamlFile, code: TrafficErrorCode, detail: string, at: ErrorAnchor = {}): TrafficError {
  return new TrafficError(code, file.where(at), detail);
}
