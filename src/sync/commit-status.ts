/**
 * `sync.commitStatus`: the commit counts as applied once a commit status or check run with that
 * name is successful — what Argo CD and Flux notifications post. A GitOps controller that syncs a
 * later commit reports on that one, so a successful report on the branch head counts too when the
 * head contains the commit.
 */
import type { ChecksApi, GitApi, ReposApi } from '../github/api.js';
import { attempt } from '../github/errors.js';
import { githubContains } from './contains.js';
import type { SyncGate, SyncTarget, SyncVerdict } from './gate.js';

export interface CommitStatusOctokit {
  rest: {
    repos: Pick<ReposApi, 'getCombinedStatusForRef' | 'compareCommitsWithBasehead'>;
    checks: Pick<ChecksApi, 'listForRef'>;
    git: Pick<GitApi, 'getRef'>;
  };
}

const FAILED_STATUS = new Set(['failure', 'error']);
const FAILED_CHECK = new Set(['failure', 'timed_out', 'cancelled', 'action_required', 'startup_failure']);

export function commitStatusGate(octokit: CommitStatusOctokit): SyncGate {
  const contains = githubContains(octokit);
  return {
    name: 'commitStatus',
    async check(target: SyncTarget): Promise<SyncVerdict> {
      const context = target.sync.commitStatus;
      if (!context) return { state: 'applied', detail: 'no commit status asked for' };
      const own = await reportOn(octokit, target, target.sha, context);
      if (own.state !== 'pending') return own;
      const head = await branchHead(octokit, target);
      if (head === target.sha || !(await contains(target, head))) return own;
      const later = await reportOn(octokit, target, head, context);
      return later.state === 'applied' ? { state: 'applied', detail: `${later.detail} (on ${head.slice(0, 7)}, which contains ${target.sha.slice(0, 7)})` } : own;
    },
  };
}

async function reportOn(octokit: CommitStatusOctokit, target: SyncTarget, sha: string, context: string): Promise<SyncVerdict> {
  const { owner, repo } = target;
  const short = sha.slice(0, 7);
  const { data: combined } = await attempt(`reading the statuses of ${short}`, () =>
    octokit.rest.repos.getCombinedStatusForRef({ owner, repo, ref: sha, per_page: 100 }),
  );
  const status = combined.statuses.find((s) => s.context === context);
  if (status?.state === 'success') return { state: 'applied', detail: `status ${context} is success on ${short}` };
  if (status && FAILED_STATUS.has(status.state)) {
    return { state: 'failed', detail: `status ${context} is ${status.state} on ${short}${status.description ? `: ${status.description}` : ''}` };
  }
  const { data: checks } = await attempt(`reading the check runs of ${short}`, () =>
    octokit.rest.checks.listForRef({ owner, repo, ref: sha, check_name: context, filter: 'latest', per_page: 10 }),
  );
  const run = checks.check_runs[0];
  if (run?.conclusion === 'success') return { state: 'applied', detail: `check ${context} succeeded on ${short}` };
  if (run?.conclusion && FAILED_CHECK.has(run.conclusion)) return { state: 'failed', detail: `check ${context} ended ${run.conclusion} on ${short}` };
  const seen = status ? `is ${status.state}` : run ? `is ${run.status}` : 'has not been reported';
  return { state: 'pending', detail: `status ${context} ${seen} on ${short}` };
}

async function branchHead(octokit: CommitStatusOctokit, target: SyncTarget): Promise<string> {
  const { owner, repo, branch } = target;
  const { data } = await attempt(`reading ${branch}`, () => octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` }));
  return data.object.sha;
}
