/** Reading and closing a pull request the app opened (its revert pull request). */
import type { IssuesApi, PullsApi } from './api.js';
import { attempt } from './errors.js';

export interface PullStateOctokit {
  rest: { pulls: Pick<PullsApi, 'get'> };
}

export interface ClosePullOctokit {
  rest: { pulls: Pick<PullsApi, 'get' | 'update'>; issues: Pick<IssuesApi, 'createComment'> };
}

export type PullStatus = 'open' | 'closed' | 'merged';

export async function pullRequestStatus(
  octokit: PullStateOctokit,
  options: { owner: string; repo: string; number: number },
): Promise<PullStatus> {
  const { owner, repo, number } = options;
  const { data } = await attempt(`reading pull request #${number}`, () => octokit.rest.pulls.get({ owner, repo, pull_number: number }));
  if (data.merged || data.merged_at) return 'merged';
  return data.state === 'open' ? 'open' : 'closed';
}

/** The commits a check of the pull request reads, and whether its head is in a fork. */
export async function pullRequestSides(
  octokit: PullStateOctokit,
  options: { owner: string; repo: string; number: number },
): Promise<{ open: boolean; toDefaultBranch: boolean; headSha: string; baseSha: string; fork: boolean } | undefined> {
  const { owner, repo, number } = options;
  const { data } = await attempt(`reading pull request #${number}`, () => octokit.rest.pulls.get({ owner, repo, pull_number: number }));
  if (!data.head || !data.base) return undefined;
  return {
    open: data.state === 'open',
    toDefaultBranch: data.base.ref === data.base.repo.default_branch,
    headSha: data.head.sha,
    baseSha: data.base.sha,
    fork: data.head.repo?.full_name !== data.base.repo.full_name,
  };
}

/**
 * Closes an open pull request and says why in a comment. Already closed or merged: nothing to do,
 * so running it again after a crash neither comments twice nor reopens anything.
 */
export async function closePullRequest(
  octokit: ClosePullOctokit,
  options: { owner: string; repo: string; number: number; comment: string },
): Promise<{ closed: boolean; status: PullStatus }> {
  const { owner, repo, number } = options;
  const status = await pullRequestStatus(octokit, options);
  if (status !== 'open') return { closed: false, status };
  // Closing first: a crash in between loses the note at worst, never repeats it.
  await attempt(`closing pull request #${number}`, () => octokit.rest.pulls.update({ owner, repo, pull_number: number, state: 'closed' }));
  await attempt(`commenting on #${number}`, () => octokit.rest.issues.createComment({ owner, repo, issue_number: number, body: options.comment }));
  return { closed: true, status: 'closed' };
}
