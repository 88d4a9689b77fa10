/** `pull_request.opened`, `synchronize`, `reopened`: the preflight check of its head. Returns at once. */
import type { Context } from 'probot';
import type { Runtime } from '../app/runtime.js';
import type { DeliveryOutcome } from './outcome.js';

export async function onPullRequestUpdated(
  runtime: Runtime,
  context: Context<'pull_request.opened' | 'pull_request.synchronize' | 'pull_request.reopened'>,
): Promise<DeliveryOutcome> {
  const { pull_request: pr, repository, installation } = context.payload;
  // Only a merge into the default branch starts a rollout.
  if (!installation || pr.base.ref !== repository.default_branch) return 'ignored';
  runtime.preflight({
    installationId: installation.id,
    owner: repository.owner.login,
    repo: repository.name,
    number: pr.number,
    headSha: pr.head.sha,
    baseSha: pr.base.sha,
    // A deleted fork has no head repository: still not this one.
    fork: pr.head.repo?.full_name !== repository.full_name,
    // A push makes a head no check was made for. An opened or reopened pull request may share its
    // head with another one (or have had it checked before), so its check is looked for first.
    newHead: context.payload.action === 'synchronize',
  });
  return 'queued';
}
