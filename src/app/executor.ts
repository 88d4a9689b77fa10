/**
 * Carries out a rollout's effects against GitHub and Prometheus. Every effect is idempotent so the
 * engine may replay one after a crash: commits skip edits already in place, the revert PR and the
 * comments are found again by branch and marker.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { createMetricProvider } from '../analysis/providers/registry.js';
import { resolveAnalysis } from '../analysis/resolve.js';
import { takeMeasurement } from '../analysis/runner.js';
import type { MeasurementOutcome } from '../analysis/run.js';
import { findJudge, loadJudgesFromSource, resolveJudge, type LoadedJudge } from '../analysis/judge/judges.js';
import { takeJudgement } from '../analysis/judge/measure.js';
import { encodeJudgement, WARMING_UP } from '../analysis/judge/run-metric.js';
import { loadTemplatesFromSource, type TemplateCatalog } from '../analysis/templates.js';
import type { MetricProvider, ResolvedMetric } from '../analysis/types.js';
import type { RolloutAnalysis, ServiceConfig } from '../config/opsbox.schema.js';
import { upsertCheckRun } from '../forge/github/check-run.js';
import { upsertComment } from '../forge/github/comment.js';
import { commitChange } from '../forge/github/commit.js';
import { findOwnCommit, type ListCommitsOctokit } from '../forge/github/own-commit.js';
import { closePullRequest } from '../forge/github/pull-request.js';
import { ensureRevertPullRequest } from '../forge/github/revert-pr.js';
import { RevisionCache } from '../forge/github/revision-cache.js';
import { CachedCommitFiles, type SnapshotOctokit } from '../forge/github/snapshot.js';
import { buildRolloutView } from '../report/view.js';
import { createTrafficProvider } from '../traffic/index.js';
import {
  failureMarker,
  renderCheckRun,
  renderFailureComment,
  renderRevertPrBody,
  renderStatusComment,
  statusMarker,
} from '../report/render.js';
import { BUILT_IN_SYNC_GATES, type SyncGateFactory } from '../sync/registry.js';
import type { CommitStatusOctokit } from '../sync/commit-status.js';
import { checkGates, configuredGates, type SyncGateName } from '../sync/gate.js';
import { snapshotOf } from '../rollout/analysis-snapshot.js';
import { buildRevertChange, buildRolloutChange } from '../rollout/changes.js';
import { EffectError, type EffectExecutor } from './engine.js';
import type { Effect, EffectResult, RolloutState, StatusDigest } from '../rollout/types.js';

/** The installation client: Probot's Octokit, narrowed to what the edges use. */
export type InstallationOctokit = Parameters<typeof commitChange>[0] &
  Parameters<typeof upsertComment>[0] &
  Parameters<typeof upsertCheckRun>[0] &
  Parameters<typeof ensureRevertPullRequest>[0] &
  Parameters<typeof closePullRequest>[0] &
  CommitStatusOctokit &
  ListCommitsOctokit &
  SnapshotOctokit;

export interface GitHubExecutorOptions {
  /** An authenticated client for an installation (`app.auth(installationId)`). */
  auth(installationId: number): Promise<InstallationOctokit>;
  /** The app's own login (`<app-slug>[bot]`): only its comments are found again by marker. */
  appLogin: () => Promise<string>;
  env: Readonly<Record<string, string | undefined>>;
  serverUrl: string;
  clock?: () => number;
  log?: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Replaces the Prometheus provider (tests, benchmarks). */
  provider?: (defaultAddress: string | undefined) => MetricProvider;
  /** Shared with the rollout start, which adds the files it read at the merge commit. */
  revisions?: RevisionCache;
  /** Sync gates beside the built-in ones (e.g. ones that read the cluster). */
  syncGates?: Partial<Record<SyncGateName, SyncGateFactory<InstallationOctokit>>>;
}

/** AnalysisTemplates and CanaryJudges live in the same folders and are read together. */
interface TemplatesAtMerge {
  catalog: TemplateCatalog;
  judges: LoadedJudge[];
}

/** Merge commits whose template catalogs are kept in memory. */
const MAX_CATALOGS = 100;


