/**
 * The long-lived parts of the app: the durable store, the rollout engine with its effect executor,
 * and the scheduler. Webhook handlers only hand work to it.
 */
import type { Logger } from 'pino';
import type { MetricProvider } from './analysis/types.js';
import { runCommand, type CommandRequest } from './app/run-command.js';
import type { RepoRef } from './forge/forge.js';
import { GitHubForge, installationOf, type InstallationOctokit } from './forge/github/github-forge.js';
import { ForgeRegistry } from './forge/registry.js';
import { reportRenderer } from './report/render.js';
import { argoAnalysis } from './rollout/analysis-port.js';
import { RolloutEngine, type EngineObserver } from './app/engine.js';
import { ForgeEffectExecutor } from './app/executor.js';
import { RolloutScheduler } from './app/scheduler.js';
import { startRolloutsForMerge } from './app/start.js';
import type { MergedPullRequest } from './app/trigger.js';
import { preflightAgain } from './preflight/again.js';
import { migrateWork } from './state/migrate.js';
import { RepoReadError } from './repo/files.js';
import { runPreflight, type PreflightOctokit, type PreflightRequest } from './preflight/run.js';
import { FileRolloutStore } from './state/file-store.js';
import { retentionFromEnv } from './state/retention.js';
import { WorkQueue } from './util/work-queue.js';
import { clusterSourceFromEnv } from './sync/cluster-source.js';
import type { ClusterAccess, CustomObjects } from './sync/kubernetes.js';
import { clusterSyncGates, syncGateCheck, type SyncGateCheck } from './sync/registry.js';

export interface RuntimeOptions {
  dataDir: string;
  env: Readonly<Record<string, string | undefined>>;
  auth(installationId: number): Promise<InstallationOctokit>;
  /** The app's own login (`<app-slug>[bot]`): only its comments are edited. */
  appLogin: () => Promise<string>;
  log: Logger;
  clock?: () => number;
  /** Replaces the Prometheus provider (tests, benchmarks). */
  provider?: (defaultAddress: string | undefined) => MetricProvider;
  /** Start the cron scheduler (default true). */
  schedule?: boolean;
  /** Background tasks (rollout starts, commands) run at once; default 4. */
  backgroundConcurrency?: number;
  /** How often accepted work that failed (GitHub down, say) is tried again; default one minute. */
  retryWorkEveryMs?: number;
  /** Sees every rollout transition and effect (metrics, transition logs). */
  observer?: EngineObserver;
}

/** Deliveries less than this far apart make a burst, during which background work runs one task at a time. */
const BURST_QUIET_MS = 100;

/** Accepted work that keeps failing is given up after this many tries (and logged). */
export const MAX_WORK_ATTEMPTS = 10;

export class Runtime {
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly queue: WorkQueue;
  /** Claims being worked on now, and how often each was tried. */
  private readonly claimsRunning = new Set<string>();
  private readonly claimAttempts = new Map<string, number>();
  private retryTimer: NodeJS.Timeout | undefined;
  /** Set by drain(): work is still claimed but left for the next process. */
  private draining = false;
  /** The cluster the Argo CD and Flux gates read, when configured. */
  private clusterObjects: CustomObjects | undefined;

  private constructor(
    readonly store: FileRolloutStore,
    readonly engine: RolloutEngine,
    readonly scheduler: RolloutScheduler,
    private readonly options: RuntimeOptions,
    private readonly syncGates: SyncGateCheck,
    private readonly github: GitHubForge,
    readonly forges: ForgeRegistry,
  ) {
    // During a burst of deliveries one task at a time, so answering them goes first (real time, not the rollouts' clock).
    this.queue = new WorkQueue(options.backgroundConcurrency ?? 4, { busyConcurrency: 1, quietMs: BURST_QUIET_MS });
  }

