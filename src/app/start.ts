/**
 * Handles a merged pull request outside the webhook request: loads the config through the forge
 * (on GitHub the way Probot's `context.config` does, `_extends` included), plans the rollouts, supersedes older ones of the same
 * service, and reports bad input on the pull request and the check run. A config that does not
 * parse is bad input like any other; one that cannot be read throws, so the merge is tried again.
 */
import type { Logger } from 'pino';
import { validateConfig } from '../config/load.js';
import { CONFIG_PATH } from '../config/opsbox.schema.js';
import type { ConfigProblem } from '../config/problems.js';
import type { Forge } from '../forge/forge.js';
import type { SyncGateCheck } from '../sync/registry.js';
import type { RolloutEngine } from './engine.js';
import { planRollouts, type MergedPullRequest } from './trigger.js';

export interface StartDeps {
  engine: RolloutEngine;
  /** The forge of the merged change's repository. */
  forge: Forge;
  clock: () => number;
  defaultPrometheus?: string;
  /** Where secret arguments of templates are read (the app's environment). */
  secretEnv?: Readonly<Record<string, string | undefined>>;
  /** Which sync gates this installation can wait on. */
  syncGates?: SyncGateCheck;
  log?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export async function startRolloutsForMerge(deps: StartDeps, pr: MergedPullRequest): Promise<string[]> {
  const { owner, repo } = pr.repo;
  const { forge } = deps;
  const loaded = await forge.loadConfig(pr.repo, CONFIG_PATH);
  if (loaded.kind === 'none') return []; // not a repository the app manages
  if (loaded.kind === 'invalid') {
    deps.log?.info({ pr: pr.number, repo: `${owner}/${repo}`, problems: loaded.problems.length }, 'the config does not parse; reported on the pull request');
    await reportProblems(forge, pr, loaded.problems);
    return [];
  }

  const validated = validateConfig(loaded.raw, { file: CONFIG_PATH, text: loaded.text });
  if (!validated.ok) {
    await reportProblems(forge, pr, validated.problems);
    return [];
  }
  const plan = await planRollouts(forge, validated.config, pr, deps.clock(), {
    defaultPrometheus: deps.defaultPrometheus,
    secretEnv: deps.secretEnv,
    syncGates: deps.syncGates,
    hasActiveRollout: async (service) => (await deps.engine.store.activeFor(owner, repo, service)).length > 0,
  });
  if (plan.kind === 'none') {
    deps.log?.info({ pr: pr.number, repo: `${owner}/${repo}`, reason: plan.reason }, 'merged pull request starts no rollout');
    return [];
  }
  if (plan.kind === 'invalid') {
    await reportProblems(forge, pr, plan.problems);
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

function reportProblems(forge: Forge, pr: MergedPullRequest, problems: ConfigProblem[]): Promise<void> {
  return forge.reportProblems(pr.repo, { number: pr.number }, pr.mergeSha, problems);
}