export class GitHubEffectExecutor implements EffectExecutor {
  /** Templates and judges by merge commit, oldest first out. */
  private readonly catalogs = new Map<string, Promise<TemplatesAtMerge>>();
  /** File contents by commit: the next commit on top of the app's own needs no reads. */
  private readonly revisions: RevisionCache;
  private readonly clock: () => number;

  constructor(private readonly options: GitHubExecutorOptions) {
    this.clock = options.clock ?? Date.now;
    this.revisions = options.revisions ?? new RevisionCache();
  }

  async execute(state: RolloutState, effect: Effect): Promise<EffectResult> {
    const octokit = await this.options.auth(state.repo.installationId);
    switch (effect.type) {
      case 'commit':
        return this.commit(octokit, state, effect);
      case 'measure':
        return this.measure(octokit, state, effect);
      case 'openRevertPr':
        return this.openRevertPr(octokit, state);
      case 'closeRevertPr':
        return this.closeRevertPr(octokit, state, effect);
      case 'checkSync':
        return this.checkSync(octokit, state, effect);
      case 'report':
        return this.report(octokit, state, effect);
    }
  }

  private async commit(octokit: InstallationOctokit, state: RolloutState, effect: Extract<Effect, { type: 'commit' }>): Promise<EffectResult> {
    const { owner, repo, defaultBranch } = state.repo;
    try {
      const result = await commitChange(octokit, {
        owner,
        repo,
        branch: defaultBranch,
        message: effect.message,
        cache: this.revisions,
        prefetch: rolloutFiles(state.serviceConfig),
        build: (read) => buildRolloutChange(state.serviceConfig, effect.kind, effect.weight, state.to, read),
      });
      if (!result.skipped) return { type: 'commit', sha: result.sha };
      // Already in place: made by this very effect before a crash, or by someone else.
      return { type: 'commit', sha: await findOwnCommit(octokit, { owner, repo, branch: defaultBranch, message: effect.message }) };
    } catch (error) {
      throw asEffectError(error);
    }
  }

  private async measure(octokit: InstallationOctokit, state: RolloutState, effect: Extract<Effect, { type: 'measure' }>): Promise<EffectResult> {
    const metrics = await this.resolvedMetrics(octokit, state, effect.analysis);
    const injected = this.options.provider?.(state.prometheusAddress);
    const provider = createMetricProvider(this.options.env, { defaultAddress: state.prometheusAddress }, injected ? { prometheus: injected } : {});
    const clock = { now: this.clock };
    const measurements = await Promise.all(
      effect.metrics.map(async (name) => {
        const metric = metrics.find((m) => m.name === name);
        const measurement = !metric
          ? { error: `metric "${name}" is no longer in the templates`, startedAt: this.clock(), finishedAt: this.clock() }
          : metric.judge !== undefined
            ? await this.judge(octokit, state, effect.analysis, metric.judge, provider)
            : await takeMeasurement(provider, metric, clock);
        return { metric: name, measurement };
      }),
    );
    return { type: 'measure', measurements };
  }

  /**
   * Templates come from the merge commit, never from the state, so no credential is ever stored
   * with it: the rollout's start read them into the RevisionCache, and only a process that did not
   * (a restart) reads them again, in one query. The catalog of a merge commit is parsed once for
   * all its analyses (a bounded number are kept).
   */
  private async resolvedMetrics(octokit: InstallationOctokit, state: RolloutState, key: string): Promise<ResolvedMetric[]> {
    const analysis = analysisConfig(state, key);
    const { catalog, judges } = await this.templatesAt(octokit, state);
    return resolveAnalysis(catalog, { templates: analysis.templates, args: analysis.args, env: this.options.env }, judges).metrics;
  }

  private async loadJudges(octokit: InstallationOctokit, state: RolloutState): Promise<LoadedJudge[]> {
    return (await this.templatesAt(octokit, state)).judges;
  }

