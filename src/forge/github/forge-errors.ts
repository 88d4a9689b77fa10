/**
 * GitHub's answers as the forge port's errors: what may pass (server errors, rate limits, a branch
 * that kept moving, secondary limits answered with 403) is a ForgeUnavailableError, anything else
 * GitHub refused is a ForgeRefusedError. Errors without an answer from GitHub pass unchanged.
 */
import { ForgeError, ForgeRefusedError, ForgeUnavailableError, retryableHttpStatus, type ForgeErrorCode } from '../forge.js';
import { GITHUB_ERROR_CODES, GitHubEditError, requestStatus, type GitHubErrorCode } from './errors.js';

const CODES: Record<GitHubErrorCode, ForgeErrorCode> = {
  [GITHUB_ERROR_CODES.BRANCH_NOT_FOUND]: 'branch-not-found',
  [GITHUB_ERROR_CODES.CONFLICT_RETRIES_EXHAUSTED]: 'conflict-retries-exhausted',
  [GITHUB_ERROR_CODES.INVALID_CHANGE]: 'invalid-change',
  [GITHUB_ERROR_CODES.NOT_A_FILE]: 'not-a-file',
  [GITHUB_ERROR_CODES.NOTHING_TO_PROPOSE]: 'nothing-to-propose',
  [GITHUB_ERROR_CODES.INVALID_CHECK_RUN]: 'refused',
  [GITHUB_ERROR_CODES.REQUEST_FAILED]: 'refused',
};

export function asForgeError(error: unknown): unknown {
  if (error instanceof ForgeError) return error;
  // An edge that knows better (a read of the repository) says itself whether to try again.
  if (typeof (error as { retryable?: unknown } | null)?.retryable === 'boolean') return error;
  const status = requestStatus(error);
  if (status === undefined && !(error instanceof GitHubEditError)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof GitHubEditError ? CODES[error.code] : 'host-unavailable';
  if (status !== undefined && retryableHttpStatus(status)) return new ForgeUnavailableError(code === 'refused' ? 'host-unavailable' : code, message, { cause: error, status });
  return new ForgeRefusedError(code === 'host-unavailable' ? 'refused' : code, message, { cause: error, status });
}
