/**
 * The long-lived parts of the app: the durable store, the rollout engine with its effect executor,
 * and the scheduler. Webhook handlers only hand work to it.
 */
import type { Logger } from 'pino';
import type { MetricProvider } from '../analysis/types.js';
import { runCommand, type CommandRequest } from './run-command.js';
import type { RepoRef } from '../forge/forge.js';
import { GitHubForge, installationOf, type InstallationOctokit } from '../forge/github/github-forge.js';
import { ForgeRegistry } from '../forge/registry.js';
import { reportRenderer } from '../report/render.js';
import { argoAnalysis } from '../rollout/analysis-port.js';
import { RolloutEngine, type EngineObserver } from './engine.js';
import { ForgeEffectExecutor } from './executor.js';
import { RolloutScheduler } from './scheduler.js';
import { startRolloutsForMerge } from './start.js';
import type { MergedPullRequest } from './trigger.js';
import { preflightAgain } from '../preflight/again.js';
import { migrateWork } from '../state/migrate.js';
import { RepoReadError } from '../repo/files.js';
import { runPreflight, type PreflightOctokit, type PreflightRequest } from '../preflight/run.js';
import { workLockKey, type LockPort } from '../state/locks.js';
import { openStateBackend } from '../state/open-backend.js';
import type { RolloutStore, StateBackend, WorkInbox } from '../state/store.js';
import { paceWrites } from '../state/write-pace.js';
import { WorkQueue } from '../util/work-queue.js';
import { clusterSourceFromEnv } from '../sync/cluster-source.js';
import { jobAccessFor, type JobAccess } from '../analysis/providers/job.js';
import { SECRET_NAMESPACE_ENV, type ClusterSecrets } from '../analysis/secrets.js';
import { AlertmanagerNotifier } from '../notify/alertmanager.js';
import { DeploymentsNotifier, type DeploymentsOctokit } from '../forge/github/deployments.js';
import { githubLinks } from '../forge/github/links.js';
import { notifiers, type Notifier } from '../notify/notifier.js';
import type { ClusterAccess, CustomObjects } from '../sync/kubernetes.js';
import { clusterSyncGates, syncGateCheck, type SyncGateCheck } from '../sync/registry.js';

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
  /** How often due alert re-posts are looked for (default 30 s; 0: only when asked, in tests). */
  alertCheckEveryMs?: number;
  /** Wall-clock time of alerts (default Date.now): Alertmanager compares them with its own clock. */
  alertClock?: () => number;
  /** Waits between attempts to reach Alertmanager or write GitHub Deployments (default: real backoff). */
  notifySleep?: (ms: number) => Promise<void>;
}

/** Deliveries less than this far apart make a burst, during which background work runs one task at a time. */
const BURST_QUIET_MS = 100;

/** Accepted work that keeps failing is given up after this many tries (and logged). */
export const MAX_WORK_ATTEMPTS = 10;

export class Runtime {
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly queue: WorkQueue;
  /** How often each claim was tried by this process. */
  private readonly claimAttempts = new Map<string, number>();
  /** Claims queued or running in this process (a retry pass does not queue them twice). */
  private readonly claimsQueued = new Set<string>();
  private retryTimer: NodeJS.Timeout | undefined;
  /** Set by drain(): work is still claimed but left for the next process. */
  private draining = false;
  /** The cluster the Argo CD and Flux gates read, when configured. */
  private clusterObjects: CustomObjects | undefined;
  /** Secrets and Jobs that analyses may use. */
  private analysisCluster: AnalysisCluster = { jobs: { unavailable: 'not set up' } };
  /** Carries out the effects; an /abort cancels the measurements it has under way. */
  private executor: ForgeEffectExecutor | undefined;
  /** Alertmanager (and other outside notices) of rollout transitions. */
  notifier: Notifier = notifiers([]);

  readonly store: RolloutStore;
  readonly inbox: WorkInbox;
  readonly locks: LockPort;

  private constructor(
    private readonly state: StateBackend,
    readonly engine: RolloutEngine,
    readonly scheduler: RolloutScheduler,
    private readonly options: RuntimeOptions,
    private readonly syncGates: SyncGateCheck,
    private readonly github: GitHubForge,
    readonly forges: ForgeRegistry,
  ) {
    this.store = state.store;
    this.inbox = state.inbox;
    this.locks = state.locks;
    // During a burst of deliveries one task at a time, so answering them goes first (real time, not the rollouts' clock).
    this.queue = new WorkQueue(options.backgroundConcurrency ?? 4, { busyConcurrency: 1, quietMs: BURST_QUIET_MS });
  }

