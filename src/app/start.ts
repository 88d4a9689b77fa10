/**
 * Handles a merged pull request outside the webhook request: loads the config the way Probot's
 * `context.config` does (`_extends` included), plans the rollouts, supersedes older ones of the same
 * service, and reports bad input on the pull request and the check run. A config that does not
 * parse is bad input like any other; one that cannot be read throws, so the merge is tried again.
 */
import type { Logger } from 'pino';
import { validateConfig } from '../config/load.js';
import { CONFIG_PATH } from '../config/opsbox.schema.js';
import type { ConfigProblem } from '../config/problems.js';
import { upsertCheckRun } from '../forge/github/check-run.js';
import { upsertComment } from '../forge/github/comment.js';
import { loadRepoConfig } from '../forge/github/config-file.js';
import type { RevisionCache } from '../forge/github/revision-cache.js';
import { renderConfigProblems } from '../report/render.js';
import type { SyncGateCheck } from '../sync/registry.js';
import type { RolloutEngine } from './engine.js';
import type { InstallationOctokit } from './executor.js';
import { planRollouts, type MergedPullRequest } from './trigger.js';

export type ConfigOctokit = InstallationOctokit;

export interface StartDeps {
  engine: RolloutEngine;
  auth(installationId: number): Promise<ConfigOctokit>;
  /** The app's own login (`<app-slug>[bot]`), to find its problems comment again. */
  appLogin: () => Promise<string>;
  clock: () => number;
  defaultPrometheus?: string;
  /** Where secret arguments of templates are read (the app's environment). */
  secretEnv?: Readonly<Record<string, string | undefined>>;
  /** Which sync gates this installation can wait on. */
  syncGates?: SyncGateCheck;
  /** What the executor knows of the repositories; the merge commit's files are added to it. */
  revisions?: RevisionCache;
  log?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export async function startRolloutsForMerge(deps: StartDeps, pr: MergedPullRequest): Promise<string[]> {
  const { owner, repo } = pr.repo;
  const octokit = await deps.auth(pr.repo.installationId);
  const loaded = await loadRepoConfig(octokit, { owner, repo, path: CONFIG_PATH });
  if (loaded.kind === 'none') return []; // not a repository the app manages
  if (loaded.kind === 'invalid') {
    deps.log?.info({ pr: pr.number, repo: `${owner}/${repo}`, problems: loaded.problems.length }, 'the config does not parse; reported on the pull request');
    await reportProblems(octokit, deps, pr, loaded.problems);
    return [];
  }

  const validated = validateConfig(loaded.raw, { file: CONFIG_PATH, text: loaded.text });
  if (!validated.ok) {
    await reportProblems(octokit, deps, pr, validated.problems);
    return [];
  }
  const plan = await planRollouts(octokit, validated.config, pr, deps.clock(), {
    defaultPrometheus: deps.defaultPrometheus,
    secretEnv: deps.secretEnv,
    syncGates: deps.syncGates,
    revisions: deps.revisions,
    hasActiveRollout: async (service) => (await deps.engine.store.activeFor(owner, repo, service)).length > 0,
  });
  if (plan.kind === 'none') {
    deps.log?.info({ pr: pr.number, repo: `${owner}/${repo}`, reason: plan.reason }, 'merged pull request starts no rollout');
    return [];
  }
  if (plan.kind === 'invalid') {
    await reportProblems(octokit, deps, pr, plan.problems);
    return [];
  }
  const started: string[] = [];
  for (const rollout of plan.rollouts) {
    const older = (await deps.engine.store.activeFor(owner, repo, rollout.service)).filter((r) => r.id !== rollout.id);
    for (const old of older) {
      await deps.engine.dispatch(old.id, { type: 'supersede', by: rollout.id, to: rollout.to, sourceNumber: pr.number });
    }
    if (await deps.engine.create(rollout)) started.push(rollout.id);
  }
  return started;
}

async function reportProblems(
  octokit: InstallationOctokit,
  deps: Pick<StartDeps, 'appLogin'>,
  pr: MergedPullRequest,
  problems: ConfigProblem[],
): Promise<void> {
  const { owner, repo } = pr.repo;
  const body = renderConfigProblems(problems);
  await upsertCheckRun(octokit, {
    owner,
    repo,
    headSha: pr.mergeSha,
    name: 'opsbox/canary',
    status: 'completed',
    conclusion: 'failure',
    title: `No rollout started: ${problems.length} problem${problems.length === 1 ? '' : 's'} to fix`,
    summary: body,
  });
  await upsertComment(octokit, {
    owner,
    repo,
    issueNumber: pr.number,
    body,
    marker: `<!-- opsbox:problems sha=${pr.mergeSha} -->`,
    ownLogin: deps.appLogin,
  });
}