  static async create(options: RuntimeOptions): Promise<Runtime> {
    const clock = options.clock ?? Date.now;
    // Compiled now rather than on the first report, which would stall webhook answers meanwhile.
    reportRenderer();
    const store = await FileRolloutStore.open(options.dataDir, { retentionMs: retentionFromEnv(options.env), clock });
    // Argo CD and Flux gates are offered only where an operator gave the app a cluster to read.
    const cluster = await clusterAccess(options.env);
    if (cluster.configured) options.log.info(`sync.argocd and sync.flux read the cluster through ${cluster.source}`);
    else options.log.info(`sync.argocd and sync.flux are unavailable: ${cluster.reason}`);
    // The forges rollouts can live on: one line each.
    const github = new GitHubForge({ auth: options.auth, appLogin: options.appLogin, serverUrl: serverUrl(options.env) });
    const forges = new ForgeRegistry([github]);
    const executor = new ForgeEffectExecutor({
      forges,
      env: options.env,
      clock,
      log: options.log,
      provider: options.provider,
      syncGates: cluster.configured ? clusterSyncGates(cluster.objects) : {},
    });
    const engine = new RolloutEngine({ store, machine: { analysis: argoAnalysis }, executor, clock, log: options.log, observer: options.observer });
    const scheduler = new RolloutScheduler(engine);
    const runtime = new Runtime(store, engine, scheduler, options, syncGateCheck(cluster), github, forges);
    if (cluster.configured) runtime.clusterObjects = cluster.objects;
    await runtime.retryUnfinishedWork();
    if (options.schedule !== false) {
      scheduler.start();
      runtime.retryTimer = setInterval(() => void runtime.retryUnfinishedWork(), options.retryWorkEveryMs ?? 60_000);
      runtime.retryTimer.unref();
    }
    return runtime;
  }

