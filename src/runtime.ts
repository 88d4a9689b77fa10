/**
 * The long-lived parts of the app: the durable store, the rollout engine with its effect executor,
 * and the scheduler. Webhook handlers only hand work to it.
 */
import type { Logger } from 'pino';
import type { MetricProvider } from './analysis/types.js';
import { argoAnalysis } from './rollout/analysis-port.js';
import { RolloutEngine } from './rollout/engine.js';
import { GitHubEffectExecutor } from './rollout/executor.js';
import { RolloutScheduler } from './rollout/scheduler.js';
import { startRolloutsForMerge, type ConfigOctokit } from './rollout/start.js';
import type { MergedPullRequest } from './rollout/trigger.js';
import { FileRolloutStore } from './state/file-store.js';

export interface RuntimeOptions {
  dataDir: string;
  env: Readonly<Record<string, string | undefined>>;
  auth(installationId: number): Promise<ConfigOctokit>;
  log: Logger;
  clock?: () => number;
  /** Replaces the Prometheus provider (tests, benchmarks). */
  provider?: (defaultAddress: string | undefined) => MetricProvider;
  /** Start the cron scheduler (default true). */
  schedule?: boolean;
}

export class Runtime {
  private readonly inFlight = new Set<Promise<unknown>>();

  private constructor(
    readonly store: FileRolloutStore,
    readonly engine: RolloutEngine,
    readonly scheduler: RolloutScheduler,
    private readonly options: RuntimeOptions,
  ) {}

  static async create(options: RuntimeOptions): Promise<Runtime> {
    const clock = options.clock ?? Date.now;
    const store = await FileRolloutStore.open(options.dataDir);
    const executor = new GitHubEffectExecutor({
      auth: options.auth,
      env: options.env,
      serverUrl: serverUrl(options.env),
      clock,
      log: options.log,
      provider: options.provider,
    });
    const engine = new RolloutEngine({ store, machine: { analysis: argoAnalysis }, executor, clock, log: options.log });
    const scheduler = new RolloutScheduler(engine);
    const runtime = new Runtime(store, engine, scheduler, options);
    await runtime.resumeClaimedWork();
    if (options.schedule !== false) scheduler.start();
    return runtime;
  }

  /** Runs work after the webhook has been answered; errors are logged, never thrown at GitHub. */
  background(what: string, work: () => Promise<unknown>): void {
    const task = work()
      .then(() => this.scheduler.kick())
      .catch((error) => this.options.log.error({ err: error }, `${what} failed`))
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  /** Starts the rollouts of a claimed merge; the claim is finished once they are stored. */
  startForMerge(claim: string, pr: MergedPullRequest): void {
    this.background(`starting rollouts for #${pr.number}`, async () => {
      await startRolloutsForMerge(
        {
          engine: this.engine,
          auth: this.options.auth,
          clock: this.options.clock ?? Date.now,
          defaultPrometheus: this.options.env.PROMETHEUS_URL || undefined,
          log: this.options.log,
        },
        pr,
      );
      await this.store.finishWork(claim);
    });
  }

  /** Merges accepted before a restart whose rollouts were not stored yet. */
  private async resumeClaimedWork(): Promise<void> {
    for (const { key, work } of await this.store.unfinishedWork()) {
      if (key.startsWith('merge:')) this.startForMerge(key, work as MergedPullRequest);
    }
  }

  /** Waits for background work and queued rollout events (bounded). */
  async idle(): Promise<void> {
    for (let round = 0; round < 50 && this.inFlight.size > 0; round++) await Promise.allSettled([...this.inFlight]);
    await this.engine.idle();
  }

  async stop(): Promise<void> {
    await this.idle();
    await this.scheduler.stop();
  }
}

/** Where links in comments point: github.com, or the GitHub Enterprise Server of GHE_HOST. */
export function serverUrl(env: Readonly<Record<string, string | undefined>>): string {
  return env.GHE_HOST ? `${env.GHE_PROTOCOL || 'https'}://${env.GHE_HOST}` : 'https://github.com';
}
