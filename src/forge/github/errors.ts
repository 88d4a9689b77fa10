/**
 * Typed errors of the GitHub edges, and helpers that read Octokit's request errors without
 * depending on its classes (test doubles throw plain objects with a `status`).
 */

export const GITHUB_ERROR_CODES = {
  /** The branch to edit does not exist. */
  BRANCH_NOT_FOUND: 'github-branch-not-found',
  /** The branch kept moving under every attempt; worth trying again later. */
  CONFLICT_RETRIES_EXHAUSTED: 'github-conflict-retries-exhausted',
  /** The change itself is malformed (an empty or duplicated path, a missing callback). */
  INVALID_CHANGE: 'github-invalid-change',
  /** A path names a directory or a submodule where a file was expected. */
  NOT_A_FILE: 'github-not-a-file',
  /** A pull request would contain nothing: the base already has the change. */
  NOTHING_TO_PROPOSE: 'github-nothing-to-propose',
  /** A check run request GitHub would refuse (a completed run without a conclusion). */
  INVALID_CHECK_RUN: 'github-invalid-check-run',
  /** GitHub answered with an error. */
  REQUEST_FAILED: 'github-request-failed',
} as const;

export type GitHubErrorCode = (typeof GITHUB_ERROR_CODES)[keyof typeof GITHUB_ERROR_CODES];

export class GitHubEditError extends Error {
  /** The HTTP status behind the error, when there is one (409 when the branch moved under every commit attempt). */
  readonly status: number | undefined;

  constructor(
    readonly code: GitHubErrorCode,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GitHubEditError';
    this.status = options.status;
  }
}

/** The HTTP status of an Octokit request error (or anything shaped like one). */
export function requestStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

/** GitHub's own message (`response.data.message`), without Octokit's documentation suffix. */
export function githubMessage(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const data = (error as { response?: { data?: unknown } }).response?.data;
  if (typeof data === 'object' && data !== null && typeof (data as { message?: unknown }).message === 'string') {
    return (data as { message: string }).message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Messages inside a 422 "Validation Failed" `errors` array, e.g. "A pull request already exists for …". */
export function validationMessages(error: unknown): string[] {
  if (typeof error !== 'object' || error === null) return [];
  const errors = (error as { response?: { data?: { errors?: unknown } } }).response?.data?.errors;
  if (!Array.isArray(errors)) return [];
  return errors
    .map((entry) => (typeof entry === 'string' ? entry : (entry as { message?: unknown })?.message))
    .filter((message): message is string => typeof message === 'string');
}

export function isNotFound(error: unknown): boolean {
  return requestStatus(error) === 404;
}

export function isReferenceAlreadyExists(error: unknown): boolean {
  return requestStatus(error) === 422 && /reference already exists/i.test(githubMessage(error));
}

/**
 * Wraps a failed request in a GitHubEditError that says what was being done. Only GitHub's message
 * and status are kept in the text; the request (and its headers) stay out of it.
 */
export function requestFailed(action: string, error: unknown): GitHubEditError {
  const status = requestStatus(error);
  const details = [githubMessage(error), ...validationMessages(error)].join(': ');
  return new GitHubEditError(GITHUB_ERROR_CODES.REQUEST_FAILED, `${action} failed${status ? ` (${status})` : ''}: ${details}`, {
    status,
    cause: error,
  });
}

/** Runs one request; a request error becomes a GitHubEditError naming `action`. */
export async function attempt<T>(action: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof GitHubEditError || requestStatus(error) === undefined) throw error;
    throw requestFailed(action, error);
  }
}
