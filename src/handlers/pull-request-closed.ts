/** `pull_request.closed`: a merge into the default branch may start rollouts. Returns at once. */
import type { Context } from 'probot';
import type { Runtime } from '../runtime.js';

export async function onPullRequestClosed(runtime: Runtime, context: Context<'pull_request.closed'>): Promise<void> {
  const { pull_request: pr, repository, installation } = context.payload;
  if (!pr.merged || !pr.merge_commit_sha || !installation) return;
  if (pr.base.ref !== repository.default_branch) return;
  // A redelivery (same delivery id) or a second event for the same merge commit starts nothing.
  if (!(await runtime.store.claimOnce(`delivery:${context.id}`))) return;
  if (!(await runtime.store.claimOnce(`merge:${repository.full_name}:${pr.merge_commit_sha}`))) return;
  runtime.startForMerge({
    repo: { installationId: installation.id, owner: repository.owner.login, repo: repository.name, defaultBranch: repository.default_branch },
    number: pr.number,
    title: pr.title,
    url: pr.html_url,
    mergeSha: pr.merge_commit_sha,
    author: pr.user?.login,
  });
}
