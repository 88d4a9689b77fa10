/**
 * The revert pull request, idempotently: one branch, one open pull request, however often it is
 * asked for (a redelivered webhook, a restart between any two steps).
 */
import type { GitApi, PullRequestSummary, PullsApi, ReposApi } from './api.js';
import { commitChange, type BuildChange, type CommitOctokit } from './commit.js';
import {
  attempt,
  GITHUB_ERROR_CODES,
  GitHubEditError,
  isNotFound,
  isReferenceAlreadyExists,
  requestFailed,
  requestStatus,
  validationMessages,
} from './errors.js';
import type { RevisionCache } from './revision-cache.js';

export interface RevertPrOctokit extends Pick<CommitOctokit, 'graphql'> {
  rest: {
    git: CommitOctokit['rest']['git'] & Pick<GitApi, 'getRef' | 'createRef' | 'updateRef' | 'deleteRef'>;
    repos: Pick<ReposApi, 'getContent' | 'compareCommitsWithBasehead'>;
    pulls: Pick<PullsApi, 'list' | 'create' | 'update'>;
  };
}

export interface RevertPrOptions {
  owner: string;
  repo: string;
  /** The branch the pull request targets (the default branch). */
  base: string;
  /** The pull request's own branch, e.g. `opsbox/revert/api-v2`. */
  branch: string;
  title: string;
  /** Set on a new pull request, and written to an existing one when it differs. */
  body?: string;
  /** Message of the commit that carries the change. */
  message: string;
  /** The change, built from the files on the branch. */
  build: BuildChange;
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  cache?: RevisionCache;
}

export interface RevertPrResult {
  number: number;
  url: string;
  /** True when this call opened the pull request. */
  created: boolean;
  /** The commit this call added to the branch, if any. */
  commitSha: string | null;
}

async function findOpenPull(octokit: RevertPrOctokit, options: RevertPrOptions): Promise<PullRequestSummary | undefined> {
  const { owner, repo, base, branch } = options;
  const { data } = await attempt(`looking for an open pull request from ${branch}`, () =>
    // the head filter only works as owner:branch; a bare branch name is ignored by GitHub
    octokit.rest.pulls.list({ owner, repo, head: `${owner}:${branch}`, base, state: 'open', per_page: 10 }),
  );
  return data[0];
}

async function branchHead(octokit: RevertPrOctokit, owner: string, repo: string, branch: string): Promise<string | null> {
  try {
    const { data } = await octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` });
    return data.object.sha;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw requestFailed(`reading branch ${branch}`, error);
  }
}

/**
 * Makes sure the branch exists and starts from the base: created from the base head when missing,
 * and moved to the base head when everything it had is already merged (a branch left over from an
 * earlier revert). Returns whether this call created it.
 */
async function prepareBranch(octokit: RevertPrOctokit, options: RevertPrOptions): Promise<boolean> {
  const { owner, repo, base, branch } = options;
  const existing = await branchHead(octokit, owner, repo, branch);
  if (existing === null) {
    const baseHead = await branchHead(octokit, owner, repo, base);
    if (baseHead === null) {
      throw new GitHubEditError(GITHUB_ERROR_CODES.BRANCH_NOT_FOUND, `branch ${base} does not exist in ${owner}/${repo}`, { status: 404 });
    }
    try {
      await octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: baseHead });
      return true;
    } catch (error) {
      // someone (an earlier delivery) created it just now: reuse it
      if (isReferenceAlreadyExists(error)) return false;
      throw requestFailed(`creating branch ${branch}`, error);
    }
  }
  const { data } = await attempt(`comparing ${base} with ${branch}`, () =>
    octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${base}...${branch}` }),
  );
  if (data.ahead_by === 0 && data.behind_by > 0) {
    await attempt(`resetting ${branch} to ${base}`, () =>
      octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: data.base_commit.sha, force: true }),
    );
  }
  return false;
}

