/**
 * Finds a commit the app made earlier with exactly this message. A change replayed after a crash
 * finds its files already in place; when the app's own commit is among the branch's latest, that
 * commit is the one the step made, and its sha belongs in the record (links, sync gates).
 */
import type { ReposApi } from './api.js';
import { attempt } from './errors.js';

export interface ListCommitsOctokit {
  rest: { repos: Pick<ReposApi, 'listCommits'> };
}

/** How far back to look: a replay follows its commit closely. */
const DEFAULT_DEPTH = 20;

export async function findOwnCommit(
  octokit: ListCommitsOctokit,
  options: { owner: string; repo: string; branch: string; message: string; depth?: number },
): Promise<string | null> {
  const { owner, repo, branch, message } = options;
  const { data } = await attempt(`listing the latest commits of ${branch}`, () =>
    octokit.rest.repos.listCommits({ owner, repo, sha: branch, per_page: options.depth ?? DEFAULT_DEPTH }),
  );
  const wanted = message.trim();
  return data.find((entry) => entry.commit.message.trim() === wanted)?.sha ?? null;
}