  static async create(given: RuntimeOptions): Promise<Runtime> {
    let options = given;
    const clock = options.clock ?? Date.now;
    // Compiled now rather than on the first report, which would stall webhook answers meanwhile.
    reportRenderer();
    // DATABASE_URL selects PostgreSQL (several replicas); otherwise files under the data dir.
    const state = await openStateBackend({ env: options.env, dataDir: options.dataDir, clock, log: options.log });
    const { store, locks, writePace } = state;
    if (writePace) {
      // Replicas share GitHub's per-installation limits: their writes are paced as one client's.
      const auth = given.auth;
      options = { ...given, auth: async (installationId) => paceWrites(await auth(installationId), installationId, writePace) };
    }
    options.log.info(state.kind === 'postgres' ? 'rollout state in PostgreSQL (DATABASE_URL)' : `rollout state in ${options.dataDir}`);
    // Argo CD and Flux gates are offered only where an operator gave the app a cluster to read.
    const cluster = await clusterAccess(options.env);
    if (cluster.configured) options.log.info(`sync.argocd and sync.flux read the cluster through ${cluster.source}`);
    else options.log.info(`sync.argocd and sync.flux are unavailable: ${cluster.reason}`);
    const analysisCluster = analysisClusterAccess(cluster, options.env);
    options.log.info(
      analysisCluster.secrets
        ? `valueFrom.secretKeyRef arguments are read from Secrets in namespace ${analysisCluster.secrets.namespace}, then from OPSBOX_SECRET_* variables`
        : `valueFrom.secretKeyRef arguments are read from OPSBOX_SECRET_* variables${cluster.configured ? ` (set ${SECRET_NAMESPACE_ENV} to read Secrets from the cluster)` : ''}`,
    );
    if ('unavailable' in analysisCluster.jobs) options.log.info(`job metrics are unavailable: ${analysisCluster.jobs.unavailable}`);
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
      clusterSecrets: analysisCluster.secrets,
      jobs: analysisCluster.jobs,
    });
    const alerts = new AlertmanagerNotifier({ env: options.env, links: githubLinks(serverUrl(options.env)), book: state.alerts, log: options.log, checkEveryMs: options.alertCheckEveryMs, clock: options.alertClock, sleep: options.notifySleep });
    const deployments = new DeploymentsNotifier({
      auth: async (installationId) => (await options.auth(installationId)) as unknown as DeploymentsOctokit,
      serverUrl: serverUrl(options.env),
      log: options.log,
      sleep: options.notifySleep,
    });
    const notifier = notifiers([alerts, deployments]);
    const observer: EngineObserver = {
      transition: (before, event, after) => {
        options.observer?.transition?.(before, event, after);
        notifier.transition(before, event, after);
      },
      effect: (...args) => options.observer?.effect?.(...args),
    };
    const engine = new RolloutEngine({ store, locks, machine: { analysis: argoAnalysis }, executor, clock, log: options.log, observer });
    const scheduler = new RolloutScheduler(engine);
    const runtime = new Runtime(state, engine, scheduler, options, syncGateCheck(cluster), github, forges);
    runtime.executor = executor;
    runtime.analysisCluster = analysisCluster;
    runtime.notifier = notifier;
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

  /**
   * Runs a claimed piece of work once at a time, across replicas too (under the claim's lock, and
   * only while it is unfinished); the claim is finished when the work succeeds.
   */
  private claimed(claim: string, what: string, work: () => Promise<unknown>, options: { urgent?: boolean } = {}): void {
    if (this.draining || this.claimsQueued.has(claim)) return;
    this.claimsQueued.add(claim);
    this.background(
      what,
      async () => {
        try {
          // Held elsewhere (another replica, or this one already at it): that holder does it.
          await this.locks.tryLock(workLockKey(claim), () => this.runClaimed(claim, what, work));
        } finally {
          this.claimsQueued.delete(claim);
        }
      },
      options,
    );
  }

  private async runClaimed(claim: string, what: string, work: () => Promise<unknown>): Promise<void> {
    // Claimed durably; the next process runs it (retryUnfinishedWork).
    if (this.draining) return;
    if (!(await this.inbox.isUnfinished(claim))) return;
    try {
      await work();
      await this.inbox.finishWork(claim);
      this.claimAttempts.delete(claim);
    } catch (error) {
      const attempts = (this.claimAttempts.get(claim) ?? 0) + 1;
      this.claimAttempts.set(claim, attempts);
      if (attempts >= MAX_WORK_ATTEMPTS) {
        this.options.log.error({ err: error, claim, attempts }, `${what}: giving up`);
        this.claimAttempts.delete(claim);
        await this.inbox.finishWork(claim);
        return;
      }
      // The claim stays open: retryUnfinishedWork picks it up again.
      const why = error instanceof RepoReadError ? 'the repository could not be read' : 'it failed';
      this.options.log.warn(
        { err: error, claim, attempts, maxAttempts: MAX_WORK_ATTEMPTS },
        `${what}: ${why} (attempt ${attempts} of ${MAX_WORK_ATTEMPTS}); will try again`,
      );
    }
  }

  /** Starts the rollouts of a claimed merge; the claim is finished once they are stored. */
  startForMerge(claim: string, pr: MergedPullRequest): void {
    this.claimed(claim, `starting rollouts for #${pr.number}`, async () => {
      // a merged revert pull request resolves the alert of its rollout
      this.notifier.merged(pr.repo.owner, pr.repo.repo, pr.number);
      await startRolloutsForMerge(
        {
          engine: this.engine,
          forge: this.forges.of(pr.repo),
          clock: this.options.clock ?? Date.now,
          defaultPrometheus: this.options.env.PROMETHEUS_URL || undefined,
          secretEnv: this.options.env,
          clusterSecrets: this.analysisCluster.secrets,
          unavailableProviders: this.unavailableProviders(),
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

  /** Metric providers this process cannot run, with why: the start of a rollout and the preflight check both refuse them. */
  private unavailableProviders(): Record<string, string> {
    return 'unavailable' in this.analysisCluster.jobs ? { job: this.analysisCluster.jobs.unavailable } : {};
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
        unavailableProviders: this.unavailableProviders(),
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
          dispatch: (id, event, onDecided) => {
            // A measurement waiting for a Job holds the rollout; /abort should not wait for it.
            if (event.type === 'command' && event.command.name === 'abort') this.executor?.cancelMeasurements(id);
            return this.engine.dispatch(id, event, onDecided);
          },
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
    for (const { key, work } of await this.inbox.unfinishedWork()) {
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
    await this.notifier.idle();
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
    // Other replicas take over what this one held now, not when its leases run out.
    await this.locks.releaseAll();
  }

  async stop(): Promise<void> {
    if (this.retryTimer) clearInterval(this.retryTimer);
    await this.idle();
    await this.scheduler.stop();
    await this.notifier.stop();
    await this.state.close();
  }
}

/** The Kubernetes client is large (tens of MiB): it is loaded only where the app was given a cluster. */
async function clusterAccess(env: Readonly<Record<string, string | undefined>>): Promise<ClusterAccess> {
  const source = clusterSourceFromEnv(env);
  if (source.kind === 'none') return { configured: false, reason: source.reason };
  const { clusterAccessFromEnv } = await import('../sync/kubernetes.js');
  return clusterAccessFromEnv(env);
}

interface AnalysisCluster {
  secrets?: ClusterSecrets;
  jobs: JobAccess;
}

/**
 * What analyses may use of the cluster. Secrets are read only from the namespace an operator names
 * (OPSBOX_SECRET_NAMESPACE, else the Jobs' namespace): never, by default, the app's own.
 */
function analysisClusterAccess(cluster: ClusterAccess, env: Readonly<Record<string, string | undefined>>): AnalysisCluster {
  const namespace = env[SECRET_NAMESPACE_ENV]?.trim() || env.OPSBOX_JOB_NAMESPACE?.trim();
  return {
    ...(cluster.configured && namespace ? { secrets: cluster.secrets(namespace) } : {}),
    jobs: jobAccessFor(cluster, env),
  };
}

/** Where links in comments point: github.com, or the GitHub Enterprise Server of GHE_HOST. */
export function serverUrl(env: Readonly<Record<string, string | undefined>>): string {
  return env.GHE_HOST ? `${env.GHE_PROTOCOL || 'https'}://${env.GHE_HOST}` : 'https://github.com';
}
