/**
 * Carries out a rollout's effects on a plain git remote through the git forge: weight commits
 * pushed with compare-and-swap, measurements against Prometheus with the templates of the bump
 * commit, the revert as a pushed branch, the status to the operator. Each effect is idempotent,
 * as the engine replays the ones whose results a crash lost: a commit already in place is found
 * again by its message, a revert branch already pushed is kept.
 */
import { createMetricProvider } from '../analysis/providers/registry.js';
import { resolveAnalysis } from '../analysis/resolve.js';
import { takeMeasurement } from '../analysis/runner.js';
import type { MeasurementOutcome } from '../analysis/run.js';
import { findJudge, loadJudgesFromSource, resolveJudge, type LoadedJudge } from '../analysis/judge/judges.js';
import { takeJudgement } from '../analysis/judge/measure.js';
import { encodeJudgement, WARMING_UP } from '../analysis/judge/run-metric.js';
import { loadTemplatesFromSource, type TemplateCatalog } from '../analysis/templates.js';
import type { MetricProvider } from '../analysis/types.js';
import type { RolloutAnalysis } from '../config/opsbox.schema.js';
import { isRetryable } from '../forge/forge.js';
import type { GitForge } from '../forge/git/git-forge.js';
import { renderRevertPrBody } from '../report/render.js';
import { buildRolloutView } from '../report/view.js';
import { snapshotOf } from '../rollout/analysis-snapshot.js';
import { buildRevertChange, buildRolloutChange } from '../rollout/changes.js';
import type { Effect, EffectResult, RolloutState } from '../rollout/types.js';
import { configuredGates } from '../sync/gate.js';
import { EffectError, type EffectExecutor } from './engine.js';
import { revertBranch } from './executor.js';

export interface GitEffectsOptions {
  forge: GitForge;
  env: Readonly<Record<string, string | undefined>>;
  clock?: () => number;
  /** Replaces the Prometheus provider (tests). */
  provider?: (defaultAddress: string | undefined) => MetricProvider;
}

interface TemplatesAt {
  catalog: TemplateCatalog;
  judges: LoadedJudge[];
}

export class GitEffectExecutor implements EffectExecutor {
  private readonly templates = new Map<string, Promise<TemplatesAt>>();
  private readonly clock: () => number;

  constructor(private readonly options: GitEffectsOptions) {
    this.clock = options.clock ?? Date.now;
  }

  async execute(state: RolloutState, effect: Effect): Promise<EffectResult> {
    try {
      switch (effect.type) {
        case 'commit':
          return await this.commit(state, effect);
        case 'measure':
          return await this.measure(state, effect);
        case 'openRevertPr':
          return await this.proposeRevert(state);
        case 'closeRevertPr': {
          const { forge } = this.options;
          await forge.withdrawRevert(forge.repoRef, forge.revertRef(revertBranch(state)), effect.reason);
          return { type: 'closeRevertPr' };
        }
        case 'checkSync':
          return this.checkSync(state);
        case 'report':
          await this.options.forge.publishStatus(this.options.forge.repoRef, {
            rolloutId: state.id,
            thread: { number: state.source.number },
            commit: state.source.mergeSha,
            view: this.view(state),
            mayExist: effect.started === true,
            final: effect.final,
            failureAt: state.failure?.at,
          });
          return { type: 'report' };
      }
    } catch (error) {
      if (error instanceof EffectError) throw error;
      throw new EffectError((error as Error).message, isRetryable(error) || (error as { retryable?: unknown }).retryable === true);
    }
  }

  private async commit(state: RolloutState, effect: Extract<Effect, { type: 'commit' }>): Promise<EffectResult> {
    const { forge } = this.options;
    const repo = forge.repoRef;
    const outcome = await forge.commit(repo, {
      branch: repo.defaultBranch,
      message: effect.message,
      build: (read) => buildRolloutChange(state.serviceConfig, effect.kind, effect.weight, state.to, read),
    });
    if (outcome.sha !== null) return { type: 'commit', sha: outcome.sha };
    // Already in place: pushed by this very effect before a crash, or by someone else.
    return { type: 'commit', sha: await forge.findOwnCommit(repo, repo.defaultBranch, effect.message) };
  }