async function updateBody(octokit: RevertPrOctokit, options: RevertPrOptions, pull: PullRequestSummary): Promise<void> {
  if (options.body === undefined || options.body === (pull.body ?? '')) return;
  const { owner, repo } = options;
  await attempt(`updating pull request #${pull.number}`, () =>
    octokit.rest.pulls.update({ owner, repo, pull_number: pull.number, body: options.body }),
  );
}

export async function ensureRevertPullRequest(octokit: RevertPrOctokit, options: RevertPrOptions): Promise<RevertPrResult> {
  const { owner, repo, base, branch, title, message, build } = options;
  const commitOptions = { owner, repo, branch, message, build, maxAttempts: options.maxAttempts, sleep: options.sleep, cache: options.cache };

  // Usually there is no branch yet: make it at the base head the app last saw (its own rollback
  // commit), and the commit on it needs no reads. A branch or pull request left over from an
  // earlier attempt is found the long way below.
  const knownBase = options.cache?.head(owner, repo, base);
  if (knownBase && (await createBranch(octokit, options, knownBase))) {
    options.cache?.setHead(owner, repo, branch, knownBase);
    const commit = await commitChange(octokit, commitOptions);
    if (commit.skipped) await nothingToPropose(octokit, options, true);
    return openPull(octokit, options, commit.sha, true);
  }

  const open = await findOpenPull(octokit, options);
  if (open) {
    const commit = await commitChange(octokit, commitOptions);
    await updateBody(octokit, options, open);
    return { number: open.number, url: open.html_url, created: false, commitSha: commit.sha };
  }

  const createdBranch = await prepareBranch(octokit, options);
  const commit = await commitChange(octokit, commitOptions);
  if (createdBranch && commit.skipped) await nothingToPropose(octokit, options, true);
  return openPull(octokit, options, commit.sha, createdBranch);
}

/** Creates the branch at `sha`; false when it exists already. */
async function createBranch(octokit: RevertPrOctokit, options: RevertPrOptions, sha: string): Promise<boolean> {
  const { owner, repo, branch } = options;
  try {
    await octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha });
    return true;
  } catch (error) {
    if (isReferenceAlreadyExists(error)) return false;
    throw requestFailed(`creating branch ${branch}`, error);
  }
}

/** Opens the pull request, or finds the one that is open already. */
async function openPull(octokit: RevertPrOctokit, options: RevertPrOptions, commitSha: string | null, createdBranch: boolean): Promise<RevertPrResult> {
  const { owner, repo, base, branch, title } = options;
  const commit = { sha: commitSha };
  try {
    const { data } = await octokit.rest.pulls.create({ owner, repo, title, head: branch, base, body: options.body });
    return { number: data.number, url: data.html_url, created: true, commitSha: commit.sha };
  } catch (error) {
    const reasons = validationMessages(error).join(' ');
    if (requestStatus(error) === 422 && /already exists/i.test(reasons)) {
      const existing = await findOpenPull(octokit, options);
      if (existing) {
        await updateBody(octokit, options, existing);
        return { number: existing.number, url: existing.html_url, created: false, commitSha: commit.sha };
      }
    }
    if (requestStatus(error) === 422 && /no commits between/i.test(reasons)) await nothingToPropose(octokit, options, createdBranch);
    throw requestFailed(`opening a pull request from ${branch}`, error);
  }
}

/** The base already has the change: no pull request, and no empty branch left behind by this call. */
async function nothingToPropose(octokit: RevertPrOctokit, options: RevertPrOptions, deleteBranch: boolean): Promise<never> {
  const { owner, repo, base, branch } = options;
  if (deleteBranch) {
    await attempt(`deleting the empty branch ${branch}`, () => octokit.rest.git.deleteRef({ owner, repo, ref: `heads/${branch}` }));
  }
  throw new GitHubEditError(GITHUB_ERROR_CODES.NOTHING_TO_PROPOSE, `${base} already has this change: no pull request from ${branch} is needed`, {
    status: 422,
  });
}