  /** The AnalysisTemplates and CanaryJudges of the rollout's merge commit, read and parsed once. */
  private templatesAt(octokit: InstallationOctokit, state: RolloutState): Promise<TemplatesAtMerge> {
    const cacheKey = `${state.repo.owner}/${state.repo.repo}@${state.source.mergeSha}:${state.templatePaths.join(',')}`;
    let loaded = this.catalogs.get(cacheKey);
    if (!loaded) {
      const files = new CachedCommitFiles(this.revisions, octokit, state.repo.owner, state.repo.repo, state.source.mergeSha);
      loaded = Promise.all([loadTemplatesFromSource(files, state.templatePaths), loadJudgesFromSource(files, state.templatePaths)]).then(
        ([catalog, judges]) => ({ catalog, judges }),
      );
      loaded.catch(() => this.catalogs.delete(cacheKey));
      this.catalogs.set(cacheKey, loaded);
      for (const oldest of this.catalogs.keys()) {
        if (this.catalogs.size <= MAX_CATALOGS) break;
        this.catalogs.delete(oldest);
      }
    }
    return loaded;
  }

  /**
   * One judgement of a CanaryJudge. The window reaches back no further than the last weight
   * commit; while a side lacks minSamples the measurement is a warm-up error, retried shortly.
   */
  private async judge(octokit: InstallationOctokit, state: RolloutState, key: string, name: string, provider: MetricProvider): Promise<MeasurementOutcome> {
    const startedAt = this.clock();
    try {
      const analysis = analysisConfig(state, key);
      const loaded = findJudge(await this.loadJudges(octokit, state), name);
      if (!loaded) return { error: `CanaryJudge "${name}" is no longer in the templates`, startedAt, finishedAt: this.clock() };
      const judge = resolveJudge(loaded, { args: analysis.args });
      const weightAppliedAt = state.commits[state.commits.length - 1]?.at;
      const judgement = await takeJudgement(judge, provider, startedAt, weightAppliedAt);
      if (judgement === null) return { error: `${WARMING_UP}: waiting until both sides have minSamples`, startedAt, finishedAt: this.clock() };
      if (!judgement.result) return { error: judgement.error ?? 'the judgement could not be measured', startedAt, finishedAt: this.clock() };
      return { value: encodeJudgement(judgement.result), startedAt, finishedAt: this.clock() };
    } catch (error) {
      return { error: (error as Error).message, startedAt, finishedAt: this.clock() };
    }
  }

  private async openRevertPr(octokit: InstallationOctokit, state: RolloutState): Promise<EffectResult> {
    const { owner, repo, defaultBranch } = state.repo;
    const view = this.view(state);
    try {
      const pr = await ensureRevertPullRequest(octokit, {
        owner,
        repo,
        base: defaultBranch,
        branch: revertBranch(state),
        title: `Revert ${state.service} to ${state.from} (canary ${state.to} failed)`,
        body: renderRevertPrBody(view),
        message: `revert(${state.service}): canary back to ${state.from}\n\nOpsBox-Rollout: ${state.id}\nOpsBox-Source: #${state.source.number}`,
        cache: this.revisions,
        build: (read) => buildRevertChange(state.serviceConfig, state.from, read),
      });
      return { type: 'openRevertPr', number: pr.number, url: pr.url };
    } catch (error) {
      throw asEffectError(error);
    }
  }

  private async checkSync(octokit: InstallationOctokit, state: RolloutState, effect: Extract<Effect, { type: 'checkSync' }>): Promise<EffectResult> {
    const gates = configuredGates(state.serviceConfig.sync).map((name) => {
      const make = this.options.syncGates?.[name] ?? BUILT_IN_SYNC_GATES[name];
      if (!make) throw new EffectError(`the sync gate ${name} is not available in this installation`, false);
      return make(octokit);
    });
    const { owner, repo, defaultBranch: branch } = state.repo;
    try {
      const verdict = await checkGates(gates, { owner, repo, branch, sha: effect.sha, sync: state.serviceConfig.sync });
      return { type: 'checkSync', ...verdict };
    } catch (error) {
      throw asEffectError(error);
    }
  }

  private async closeRevertPr(
    octokit: InstallationOctokit,
    state: RolloutState,
    effect: Extract<Effect, { type: 'closeRevertPr' }>,
  ): Promise<EffectResult> {
    const { owner, repo } = state.repo;
    try {
      await closePullRequest(octokit, { owner, repo, number: effect.number, comment: `Closed: ${effect.reason}.` });
      return { type: 'closeRevertPr' };
    } catch (error) {
      throw asEffectError(error);
    }
  }