  private async proposeRevert(state: RolloutState): Promise<EffectResult> {
    const { forge } = this.options;
    const branch = revertBranch(state);
    const revert = await forge.proposeRevert(forge.repoRef, {
      branch,
      title: `Revert ${state.service} to ${state.from} (canary ${state.to} failed)`,
      body: renderRevertPrBody(this.view(state)),
      message: `revert(${state.service}): canary back to ${state.from}\n\nOpsBox-Rollout: ${state.id}\nOpsBox-Source: ${state.source.mergeSha}`,
      build: (read) => buildRevertChange(state.serviceConfig, state.from, read),
    });
    return { type: 'openRevertPr', number: 0, url: revert.url };
  }

  /** The delay is the machine's; plain git has no commit statuses to wait on. */
  private checkSync(state: RolloutState): EffectResult {
    const gates = configuredGates(state.serviceConfig.sync);
    if (gates.length === 0) return { type: 'checkSync', state: 'applied', detail: 'sync.delay passed' };
    return { type: 'checkSync', state: 'failed', detail: `sync.${gates.join(', sync.')} cannot be checked on a plain git remote; use sync.delay` };
  }

  private async measure(state: RolloutState, effect: Extract<Effect, { type: 'measure' }>): Promise<EffectResult> {
    const analysis = analysisConfig(state, effect.analysis);
    const { catalog, judges } = await this.templatesAt(state);
    const metrics = resolveAnalysis(catalog, { templates: analysis.templates, args: analysis.args, env: this.options.env }, judges).metrics;
    const injected = this.options.provider?.(state.prometheusAddress);
    const provider = createMetricProvider(this.options.env, { defaultAddress: state.prometheusAddress }, injected ? { prometheus: injected } : {});
    const measurements = await Promise.all(
      effect.metrics.map(async (name) => {
        const metric = metrics.find((m) => m.name === name);
        const measurement: MeasurementOutcome = !metric
          ? { error: `metric "${name}" is no longer in the templates`, startedAt: this.clock(), finishedAt: this.clock() }
          : metric.judge !== undefined
            ? await this.judge(state, analysis, judges, metric.judge, provider)
            : await takeMeasurement(provider, metric, { now: this.clock });
        return { metric: name, measurement };
      }),
    );
    return { type: 'measure', measurements };
  }

  private async judge(state: RolloutState, analysis: RolloutAnalysis, judges: LoadedJudge[], name: string, provider: MetricProvider): Promise<MeasurementOutcome> {
    const startedAt = this.clock();
    try {
      const loaded = findJudge(judges, name);
      if (!loaded) return { error: `CanaryJudge "${name}" is no longer in the templates`, startedAt, finishedAt: this.clock() };
      const judgement = await takeJudgement(resolveJudge(loaded, { args: analysis.args }), provider, startedAt, state.commits[state.commits.length - 1]?.at);
      if (judgement === null) return { error: `${WARMING_UP}: waiting until both sides have minSamples`, startedAt, finishedAt: this.clock() };
      if (!judgement.result) return { error: judgement.error ?? 'the judgement could not be measured', startedAt, finishedAt: this.clock() };
      return { value: encodeJudgement(judgement.result), startedAt, finishedAt: this.clock() };
    } catch (error) {
      return { error: (error as Error).message, startedAt, finishedAt: this.clock() };
    }
  }

  /** Templates come from the bump commit, read once per commit. */
  private templatesAt(state: RolloutState): Promise<TemplatesAt> {
    const key = `${state.source.mergeSha}:${state.templatePaths.join(',')}`;
    let loaded = this.templates.get(key);
    if (!loaded) {
      const files = this.options.forge.filesAt(this.options.forge.repoRef, state.source.mergeSha);
      loaded = Promise.all([loadTemplatesFromSource(files, state.templatePaths), loadJudgesFromSource(files, state.templatePaths)]).then(([catalog, judges]) => ({ catalog, judges }));
      loaded.catch(() => this.templates.delete(key));
      this.templates.set(key, loaded);
    }
    return loaded;
  }

  private view(state: RolloutState) {
    return buildRolloutView(state, { serverUrl: '', analysisOf: snapshotOf, now: this.clock() });
  }
}

function analysisConfig(state: RolloutState, key: string): RolloutAnalysis {
  if (key === 'background' && state.serviceConfig.analysis) return state.serviceConfig.analysis;
  const step = state.serviceConfig.steps[Number(key.replace('step:', ''))];
  if (step && 'analysis' in step) return step.analysis;
  throw new EffectError(`the rollout has no analysis "${key}"`, false);
}
