/** Reads one file at a revision through the contents API. */
import type { GitApi, ReposApi } from './api.js';
import { attempt, GITHUB_ERROR_CODES, GitHubEditError, isNotFound, requestFailed, requestStatus } from './errors.js';

export interface FilesOctokit {
  rest: {
    repos: Pick<ReposApi, 'getContent'>;
    git: Pick<GitApi, 'getBlob'>;
  };
}

interface ContentFile {
  type: 'file';
  encoding: string;
  content: string;
  sha: string;
}

function isFile(data: unknown): data is ContentFile {
  return typeof data === 'object' && data !== null && !Array.isArray(data) && (data as { type?: unknown }).type === 'file';
}

/** A blob or contents `content` field as text. */
export function decode(content: string, encoding: string): string {
  return encoding === 'base64' ? Buffer.from(content, 'base64').toString('utf8') : content;
}

/**
 * The text of `path` at `ref` (a branch, tag or commit sha), or null when the file does not exist.
 * A directory or submodule at that path is an error, not a missing file.
 */
export async function readFileAt(
  octokit: FilesOctokit,
  options: { owner: string; repo: string; ref: string; path: string },
): Promise<string | null> {
  const { owner, repo, ref, path } = options;
  let data: unknown;
  try {
    ({ data } = await octokit.rest.repos.getContent({ owner, repo, path, ref }));
  } catch (error) {
    if (isNotFound(error)) return null;
    throw requestStatus(error) === undefined ? error : requestFailed(`reading ${path} at ${ref}`, error);
  }
  if (!isFile(data)) {
    throw new GitHubEditError(GITHUB_ERROR_CODES.NOT_A_FILE, `${path} at ${ref} is not a file`);
  }
  // above 1 MiB the contents API leaves the body out (encoding "none"); the blob has it
  if (data.encoding === 'none') {
    const blob = await attempt(`reading ${path} at ${ref}`, () =>
      octokit.rest.git.getBlob({ owner, repo, file_sha: data.sha }),
    );
    return decode(blob.data.content, blob.data.encoding);
  }
  return decode(data.content, data.encoding);
}
