/**
 * Carries out a rollout's effects through the rollout's forge and the metric providers. Every
 * effect is idempotent so the engine may replay one after a crash: commits skip edits already in
 * place, and the forge finds its revert and status objects again.
 */
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
import { isRetryable, type Forge } from '../forge/forge.js';
import type { ForgeRegistry } from '../forge/registry.js';
import { buildRolloutView } from '../report/view.js';
import { createTrafficProvider } from '../traffic/index.js';
import { renderRevertPrBody } from '../report/render.js';
import { BUILT_IN_SYNC_GATES, type SyncGateFactory } from '../sync/registry.js';
import { checkGates, configuredGates, type SyncGateName } from '../sync/gate.js';
import { snapshotOf } from '../rollout/analysis-snapshot.js';
import { buildRevertChange, buildRolloutChange } from '../rollout/changes.js';
import { revertBranch } from '../rollout/messages.js';
import { EffectError, type EffectExecutor } from './engine.js';
import type { Effect, EffectResult, RolloutState } from '../rollout/types.js';

export interface EffectExecutorOptions {
  /** The forges rollouts live on; a rollout's `repo.forge` picks one. */
  forges: ForgeRegistry;
  env: Readonly<Record<string, string | undefined>>;
  clock?: () => number;
  log?: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Replaces the Prometheus provider (tests, benchmarks). */
  provider?: (defaultAddress: string | undefined) => MetricProvider;
  /** Sync gates beside the built-in ones (e.g. ones that read the cluster). */
  syncGates?: Partial<Record<SyncGateName, SyncGateFactory>>;
}

/** AnalysisTemplates and CanaryJudges live in the same folders and are read together. */
interface TemplatesAtMerge {
  catalog: TemplateCatalog;
  judges: LoadedJudge[];
}

/** Effects whose failures say themselves whether trying again may help. */
const CLASSIFIED_FAILURES: ReadonlySet<Effect['type']> = new Set(['commit', 'proposeRevert', 'withdrawRevert', 'checkSync']);

/** Merge commits whose template catalogs are kept in memory. */
const MAX_CATALOGS = 100;


export class ForgeEffectExecutor implements EffectExecutor {
  /** Templates and judges by merge commit, oldest first out. */
  private readonly catalogs = new Map<string, Promise<TemplatesAtMerge>>();
  private readonly clock: () => number;

