/**
 * Has a GitOps controller reached the commit? It has when it reports the commit itself, or a later
 * commit of the branch whose history contains it: controllers apply the newest commit, not each one.
 */
import type { ReposApi } from '../forge/github/api.js';
import { attempt, isNotFound } from '../forge/github/errors.js';
import type { SyncTarget } from './gate.js';

/** Whether `later` is a descendant of `target.sha` in `target`'s repository. */
export type ContainsCommit = (target: Pick<SyncTarget, 'owner' | 'repo' | 'sha'>, later: string) => Promise<boolean>;

export interface CompareOctokit {
  rest: { repos: Pick<ReposApi, 'compareCommitsWithBasehead'> };
}

/** A full git object name; anything else (a tag, a chart version, an OCI digest) is no commit of ours. */
const COMMIT_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export function githubContains(octokit: CompareOctokit): ContainsCommit {
  return async ({ owner, repo, sha }, later) => {
    try {
      const { data } = await attempt(`comparing ${sha.slice(0, 7)} with ${later.slice(0, 7)}`, () =>
        octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${sha}...${later}` }),
      );
      return data.behind_by === 0;
    } catch (error) {
      // A revision from another repository (one source of a multi-source Application) is not ours.
      if (isNotFound(error)) return false;
      throw error;
    }
  };
}

/** Whether a revision a controller reports is the target commit or a later one that contains it. */
export async function reaches(contains: ContainsCommit, target: Pick<SyncTarget, 'owner' | 'repo' | 'sha'>, revision: string | undefined): Promise<boolean> {
  if (!revision) return false;
  if (revision === target.sha) return true;
  return COMMIT_SHA.test(revision) && contains(target, revision);
}

/** How a detail names a later revision than the commit waited for. */
export function laterNote(revision: string, sha: string): string {
  return revision === sha ? '' : ` (which contains ${shortRevision(sha)})`;
}

/** A commit as people read it (seven characters); other revisions as they are. */
export function shortRevision(revision: string): string {
  return COMMIT_SHA.test(revision) ? revision.slice(0, 7) : revision;
}
