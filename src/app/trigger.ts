/**
 * A merged pull request → the rollouts it starts. For each configured service the canary version
 * before and after the merge is compared; a change to a version other than stable starts a
 * rollout, after the same checks `opsbox validate` makes. Nothing here waits on Prometheus.
 */
import type { ClusterSecrets } from '../analysis/secrets.js';
import { CONFIG_PATH, type OpsboxConfig } from '../config/opsbox.schema.js';
import type { ConfigProblem } from '../config/problems.js';
import type { Forge } from '../forge/forge.js';
import { readImageVersion } from '../manifests/image-tag.js';
import type { SyncGateCheck } from '../sync/registry.js';
import { createTrafficProvider } from '../traffic/index.js';
import { newRollout } from '../rollout/new-rollout.js';
import { preflight } from '../rollout/preflight.js';
import type { RepoRef, RolloutState, SourcePullRequest } from '../rollout/types.js';
import { problemsOfService } from '../config/problems.js';

export interface MergedPullRequest extends SourcePullRequest {
  repo: RepoRef;
}

export interface DetectedBump {
  service: string;
  from: string;
  to: string;
}

export type TriggerPlan =
  | { kind: 'none'; reason: string }
  | { kind: 'invalid'; problems: ConfigProblem[]; services: string[] }
  | { kind: 'start'; rollouts: RolloutState[]; problems: ConfigProblem[] };

export function rolloutId(pr: Pick<MergedPullRequest, 'repo' | 'number'>, service: string): string {
  return `${pr.repo.owner}/${pr.repo.repo}#${pr.number}/${service}`;
}

/**
 * Reads both sides of the merge in one query and decides which rollouts to start: every service's
 * canary file on both sides, its stable and traffic files, and the analysis templates at the merge.
 */
export async function planRollouts(
  forge: Pick<Forge, 'readSnapshot'>,
  config: OpsboxConfig,
  pr: MergedPullRequest,
  now: number,
  options: {
    defaultPrometheus?: string;
    syncGates?: SyncGateCheck;
    /** Whether a rollout of the service is under way; without one its canary must carry 0%. */
    hasActiveRollout?: (service: string) => Promise<boolean>;
    /** Where secret arguments are read (OPSBOX_SECRET_*): a missing one refuses the rollout up front. */
    secretEnv?: Readonly<Record<string, string | undefined>>;
    /** Secrets of the cluster, read before secretEnv. */
    clusterSecrets?: ClusterSecrets;
    /** Metric providers this installation cannot run: a template using one is refused up front. */
    unavailableProviders?: Readonly<Record<string, string>>;
    /** The rollout's id (default: repository, pull request number and service). */
    idFor?: (service: string) => string;
  } = {},
): Promise<TriggerPlan> {
  const services = Object.values(config.services);
  const after = await forge.readSnapshot(pr.repo, pr.mergeSha, {
    files: services.flatMap((service) => [service.canary.file, service.stable.file, ...trafficFiles(service)]),
    parentFiles: services.map((service) => service.canary.file),
    folders: config.analysisTemplates,
  });
  if (!after.parentSha) return { kind: 'none', reason: 'the merge commit has no parent' };

  const bumps: DetectedBump[] = [];
  const problems: ConfigProblem[] = [];
  for (const [name, service] of Object.entries(config.services)) {
    // Unchanged canary file (same blob): not a bump, and nothing to read.
    const [beforeBlob, afterBlob] = await Promise.all([after.parentBlobSha(service.canary.file), after.blobSha(service.canary.file)]);
    if (beforeBlob === afterBlob) continue;
    const [oldText, newText] = await Promise.all([after.readParentOptional(service.canary.file), after.readOptional(service.canary.file)]);
    if (newText === null) {
      problems.push({ file: CONFIG_PATH, key: `services.${name}.canary.file`, message: `the pull request removed ${service.canary.file}; restore it or update the config` });
      continue;
    }
    let to: string;
    let from: string | undefined;
    try {
      to = readImageVersion(newText, service.canary, service.image);
    } catch (error) {
      problems.push({ file: service.canary.file, key: `services.${name}.canary`, message: (error as Error).message });
      continue;
    }
    try {
      from = oldText === null ? undefined : readImageVersion(oldText, service.canary, service.image);
    } catch {
      from = undefined; // the old file was broken; the stable version is the fallback below
    }
    if (from === to) continue;
    bumps.push({ service: name, from: from ?? '', to });
  }
  if (bumps.length === 0 && problems.length === 0) return { kind: 'none', reason: 'no canary version changed' };

  const activeServices = new Set<string>();
  for (const bump of bumps) if (await options.hasActiveRollout?.(bump.service)) activeServices.add(bump.service);
  const checked = await preflight(after, config, { services: bumps.map((b) => b.service), syncGates: options.syncGates, activeServices, secretEnv: options.secretEnv, clusterSecrets: options.clusterSecrets, unavailableProviders: options.unavailableProviders });
  const rollouts: RolloutState[] = [];
  for (const bump of bumps) {
    const check = checked.services.get(bump.service);
    const serviceProblems = problemsOfService(checked.problems, bump.service);
    if (!check || serviceProblems.length > 0) continue;
    // A merged revert brings the canary back to stable: nothing to roll out.
    if (bump.to === check.stableVersion) continue;
    const from = bump.from || check.stableVersion || '';
    rollouts.push(newRollout({
      id: options.idFor?.(bump.service) ?? rolloutId(pr, bump.service),
      repo: pr.repo,
      service: bump.service,
      serviceConfig: config.services[bump.service],
      from,
      to: bump.to,
      source: { number: pr.number, title: pr.title, url: pr.url, mergeSha: pr.mergeSha, author: pr.author },
      analyses: check.analyses,
      templatePaths: config.analysisTemplates,
      prometheusAddress: config.prometheus?.address ?? options.defaultPrometheus,
      ...(config.notifications ? { notifications: config.notifications } : {}),
      ...(config.github?.deployments ? { deployments: config.github.deployments } : {}),
      weight: check.weight,
    }, now));
  }
  if (rollouts.length > 0) {
    // The commits of a rollout edit files just read at the merge commit, and its analyses use the
    // templates read with them: the forge keeps them, so the executor needs no reads of its own.
    await after.retain(pr.repo.defaultBranch);
  }
  const allProblems = [...problems, ...checked.problems];
  if (rollouts.length === 0 && allProblems.length > 0) {
    return { kind: 'invalid', problems: allProblems, services: bumps.map((b) => b.service) };
  }
  if (rollouts.length === 0) return { kind: 'none', reason: 'the canary was brought back to the stable version' };
  return { kind: 'start', rollouts, problems: allProblems };
}

/** The traffic files of a service; none when its traffic block cannot make a provider (preflight says why). */
function trafficFiles(service: OpsboxConfig['services'][string]): readonly string[] {
  try {
    return createTrafficProvider(service).files;
  } catch {
    return [];
  }
}