  constructor(private readonly options: EffectExecutorOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** One handler per effect: a new effect without one does not compile. */
  private readonly handlers: { [K in Effect['type']]: (forge: Forge, state: RolloutState, effect: Extract<Effect, { type: K }>) => Promise<EffectResult> } = {
    commit: (forge, state, effect) => this.commit(forge, state, effect),
    measure: (forge, state, effect) => this.measure(forge, state, effect),
    proposeRevert: (forge, state) => this.proposeRevert(forge, state),
    withdrawRevert: (forge, state, effect) => this.withdrawRevert(forge, state, effect),
    checkSync: (forge, state, effect) => this.checkSync(forge, state, effect),
    publishStatus: (forge, state, effect) => this.publishStatus(forge, state, effect),
  };

  async execute(state: RolloutState, effect: Effect): Promise<EffectResult> {
    const handler = this.handlers[effect.type] as (forge: Forge, state: RolloutState, effect: Effect) => Promise<EffectResult>;
    try {
      return await handler(this.options.forges.of(state.repo), state, effect);
    } catch (error) {
      // A failed measurement or status update is tried again (the machine bounds how often).
      throw CLASSIFIED_FAILURES.has(effect.type) ? asEffectError(error) : error;
    }
  }

  private async commit(forge: Forge, state: RolloutState, effect: Extract<Effect, { type: 'commit' }>): Promise<EffectResult> {
    const { defaultBranch: branch } = state.repo;
    const result = await forge.commit(state.repo, {
      branch,
      message: effect.message,
      prefetch: rolloutFiles(state.serviceConfig),
      build: (read) => buildRolloutChange(state.serviceConfig, effect.kind, effect.weight, state.to, read),
    });
    if (result.sha !== null) return { type: 'commit', sha: result.sha };
    // Already in place: made by this very effect before a crash, or by someone else.
    return { type: 'commit', sha: await forge.findOwnCommit(state.repo, branch, effect.message) };
  }

  private async measure(forge: Forge, state: RolloutState, effect: Extract<Effect, { type: 'measure' }>): Promise<EffectResult> {
    const metrics = await this.resolvedMetrics(forge, state, effect.analysis);
    const injected = this.options.provider?.(state.prometheusAddress);
    const provider = createMetricProvider(this.options.env, { defaultAddress: state.prometheusAddress }, injected ? { prometheus: injected } : {});
    const clock = { now: this.clock };
    const measurements = await Promise.all(
      effect.metrics.map(async (name) => {
        const metric = metrics.find((m) => m.name === name);
        const measurement = !metric
          ? { error: `metric "${name}" is no longer in the templates`, startedAt: this.clock(), finishedAt: this.clock() }
          : metric.judge !== undefined
            ? await this.judge(forge, state, effect.analysis, metric.judge, provider)
            : await takeMeasurement(provider, metric, clock);
        return { metric: name, measurement };
      }),
    );
    return { type: 'measure', measurements };
  }

  /**
   * Templates come from the merge commit, never from the state, so no credential is ever stored
   * with it: the rollout's start had the forge keep them, and only a process that did not (a
   * restart) reads them again. The catalog of a merge commit is parsed once for all its analyses
   * (a bounded number are kept).
   */
  private async resolvedMetrics(forge: Forge, state: RolloutState, key: string): Promise<ResolvedMetric[]> {
    const analysis = analysisConfig(state, key);
    const { catalog, judges } = await this.templatesAt(forge, state);
    return resolveAnalysis(catalog, { templates: analysis.templates, args: analysis.args, env: this.options.env }, judges).metrics;
  }

  private async loadJudges(forge: Forge, state: RolloutState): Promise<LoadedJudge[]> {
    return (await this.templatesAt(forge, state)).judges;
  }

  /** The AnalysisTemplates and CanaryJudges of the rollout's merge commit, read and parsed once. */
  private templatesAt(forge: Forge, state: RolloutState): Promise<TemplatesAtMerge> {
    const cacheKey = `${state.repo.forge}:${state.repo.key}@${state.source.mergeSha}:${state.templatePaths.join(',')}`;
    let loaded = this.catalogs.get(cacheKey);
    if (!loaded) {
      const files = forge.filesAt(state.repo, state.source.mergeSha);
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
  private async judge(forge: Forge, state: RolloutState, key: string, name: string, provider: MetricProvider): Promise<MeasurementOutcome> {
    const startedAt = this.clock();
    try {
      const analysis = analysisConfig(state, key);
      const loaded = findJudge(await this.loadJudges(forge, state), name);
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

  private async proposeRevert(forge: Forge, state: RolloutState): Promise<EffectResult> {
    const revert = await forge.proposeRevert(state.repo, {
      branch: revertBranch(state),
      title: `Revert ${state.service} to ${state.from} (canary ${state.to} failed)`,
      body: renderRevertPrBody(this.view(forge, state)),
      message: `revert(${state.service}): canary back to ${state.from}\n\nOpsBox-Rollout: ${state.id}\nOpsBox-Source: #${state.source.number}`,
      build: (read) => buildRevertChange(state.serviceConfig, state.from, read),
    });
    return { type: 'proposeRevert', revert };
  }

  private async checkSync(forge: Forge, state: RolloutState, effect: Extract<Effect, { type: 'checkSync' }>): Promise<EffectResult> {
    const gates = configuredGates(state.serviceConfig.sync).map((name) => {
      const make = this.options.syncGates?.[name] ?? BUILT_IN_SYNC_GATES[name];
      if (!make) throw new EffectError(`the sync gate ${name} is not available in this installation`, false);
      return make({ forge, repo: state.repo });
    });
    const { owner, repo, defaultBranch: branch } = state.repo;
    const verdict = await checkGates(gates, { owner, repo, branch, sha: effect.sha, sync: state.serviceConfig.sync });
    return { type: 'checkSync', ...verdict };
  }

  private async withdrawRevert(forge: Forge, state: RolloutState, effect: Extract<Effect, { type: 'withdrawRevert' }>): Promise<EffectResult> {
    await forge.withdrawRevert(state.repo, effect.revert, effect.reason);
    return { type: 'withdrawRevert' };
  }

  /**
   * The status view, edited in place by the saved reference. Only a run that follows an earlier
   * one (`started`) looks for objects whose references were lost.
   */
  private async publishStatus(forge: Forge, state: RolloutState, effect: Extract<Effect, { type: 'publishStatus' }>): Promise<EffectResult> {
    const statusRef = await forge.publishStatus(state.repo, {
      rolloutId: state.id,
      thread: { number: state.source.number },
      commit: state.source.mergeSha,
      view: this.view(forge, state),
      previous: state.statusRef,
      mayExist: effect.started === true,
      final: effect.final,
      failureAt: state.failure?.at,
    });
    return { type: 'publishStatus', statusRef };
  }

  private view(forge: Forge, state: RolloutState) {
    return buildRolloutView(state, { commitUrl: (sha) => forge.commitUrl(state.repo, sha), analysisOf: snapshotOf, now: this.clock() });
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

function analysisConfig(state: RolloutState, key: string): RolloutAnalysis {
  if (key === 'background' && state.serviceConfig.analysis) return state.serviceConfig.analysis;
  const index = Number(key.replace('step:', ''));
  const step = state.serviceConfig.steps[index];
  if (step && 'analysis' in step) return step.analysis;
  throw new EffectError(`the rollout has no analysis "${key}"`, false);
}

/** Whether to try again is the error's to say (a ForgeError's class, a read's own `retryable`); other errors are not retried. */
function asEffectError(error: unknown): Error {
  if (error instanceof EffectError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new EffectError(message, isRetryable(error));
}
