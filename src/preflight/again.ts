/**
 * `/preflight`: the preflight check of an open pull request, run again on request. Only a pull
 * request into the default branch is checked; its check run is the only answer.
 */
import { pullRequestSides, type PullStateOctokit } from '../forge/github/pull-request.js';
import type { PreflightRequest } from './run.js';

export async function preflightAgain(
  octokit: PullStateOctokit,
  pull: { installationId: number; owner: string; repo: string; number: number },
  run: (request: PreflightRequest) => Promise<void>,
): Promise<boolean> {
  const { installationId, owner, repo, number } = pull;
  const sides = await pullRequestSides(octokit, { owner, repo, number });
  if (!sides?.open || !sides.toDefaultBranch) return false;
  await run({ installationId, owner, repo, number, headSha: sides.headSha, baseSha: sides.baseSha, fork: sides.fork });
  return true;
}
