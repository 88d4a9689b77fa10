/**
 * The production process: the Probot server with the app, its probes, `/metrics` and the read-only
 * dashboard on a port of their own, missed deliveries asked for again at start, and a graceful stop on SIGTERM.
 */
import { run, type ApplicationFunction, type Probot, type ProbotOctokit } from 'probot';
import { dashboardAuthFromEnv } from './dashboard/auth.js';
import { createDashboard } from './dashboard/dashboard.js';
import { createOpsboxApp } from './index.js';
import { observeGitHubRequests } from './metrics/github-requests.js';
import { OpsboxMetrics } from './metrics/metrics.js';
import { rolloutMetrics } from './metrics/rollout-metrics.js';
import { Health } from './ops/health.js';
import { metricsPort, startMetricsServer, type MetricsServer } from './ops/metrics-server.js';
import { redeliverMissed, type AppOctokit } from './ops/redeliver.js';
import { shutDown, shutdownTimeoutMs } from './ops/shutdown.js';
import { observers, transitionLog } from './ops/transition-log.js';
import { serverUrl, type Runtime } from './app/runtime.js';

export interface ServeOptions {
  env?: NodeJS.ProcessEnv;
  /** Probot's Octokit class (tests turn its write throttling off). */
  Octokit?: typeof ProbotOctokit;
}

/** How often the start-up check of the app credentials is tried again while GitHub refuses it. */
const CREDENTIALS_RETRY_MS = 30_000;

export async function serve(options: ServeOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const timeoutMs = shutdownTimeoutMs(env);
  const port = metricsPort(env);
  // read before Probot starts, so a malformed value stops the process with its message
  const dashboardAuth = dashboardAuthFromEnv(env);
  const health = new Health();
  let runtime: Runtime | undefined;
  let probot: Probot | undefined;
  const metrics = new OpsboxMetrics(() => runtime?.store.states() ?? []);

  const appFn: ApplicationFunction = async (app, appOptions) => {
    probot = app;
    appOptions.addHandler(health.handler());
    await createOpsboxApp({
      observer: observers(rolloutMetrics(metrics), transitionLog(app.log)),
      onDelivery: (event, outcome) => metrics.webhookDeliveries.inc({ event, outcome }),
      onOctokit: (octokit, installationId) => observeGitHubRequests(octokit, metrics, installationId),
      onRuntime: (created) => {
        runtime = created;
        health.storeOpen = true;
      },
    })(app, appOptions);
  };
  const server = await run(appFn, { env, Octokit: options.Octokit });
  // Without credentials Probot serves its setup page instead of the app: nothing more to run.
  if (!probot || !runtime) return;
  const log = probot.log;
  const appRuntime = runtime;

  let metricsServer: MetricsServer | undefined;
  if (port !== undefined) {
    // on the same interface as the app (Probot's default is localhost; the container sets 0.0.0.0)
    const dashboard = createDashboard({ store: appRuntime.store, serverUrl: serverUrl(env), auth: dashboardAuth });
    metricsServer = await startMetricsServer(metrics, { port, host: env.HOST || 'localhost', dashboard });
    log.info(`metrics on http://${env.HOST || 'localhost'}:${metricsServer.port}/metrics, dashboard on / (${dashboardAuth ? `${dashboardAuth.kind} auth` : 'no auth: keep the port on the cluster network'})`);
  }

  const startup = startupChecks(probot, health, metrics, log);

  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    health.shuttingDown = true;
    log.info(`SIGTERM: not ready any more; finishing work in flight (at most ${timeoutMs} ms)`);
    void shutDown(
      [
        { name: 'stop start-up checks', run: () => startup.stop() },
        { name: 'finish effects in flight', run: () => appRuntime.drain() },
        { name: 'close the webhook server', run: () => server.stop() },
        { name: 'flush and close the state store', run: () => appRuntime.stop() },
        { name: 'close the metrics server', run: () => metricsServer?.close() },
      ],
      { timeoutMs, log },
    ).then((clean) => process.exit(clean ? 0 : 1));
  });
}

/**
 * Checks the app's credentials with GitHub (readiness waits for it), then asks GitHub to redeliver
 * what was missed while no process ran. Tried again while GitHub refuses or is unreachable.
 */
function startupChecks(probot: Probot, health: Health, metrics: OpsboxMetrics, log: Probot['log']): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const attempt = async () => {
    try {
      const octokit = observeGitHubRequests(await probot.auth(), metrics) as unknown as AppOctokit;
      await octokit.request('GET /app');
      health.credentialsAccepted = true;
      await redeliverMissed(octokit, { log });
    } catch (error) {
      log.warn({ err: (error as Error).message }, health.credentialsAccepted ? 'listing missed webhook deliveries failed' : 'GitHub did not accept the app credentials yet');
      if (!health.credentialsAccepted && !stopped) {
        timer = setTimeout(() => void attempt(), CREDENTIALS_RETRY_MS);
        timer.unref();
      }
    }
  };
  void attempt();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
