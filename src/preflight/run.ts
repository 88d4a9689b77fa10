/**
 * Runs the preflight check of a pull request against GitHub: the config read, one batched read
 * per side (base and head), the live queries, and the `opsbox/preflight` check run on the head
 * commit, created or replaced. It writes nothing else.
 */
import type { Logger } from 'pino';
import { createMetricProvider } from '../analysis/providers/registry.js';
import type { MetricProvider } from '../analysis/types.js';
import { validateConfig } from '../config/load.js';
import { CONFIG_PATH, type OpsboxConfig, type ServiceConfig } from '../config/opsbox.schema.js';
import { upsertCheckRun, type CheckRunOctokit } from '../forge/github/check-run.js';
import { loadRepoConfig, type ConfigFileOctokit } from '../forge/github/config-file.js';
import { CommitSnapshot, type SnapshotOctokit } from '../forge/github/snapshot.js';
import { renderConfigProblems, reportRenderer } from '../report/render.js';
import type { CustomObjects } from '../sync/kubernetes.js';
import type { SyncGateCheck } from '../sync/registry.js';
import { createTrafficProvider } from '../traffic/index.js';
import { buildPreflightCheck, PREFLIGHT_CHECK_NAME, type ActiveRollout } from './check.js';

export type PreflightOctokit = SnapshotOctokit & CheckRunOctokit & ConfigFileOctokit;

/** A pull request to check, as its webhook (or a `/preflight` comment) names it. */
export interface PreflightRequest {
  installationId: number;
  owner: string;
  repo: string;
  number: number;
  headSha: string;
  baseSha: string;
  /** The head is in another repository: its config and templates are not used. */
  fork: boolean;
  /**
   * The head was just pushed (`synchronize`): no check of the app is on it yet, so the check run is
   * created without looking for one to replace.
   */
  newHead?: boolean;
}

export interface PreflightDeps {
  auth(installationId: number): Promise<PreflightOctokit>;
  env: Readonly<Record<string, string | undefined>>;
  /** Replaces the Prometheus provider (tests). */
  provider?: (defaultAddress: string | undefined) => MetricProvider;
  syncGates?: SyncGateCheck;
  /** The cluster, when the app has access (Argo CD and Flux gates). */
  clusterObjects?: CustomObjects;
  activeRollouts(owner: string, repo: string, service: string): Promise<ActiveRollout[]>;
  /** Metric providers this app cannot run, with why (as the start of a rollout is told). */
  unavailableProviders?: Readonly<Record<string, string>>;
  log?: Pick<Logger, 'info'>;
}

/** Commits of the base branch whose statuses and check runs show which names are posted. */
const RECENT_COMMITS = 20;

/** The check run id, or undefined when the pull request gets no check. */
export async function runPreflight(deps: PreflightDeps, request: PreflightRequest): Promise<number | undefined> {
  const { owner, repo } = request;
  const octokit = await deps.auth(request.installationId);
  // What would be merged, unless a fork's author would choose the config.
  const configSha = request.fork ? request.baseSha : request.headSha;
  const loaded = await loadRepoConfig(octokit, { owner, repo, path: CONFIG_PATH, ref: configSha });
  if (loaded.kind === 'none') return undefined;

  const post = (output: { title: string; summary: string; conclusion: 'success' | 'neutral' | 'failure' }) =>
    upsertCheckRun(octokit, {
      owner,
      repo,
      headSha: request.headSha,
      name: PREFLIGHT_CHECK_NAME,
      externalId: PREFLIGHT_CHECK_NAME,
      ...(request.newHead ? { mayExist: false } : {}),
      status: 'completed',
      ...output,
    });

  if (loaded.kind === 'invalid') {
    const count = loaded.problems.length;
    return post({ conclusion: 'failure', title: `${CONFIG_PATH}: ${count} problem${count === 1 ? '' : 's'} to fix`, summary: renderConfigProblems(loaded.problems) });
  }
  const validated = validateConfig(loaded.raw, { file: CONFIG_PATH, text: loaded.text });
  if (!validated.ok) {
    const count = validated.problems.length;
    return post({ conclusion: 'failure', title: `${CONFIG_PATH}: ${count} problem${count === 1 ? '' : 's'} to fix`, summary: renderConfigProblems(validated.problems) });
  }
  const config = validated.config;
  const services = Object.values(config.services);
  const canaryFiles = services.map((service) => service.canary.file);
  const allFiles = services.flatMap(filesOf);
  // a sync.commitStatus name is looked for on the base branch's recent commits, in the base's one query
  const recentChecks = services.some((service) => service.sync.commitStatus) ? RECENT_COMMITS : undefined;
  const [base, head] = await Promise.all([
    CommitSnapshot.read(octokit, owner, repo, request.baseSha, {
      ...(request.fork ? { files: allFiles, folders: config.analysisTemplates } : { files: canaryFiles }),
      recentChecks,
    }),
    CommitSnapshot.read(octokit, owner, repo, request.headSha, request.fork ? { files: canaryFiles } : { files: allFiles, folders: config.analysisTemplates }),
  ]);
  const view = await buildPreflightCheck({
    config,
    configFile: CONFIG_PATH,
    base,
    head,
    fork: request.fork,
    syncGates: deps.syncGates,
    clusterObjects: deps.clusterObjects,
    activeRollouts: (service) => deps.activeRollouts(owner, repo, service),
    provider: providerFor(deps, config),
    recentChecks: base.recentChecks,
    unavailableProviders: deps.unavailableProviders,
  });
  if (view.noBump && !config.preflight?.everyPullRequest) return undefined;
  deps.log?.info({ repo: `${owner}/${repo}`, pr: request.number, conclusion: view.conclusion }, 'preflight check');
  const output = reportRenderer().preflightCheck(view);
  return post({ conclusion: view.conclusion, title: output.title, summary: output.summary });
}

function providerFor(deps: PreflightDeps, config: OpsboxConfig): MetricProvider {
  const defaultAddress = config.prometheus?.address ?? (deps.env.PROMETHEUS_URL || undefined);
  const injected = deps.provider?.(defaultAddress);
  return createMetricProvider(deps.env, { defaultAddress }, injected ? { prometheus: injected } : {});
}

/** The files a check of the service reads; a traffic block that makes no provider is reported by the check. */
function filesOf(service: ServiceConfig): string[] {
  let traffic: readonly string[] = [];
  try {
    traffic = createTrafficProvider(service).files;
  } catch {
    traffic = [];
  }
  return [service.canary.file, service.stable.file, ...traffic];
}
