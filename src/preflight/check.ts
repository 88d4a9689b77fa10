/**
 * The content of the `opsbox/preflight` check on a pull request: which services it bumps, the
 * plan of each rollout (what `opsbox plan` prints), the checks `opsbox validate` makes, what
 * would happen when the merge starts the rollout, and the live queries. Reads go through
 * RepoFiles and the metric provider handed in; nothing is written.
 */
import { loadTemplatesFromSource } from '../analysis/templates.js';
import type { MetricProvider } from '../analysis/types.js';
import type { OpsboxConfig } from '../config/opsbox.schema.js';
import type { ConfigProblem } from '../config/problems.js';
import { ManifestError } from '../manifests/errors.js';
import type { RepoFiles } from '../repo/files.js';
import { planRollout, type PlannedStep } from '../rollout/plan.js';
import { preflight } from '../rollout/preflight.js';
import type { CustomObjects } from '../sync/kubernetes.js';
import type { SyncGateCheck } from '../sync/registry.js';
import { checkSyncObjects } from './cluster-objects.js';
import { detectBumps, withCanaryTags } from './bump.js';
import { liveQueriesOf, runLiveQueries, type LiveQueryResult } from './live-queries.js';
import { problemsOfService } from '../config/problems.js';

export const PREFLIGHT_CHECK_NAME = 'opsbox/preflight';

export type PreflightConclusion = 'success' | 'neutral' | 'failure';

export interface ActiveRollout {
  id: string;
  to: string;
  sourceNumber: number;
}

export interface PreflightCheckInput {
  config: OpsboxConfig;
  configFile: string;
  /** The base branch at the pull request's base commit. */
  base: RepoFiles;
  /** The pull request's head commit. */
  head: RepoFiles;
  /** From a fork: only the canary tags are taken from the head. */
  fork: boolean;
  syncGates?: SyncGateCheck;
  /** Rollouts of the service under way now. */
  activeRollouts(service: string): Promise<ActiveRollout[]>;
  /** The cluster the Argo CD and Flux gates read, when the app has access. */
  clusterObjects?: CustomObjects;
  /** Runs the live queries; without one they are left out. */
  provider?: MetricProvider;
  /** Status and check run names reported on recent commits of the base branch, when read. */
  recentChecks?: RecentChecks;
  /** Metric providers this app cannot run (job metrics without a namespace), with why: a template using one fails the check, as it would refuse the rollout. */
  unavailableProviders?: Readonly<Record<string, string>>;
}

export interface RecentChecks {
  /** Commits looked at, newest first from the pull request's base. */
  commits: number;
  names: string[];
}

export interface ServicePreflight {
  service: string;
  from: string;
  to: string;
  /** The canary goes back to the stable version: a merge starts nothing. */
  backToStable: boolean;
  plan: PlannedStep[];
  /** Why the plan stops early (a commit the app would refuse). */
  planProblem?: string;
  /** Rollouts the merge would supersede. */
  supersedes: ActiveRollout[];
  /** Sync gate objects found in the cluster. */
  syncObjects: string[];
  /** `sync.commitStatus`, and whether a status or check run of that name is on recent commits. */
  commitStatus?: { name: string; seen: boolean };
  /** Set when preflight.args change the queries. */
  queryArgs: { name: string; value: string }[];
  queries: LiveQueryResult[];
  requireData: boolean;
}

export interface PreflightCheckView {
  conclusion: PreflightConclusion;
  title: string;
  fork: boolean;
  /** No configured canary tag changes. */
  noBump: boolean;
  services: ServicePreflight[];
  problems: ConfigProblem[];
  /** One line each, said in the summary and deciding `neutral`. */
  warnings: string[];
  /** What the `sync.commitStatus` names were looked for in. */
  recentChecks?: RecentChecks;
}

