/** `pull_request.closed`: a merge into the default branch may start rollouts. Returns at once. */
import type { Context } from 'probot';
import { githubRepoRef } from '../forge/github/github-forge.js';
import type { Runtime } from '../app/runtime.js';
import type { DeliveryOutcome } from './outcome.js';

export async function onPullRequestClosed(runtime: Runtime, context: Context<'pull_request.closed'>): Promise<DeliveryOutcome> {
  const { pull_request: pr, repository, installation } = context.payload;
  if (!pr.merged || !pr.merge_commit_sha || !installation) return 'ignored';
  if (pr.base.ref !== repository.default_branch) return 'ignored';
  const merged = {
    repo: githubRepoRef({ installationId: installation.id, owner: repository.owner.login, repo: repository.name, defaultBranch: repository.default_branch }),
    number: pr.number,
    title: pr.title,
    url: pr.html_url,
    mergeSha: pr.merge_commit_sha,
    author: pr.user?.login,
  };
  // A redelivery carries the same merge commit: claiming the commit makes every repeat start nothing.
  // The claim keeps the pull request until its rollouts exist, so a crash in between loses nothing.
  const key = `merge:${repository.full_name}:${pr.merge_commit_sha}`;
  if (!(await runtime.inbox.claimOnce(key, merged))) return 'duplicate';
  runtime.startForMerge(key, merged);
  return 'claimed';
}
