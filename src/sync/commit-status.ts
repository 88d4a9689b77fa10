/**
 * `sync.commitStatus`: the commit counts as applied once a commit status or check run with that
 * name is successful — what Argo CD and Flux notifications post. A GitOps controller that syncs a
 * later commit reports on that one, so a successful report on the branch head counts too when the
 * head contains the commit.
 */
import type { ChecksApi, ReposApi } from '../forge/github/api.js';
import { attempt } from '../forge/github/errors.js';
import { githubContains } from './contains.js';
import type { SyncGate, SyncTarget, SyncVerdict } from './gate.js';

export interface CommitStatusOctokit {
  rest: {
    repos: Pick<ReposApi, 'getCombinedStatusForRef' | 'compareCommitsWithBasehead'>;
    checks: Pick<ChecksApi, 'listForRef'>;
  };
}

const FAILED_STATUS = new Set(['failure', 'error']);
const FAILED_CHECK = new Set(['failure', 'timed_out', 'cancelled', 'action_required', 'startup_failure']);

type Combined = Awaited<ReturnType<ReposApi['getCombinedStatusForRef']>>['data'];

export function commitStatusGate(octokit: CommitStatusOctokit): SyncGate {
  const contains = githubContains(octokit);
  return {
    name: 'commitStatus',
    async check(target: SyncTarget): Promise<SyncVerdict> {
      const context = target.sync.commitStatus;
      if (!context) return { state: 'applied', detail: 'no commit status asked for' };
      const own = await reportOn(octokit, target, await combinedStatus(octokit, target, target.sha), context);
      if (own.state !== 'pending') return own;
      // the statuses of the branch name are those of its head, and say which commit that is
      const head = await combinedStatus(octokit, target, target.branch);
      if (head.sha === target.sha || !(await contains(target, head.sha))) return own;
      const later = await reportOn(octokit, target, head, context);
      return later.state === 'applied' ? { state: 'applied', detail: `${later.detail} (on ${head.sha.slice(0, 7)}, which contains ${target.sha.slice(0, 7)})` } : own;
    },
  };
}

async function combinedStatus(octokit: CommitStatusOctokit, target: SyncTarget, ref: string): Promise<Combined> {
  const { owner, repo } = target;
  const { data } = await attempt(`reading the statuses of ${ref === target.branch ? ref : ref.slice(0, 7)}`, () =>
    octokit.rest.repos.getCombinedStatusForRef({ owner, repo, ref, per_page: 100 }),
  );
  return data;
}

async function reportOn(octokit: CommitStatusOctokit, target: SyncTarget, combined: Combined, context: string): Promise<SyncVerdict> {
  const { owner, repo } = target;
  const short = combined.sha.slice(0, 7);
  const status = combined.statuses.find((s) => s.context === context);
  if (status?.state === 'success') return { state: 'applied', detail: `status ${context} is success on ${short}` };
  if (status && FAILED_STATUS.has(status.state)) {
    return { state: 'failed', detail: `status ${context} is ${status.state} on ${short}${status.description ? `: ${status.description}` : ''}` };
  }
  const { data: checks } = await attempt(`reading the check runs of ${short}`, () =>
    octokit.rest.checks.listForRef({ owner, repo, ref: combined.sha, check_name: context, filter: 'latest', per_page: 10 }),
  );
  const run = checks.check_runs[0];
  if (run?.conclusion === 'success') return { state: 'applied', detail: `check ${context} succeeded on ${short}` };
  if (run?.conclusion && FAILED_CHECK.has(run.conclusion)) return { state: 'failed', detail: `check ${context} ended ${run.conclusion} on ${short}` };
  const seen = status ? `is ${status.state}` : run ? `is ${run.status}` : 'has not been reported';
  return { state: 'pending', detail: `status ${context} ${seen} on ${short}` };
}