export async function buildPreflightCheck(input: PreflightCheckInput): Promise<PreflightCheckView> {
  const { config, configFile } = input;
  const detected = await detectBumps(config, input.base, input.head, configFile);
  const files = input.fork ? withCanaryTags(config, input.base, detected.bumps) : input.head;
  if (detected.bumps.length === 0 && detected.problems.length === 0) {
    return { conclusion: 'success', title: 'No image bump', fork: input.fork, noBump: true, services: [], problems: [], warnings: [] };
  }

  const activeServices = new Set<string>();
  const active = new Map<string, ActiveRollout[]>();
  for (const bump of detected.bumps) {
    const rollouts = await input.activeRollouts(bump.service);
    active.set(bump.service, rollouts);
    if (rollouts.length > 0) activeServices.add(bump.service);
  }
  const checked = await preflight(files, config, {
    services: detected.bumps.map((b) => b.service),
    configFile,
    syncGates: input.syncGates,
    activeServices,
    unavailableProviders: input.unavailableProviders,
  });
  const problems = [...detected.problems, ...checked.problems];
  const catalog = await loadTemplatesFromSource(files, config.analysisTemplates).catch(() => undefined);

  const services: ServicePreflight[] = [];
  for (const bump of detected.bumps) {
    const service = config.services[bump.service];
    const check = checked.services.get(bump.service);
    const from = bump.from || check?.stableVersion || '';
    const serviceProblems = problemsOfService(problems, bump.service).length > 0;
    const result: ServicePreflight = {
      service: bump.service,
      from,
      to: bump.to,
      backToStable: check?.stableVersion === bump.to,
      plan: [],
      supersedes: active.get(bump.service) ?? [],
      syncObjects: [],
      queryArgs: Object.entries(service.preflight?.args ?? {}).map(([name, value]) => ({ name, value })),
      queries: [],
      requireData: service.preflight?.requireData ?? false,
    };
    services.push(result);
    const statusName = service.sync.commitStatus;
    if (statusName && input.recentChecks && !result.backToStable) {
      result.commitStatus = { name: statusName, seen: input.recentChecks.names.includes(statusName) };
    }
    if (result.backToStable || serviceProblems) continue;
    if (input.clusterObjects) {
      const seen = await checkSyncObjects(input.clusterObjects, bump.service, service, configFile);
      result.syncObjects = seen.found;
      problems.push(...seen.problems);
    }
    try {
      for await (const step of planRollout(bump.service, service, { from, to: bump.to }, (file) => files.readOptional(file))) result.plan.push(step);
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      result.planProblem = error.message;
    }
    if (input.provider && catalog) {
      try {
        result.queries = await runLiveQueries(liveQueriesOf(catalog, service), input.provider);
      } catch (error) {
        // the rollout's own args resolve (validation passed), so preflight.args broke them
        problems.push({ file: configFile, key: `services.${bump.service}.preflight.args`, message: (error as Error).message });
      }
    }
  }
  return conclude({ fork: input.fork, noBump: false, services, problems, recentChecks: input.recentChecks });
}

/** The conclusion: any problem or query error fails; missing data where data is expected warns. */
function conclude(view: Omit<PreflightCheckView, 'conclusion' | 'title' | 'warnings'>): PreflightCheckView {
  const warnings: string[] = [];
  let failures = view.problems.length;
  for (const service of view.services) {
    if (service.planProblem) failures++;
    if (service.commitStatus && !service.commitStatus.seen && view.recentChecks) {
      // never a failure: a new notification may not have posted yet
      const names = view.recentChecks.names;
      warnings.push(
        `\`${service.service}\` waits for the status \`${service.commitStatus.name}\` (sync.commitStatus), which no status or check run of the last ${view.recentChecks.commits} commit${view.recentChecks.commits === 1 ? '' : 's'} has: ` +
          `${names.length > 0 ? `seen there: ${names.map((name) => `\`${name}\``).join(', ')}` : 'none was seen there'}. A misspelt name makes every weight step wait until sync.timeout and fail.`,
      );
    }
    for (const result of service.queries) {
      const name = `\`${service.service}\` metric \`${result.query.metric.name}\``;
      if (result.kind === 'error') failures++;
      else if (result.kind === 'no-data' && service.queryArgs.length > 0) {
        if (service.requireData) failures++;
        else warnings.push(`${name} returned no series: the canary would be judged on no data`);
      } else if (result.kind === 'data' && result.verdict !== 'pass') {
        warnings.push(`${name} would not pass on today's value (${result.verdict})`);
      }
    }
  }
  const bumps = view.services.map((s) => `${s.service} ${s.from || '?'} → ${s.to}`).join(', ');
  if (failures > 0) {
    return { ...view, warnings, conclusion: 'failure', title: `${failures} problem${failures === 1 ? '' : 's'} to fix before merging${bumps ? ` (${bumps})` : ''}` };
  }
  if (warnings.length > 0) {
    return { ...view, warnings, conclusion: 'neutral', title: `${warnings.length} warning${warnings.length === 1 ? '' : 's'}: ${bumps}` };
  }
  return { ...view, warnings, conclusion: 'success', title: `Ready to roll out: ${bumps}` };
}