  /**
   * The status comment and the check run, edited in place by their saved ids; the failure comment
   * once a rollout is aborted. A part whose text did not change since it was last sent is not sent.
   * Only a run that follows an earlier one (`started`) looks for objects whose ids were lost.
   */
  private async report(octokit: InstallationOctokit, state: RolloutState, effect: Extract<Effect, { type: 'report' }>): Promise<EffectResult> {
    const { owner, repo } = state.repo;
    const mayExist = effect.started === true;
    const sent = state.statusDigest ?? {};
    const digest: StatusDigest = {};
    const view = this.view(state);

    const commentBody = renderStatusComment(view);
    digest.comment = digestOf(commentBody);
    let statusCommentId = state.statusCommentId;
    if (statusCommentId === undefined || digest.comment !== sent.comment) {
      statusCommentId = await upsertComment(octokit, {
        owner,
        repo,
        issueNumber: state.source.number,
        commentId: state.statusCommentId,
        body: commentBody,
        marker: statusMarker(state.id),
        mayExist,
        ownLogin: this.options.appLogin,
      });
    }

    const check = renderCheckRun(view);
    digest.checkRun = digestOf(JSON.stringify(check));
    let checkRunId = state.checkRunId;
    if (checkRunId === undefined || digest.checkRun !== sent.checkRun) {
      checkRunId = await upsertCheckRun(octokit, {
        owner,
        repo,
        headSha: state.source.mergeSha,
        checkRunId: state.checkRunId,
        // found again by the rollout id when a crash lost the saved checkRunId
        externalId: state.id,
        name: 'opsbox/canary',
        status: check.status,
        conclusion: check.conclusion,
        title: check.title,
        summary: check.summary,
        text: check.text,
        mayExist,
      });
    }

    let failureCommentId = state.failureCommentId;
    if (effect.final && state.phase === 'Aborted') {
      // A fresh comment notifies people; edits of the status comment do not.
      const body = renderFailureComment(view);
      digest.failure = digestOf(body);
      if (failureCommentId === undefined || digest.failure !== sent.failure) {
        failureCommentId = await upsertComment(octokit, {
          owner,
          repo,
          issueNumber: state.source.number,
          commentId: failureCommentId,
          body,
          marker: failureMarker(state.id, state.failure?.at),
          mayExist,
          ownLogin: this.options.appLogin,
        });
      }
    }
    return { type: 'report', statusCommentId, checkRunId, failureCommentId, digest };
  }

  private view(state: RolloutState) {
    return buildRolloutView(state, { serverUrl: this.options.serverUrl, analysisOf: snapshotOf, now: this.clock() });
  }
}

/**
 * The files a rollout's changes read (traffic objects, the stable and canary manifests): read with
 * the branch head when the head is not known yet, so later changes (the promotion, the revert) need
 * no reads of their own.
 */
function rolloutFiles(service: ServiceConfig): string[] {
  return [...new Set([...createTrafficProvider(service).files, service.stable.file, service.canary.file])];
}

/** A short digest of a rendered text: enough to tell whether it changed since it was sent. */
function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}

export function revertBranch(state: Pick<RolloutState, 'service' | 'to'>): string {
  return `opsbox/revert/${state.service}-${state.to.replace(/[^A-Za-z0-9._-]+/g, '-')}`;
}

function analysisConfig(state: RolloutState, key: string): RolloutAnalysis {
  if (key === 'background' && state.serviceConfig.analysis) return state.serviceConfig.analysis;
  const index = Number(key.replace('step:', ''));
  const step = state.serviceConfig.steps[index];
  if (step && 'analysis' in step) return step.analysis;
  throw new EffectError(`the rollout has no analysis "${key}"`, false);
}

/**
 * Server errors, rate limits and network failures may pass; other 4xx answers and errors in the
 * manifests themselves (a missing backend, a file that no longer parses) will not.
 */
function asEffectError(error: unknown): Error {
  if (error instanceof EffectError) return error;
  const { status, retryable: says } = error as { status?: number; retryable?: unknown };
  const message = error instanceof Error ? error.message : String(error);
  // An edge that knows better (the cluster reads) says itself whether to try again.
  const retryable = typeof says === 'boolean' ? says : status !== undefined && (status >= 500 || status === 429 || status === 403 || status === 409);
  return new EffectError(message, retryable);
}
