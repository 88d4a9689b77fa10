/**
 * The app's Prometheus metrics. Their names and labels are a contract (dashboards and alerts are
 * built on them): README.md lists each. Gauges about rollouts are computed from the store when
 * scraped, so they are right after a restart without any bookkeeping here.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isFailed, type RolloutPhase, type RolloutState } from '../rollout/types.js';

/** Every phase, so a phase with no rollout is exported as 0 rather than missing. */
export const ROLLOUT_PHASES: readonly RolloutPhase[] = ['Progressing', 'Paused', 'Promoting', 'Succeeded', 'Aborting', 'Aborted', 'Superseded'];

export type FinishResult = 'promoted' | 'rolled_back' | 'aborted' | 'superseded';

/** Flagger's `flagger_canary_status` values. */
export const CANARY_STATUS = { running: 0, promoted: 1, failed: 2 } as const;

/** Read-only access to every stored rollout (for the gauges). */
export type RolloutSource = () => Iterable<Readonly<RolloutState>>;

const DURATION_BUCKETS = [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400];
const EFFECT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class OpsboxMetrics {
  readonly registry = new Registry();
  readonly rolloutsFinished: Counter<'repository' | 'service' | 'result'>;
  readonly rolloutDuration: Histogram<'result'>;
  readonly stepDuration: Histogram<'kind'>;
  readonly measurements: Counter<'template' | 'metric' | 'phase'>;
  readonly githubRequests: Counter<'kind' | 'status'>;
  readonly githubRateLimitRemaining: Gauge<'installation'>;
  readonly webhookDeliveries: Counter<'event' | 'outcome'>;
  readonly effectDuration: Histogram<'effect'>;

  constructor(rollouts: RolloutSource, options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    new Gauge({
      name: 'opsbox_rollouts',
      help: 'Rollouts held by this replica, by phase.',
      labelNames: ['phase'],
      registers,
      collect() {
        const counts = new Map<string, number>(ROLLOUT_PHASES.map((phase) => [phase, 0]));
        for (const state of rollouts()) counts.set(state.phase, (counts.get(state.phase) ?? 0) + 1);
        this.reset();
        for (const [phase, count] of counts) this.set({ phase }, count);
      },
    });
    new Gauge({
      name: 'opsbox_canary_weight',
      help: "The canary's current weight (percent) of the newest rollout of each service.",
      labelNames: ['repository', 'service'],
      registers,
      collect() {
        this.reset();
        for (const state of newestPerService(rollouts())) this.set(serviceLabels(state), state.weight);
      },
    });
    new Gauge({
      name: 'opsbox_canary_status',
      help: 'Status of the newest rollout of each service: 0 running, 1 promoted, 2 failed (as flagger_canary_status).',
      labelNames: ['repository', 'service'],
      registers,
      collect() {
        this.reset();
        for (const state of newestPerService(rollouts())) this.set(serviceLabels(state), canaryStatus(state));
      },
    });
    this.rolloutsFinished = new Counter({
      name: 'opsbox_rollouts_finished_total',
      help: 'Rollouts that ended, by result: promoted, rolled_back (by analysis or a sync gate), aborted (by /abort) or superseded.',
      labelNames: ['repository', 'service', 'result'],
      registers,
    });
    this.rolloutDuration = new Histogram({
      name: 'opsbox_rollout_duration_seconds',
      help: 'Time from the start of a rollout to its end, by result.',
      labelNames: ['result'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.stepDuration = new Histogram({
      name: 'opsbox_step_duration_seconds',
      help: 'Time a rollout spent in one step, by step kind (setWeight, pause, analysis).',
      labelNames: ['kind'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.measurements = new Counter({
      name: 'opsbox_analysis_measurements_total',
      help: 'Analysis measurements taken, by template, metric and measurement phase.',
      labelNames: ['template', 'metric', 'phase'],
      registers,
    });
    this.githubRequests = new Counter({
      name: 'opsbox_github_requests_total',
      help: 'Requests made to the GitHub API, by kind (read or write) and HTTP status (0: no answer).',
      labelNames: ['kind', 'status'],
      registers,
    });
    this.githubRateLimitRemaining = new Gauge({
      name: 'opsbox_github_rate_limit_remaining',
      help: 'Requests left in the current GitHub rate-limit window, as GitHub last reported it, by installation.',
      labelNames: ['installation'],
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'opsbox_webhook_deliveries_total',
      help: 'Webhook deliveries handled, by event and outcome (claimed, duplicate, ignored, queued, failed).',
      labelNames: ['event', 'outcome'],
      registers,
    });
    this.effectDuration = new Histogram({
      name: 'opsbox_effect_duration_seconds',
      help: 'Time one rollout effect took (commit, measure, checkSync, publishStatus, proposeRevert, withdrawRevert).',
      labelNames: ['effect'],
      buckets: EFFECT_BUCKETS,
      registers,
    });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** The exposition text and its content type, for `/metrics`. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function serviceLabels(state: Readonly<RolloutState>) {
  return { repository: `${state.repo.owner}/${state.repo.repo}`, service: state.service };
}

/** The newest rollout (by start time) of each repository and service. */
function newestPerService(rollouts: Iterable<Readonly<RolloutState>>): Readonly<RolloutState>[] {
  const newest = new Map<string, Readonly<RolloutState>>();
  for (const state of rollouts) {
    const key = `${state.repo.owner}/${state.repo.repo}\n${state.service}`;
    const known = newest.get(key);
    if (!known || state.startedAt > known.startedAt) newest.set(key, state);
  }
  return [...newest.values()];
}

/** 1 once promoted; 2 once failed (rolling back, rolled back, or held after a failure); 0 otherwise. */
export function canaryStatus(state: Pick<RolloutState, 'phase' | 'pauseReason'>): number {
  if (state.phase === 'Succeeded') return CANARY_STATUS.promoted;
  if (isFailed(state)) return CANARY_STATUS.failed;
  return CANARY_STATUS.running;
}