  /** Runs work after the webhook has been answered; errors are logged, never thrown at GitHub. */
  background(what: string, work: () => Promise<unknown>, options: { urgent?: boolean } = {}): void {
    const task = this.queue
      .push(work, options)
      .then(() => this.scheduler.kick())
      .catch((error) => this.options.log.error({ err: error }, `${what} failed`))
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  /** Runs a claimed piece of work once at a time; the claim is finished when the work succeeds. */
  private claimed(claim: string, what: string, work: () => Promise<unknown>, options: { urgent?: boolean } = {}): void {
    if (this.claimsRunning.has(claim) || this.draining) return;
    this.claimsRunning.add(claim);
    this.background(
      what,
      async () => {
        try {
          // Claimed durably; the next process runs it (retryUnfinishedWork).
          if (this.draining) return;
          await work();
          await this.store.finishWork(claim);
          this.claimAttempts.delete(claim);
        } catch (error) {
          const attempts = (this.claimAttempts.get(claim) ?? 0) + 1;
          this.claimAttempts.set(claim, attempts);
          if (attempts >= MAX_WORK_ATTEMPTS) {
            this.options.log.error({ err: error, claim, attempts }, `${what}: giving up`);
            this.claimAttempts.delete(claim);
            await this.store.finishWork(claim);
            return;
          }
          // The claim stays open: retryUnfinishedWork picks it up again.
          const why = error instanceof RepoReadError ? 'the repository could not be read' : 'it failed';
          this.options.log.warn(
            { err: error, claim, attempts, maxAttempts: MAX_WORK_ATTEMPTS },
            `${what}: ${why} (attempt ${attempts} of ${MAX_WORK_ATTEMPTS}); will try again`,
          );
        } finally {
          this.claimsRunning.delete(claim);
        }
      },
      options,
    );
  }

  /** Starts the rollouts of a claimed merge; the claim is finished once they are stored. */
  startForMerge(claim: string, pr: MergedPullRequest): void {
    this.claimed(claim, `starting rollouts for #${pr.number}`, async () => {
      await startRolloutsForMerge(
        {
          engine: this.engine,
          forge: this.forges.of(pr.repo),
          clock: this.options.clock ?? Date.now,
          defaultPrometheus: this.options.env.PROMETHEUS_URL || undefined,
          secretEnv: this.options.env,
          syncGates: this.syncGates,
          log: this.options.log,
        },
        pr,
      );
    });
  }

  /** Posts the preflight check of a pull request; writes nothing but that check run. */
  preflight(request: PreflightRequest): void {
    this.background(`preflight check of #${request.number}`, () => this.runPreflight(request));
  }

  private async runPreflight(request: PreflightRequest): Promise<void> {
    await runPreflight(
      {
        auth: async (installationId) => (await this.options.auth(installationId)) as unknown as PreflightOctokit,
        env: this.options.env,
        provider: this.options.provider,
        syncGates: this.syncGates,
        clusterObjects: this.clusterObjects,
        activeRollouts: async (owner, repo, service) =>
          (await this.store.activeFor(owner, repo, service)).map((state) => ({ id: state.id, to: state.to, sourceNumber: state.source.number })),
        log: this.options.log,
      },
      request,
    );
  }

  /** `/preflight` on a GitHub pull request: its check again, when it is open. */
  private async preflightAgain(repo: RepoRef, number: number): Promise<boolean> {
    if (repo.forge !== 'github') return false;
    const pull = { installationId: installationOf(repo), owner: repo.owner, repo: repo.repo, number };
    return preflightAgain(await this.github.octokit(repo), pull, (request) => this.runPreflight(request));
  }

  /** Carries out a claimed command comment. */
  runCommand(claim: string, request: CommandRequest): void {
    this.claimed(claim, `running ${request.parsed.kind === 'unknown' ? `/${request.parsed.word}` : `/${request.parsed.name}`} from comment ${request.commentId}`, () =>
      runCommand(
        {
          forPullRequest: (owner, repo, number) => this.store.forPullRequest(owner, repo, number),
          latestOf: (owner, repo, service) => this.store.latestFor(owner, repo, service),
          preflight: (repo, number) => this.preflightAgain(repo, number),
          dispatch: (id, event, onDecided) => this.engine.dispatch(id, event, onDecided),
          forge: (repo) => this.forges.of(repo),
          log: this.options.log,
        },
        request,
      ),
      // someone is waiting for the answer
      { urgent: true },
    );
  }

  /** Work accepted but not done: after a restart, or after a failure (GitHub down). */
  async retryUnfinishedWork(): Promise<void> {
    for (const { key, work } of await this.store.unfinishedWork()) {
      // claimed by an earlier version, perhaps: in today's shape first
      const current = migrateWork(key, work);
      if (key.startsWith('merge:')) this.startForMerge(key, current as MergedPullRequest);
      else if (key.startsWith('comment:')) this.runCommand(key, current as CommandRequest);
    }
  }

  /** Waits for background work and queued rollout events (bounded). */
  async idle(): Promise<void> {
    for (let round = 0; round < 50 && this.inFlight.size > 0; round++) await Promise.allSettled([...this.inFlight]);
    await this.engine.idle();
  }

  /**
   * Shutdown, before the webhook server closes: work that still arrives is claimed but not started,
   * timers stop, no new effect starts and the ones in flight finish. The store stays open for the
   * claims until stop().
   */
  async drain(): Promise<void> {
    this.draining = true;
    if (this.retryTimer) clearInterval(this.retryTimer);
    await Promise.all([this.scheduler.stop(), this.engine.stopAtSafePoint()]);
    await this.idle();
  }

  async stop(): Promise<void> {
    if (this.retryTimer) clearInterval(this.retryTimer);
    await this.idle();
    await this.scheduler.stop();
    await this.store.close();
  }
}

/** The Kubernetes client is large (tens of MiB): it is loaded only where the app was given a cluster. */
async function clusterAccess(env: Readonly<Record<string, string | undefined>>): Promise<ClusterAccess> {
  const source = clusterSourceFromEnv(env);
  if (source.kind === 'none') return { configured: false, reason: source.reason };
  const { clusterAccessFromEnv } = await import('./sync/kubernetes.js');
  return clusterAccessFromEnv(env);
}

/** Where links in comments point: github.com, or the GitHub Enterprise Server of GHE_HOST. */
export function serverUrl(env: Readonly<Record<string, string | undefined>>): string {
  return env.GHE_HOST ? `${env.GHE_PROTOCOL || 'https'}://${env.GHE_HOST}` : 'https://github.com';
}
