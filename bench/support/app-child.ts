/**
 * A Probot server in a process of its own, driven by a benchmark over IPC: the OpsBox app (started
 * like `npm start`, with the runtime reachable for ticks and measurements) or a bare Probot app that
 * registers the same events and does nothing.
 */
import { performance } from 'node:perf_hooks';
import { ProbotOctokit, run, type ApplicationFunction, type Probot } from 'probot';
import { createOpsboxApp } from '../../src/index.js';
import type { Runtime } from '../../src/app/runtime.js';
import { OpsboxMetrics } from '../../src/metrics/metrics.js';
import { rolloutMetrics } from '../../src/metrics/rollout-metrics.js';
import { observers, transitionLog } from '../../src/ops/transition-log.js';
import { serve } from './child.js';

export interface StartArgs {
  kind: 'opsbox' | 'bare';
  env: Record<string, string>;
  /** A clock the benchmark sets (and no cron scheduler); the real clock and scheduler otherwise. */
  manualClock?: number;
}

export interface CpuAndWall {
  wallMs: number;
  cpuMs: number;
}

let runtime: Runtime | undefined;
let now = Date.now();

/** Events the OpsBox app handles; the bare app registers the same. */
export const APP_EVENTS = ['pull_request.closed', 'issue_comment.created'] as const;

function bareApp(app: Probot): void {
  app.on([...APP_EVENTS], async () => undefined);
}

async function measured(work: () => Promise<unknown>): Promise<CpuAndWall> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await work();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

function engine(): Runtime {
  if (!runtime) throw new Error('the OpsBox app is not running in this process');
  return runtime;
}

serve({
  async start(args: StartArgs) {
    const manual = args.manualClock !== undefined;
    if (manual) now = args.manualClock!;
    // as in production (src/serve.ts): the metrics and the transition log watch the engine
    const metrics = new OpsboxMetrics(() => runtime?.store.states() ?? []);
    const appFn: ApplicationFunction =
      args.kind === 'bare'
        ? bareApp
        : (app, options) => createOpsboxApp({
            env: args.env,
            dataDir: args.env.OPSBOX_DATA_DIR,
            clock: manual ? () => now : undefined,
            schedule: !manual,
            onRuntime: (created) => {
              runtime = created;
            },
            observer: observers(rolloutMetrics(metrics), transitionLog(app.log)),
            onDelivery: (event, outcome) => metrics.webhookDeliveries.inc({ event, outcome }),
          })(app, options);
    const server = await run(appFn, {
      env: args.env as NodeJS.ProcessEnv,
      // Octokit's write throttle would pace the app's background work; off, that work is as heavy as it gets.
      Octokit: ProbotOctokit.defaults((options: Record<string, unknown>) => ({
        ...options,
        retry: { enabled: false },
        throttle: { enabled: false },
      })) as typeof ProbotOctokit,
    });
    return { port: server.port };
  },

  cpu() {
    return process.cpuUsage();
  },

  setNow(args: { now: number }) {
    now = args.now;
  },

  /** One scheduler tick, as the cron job runs it. */
  tick: () => measured(() => engine().engine.tick()),

  /** One tick and everything it set off, until the app is idle. */
  tickUntilIdle: () =>
    measured(async () => {
      await engine().engine.tick();
      await engine().idle();
    }),

  async rollouts() {
    const all = await engine().store.list();
    const phases: Record<string, number> = {};
    for (const rollout of all) phases[rollout.phase] = (phases[rollout.phase] ?? 0) + 1;
    return { count: all.length, phases };
  },

  /** Ends the process normally (so a `--cpu-prof` profile gets written). */
  exit() {
    setImmediate(() => process.exit(0));
  },

  memory() {
    for (let i = 0; i < 3; i++) globalThis.gc?.();
    const usage = process.memoryUsage();
    return { rssMiB: usage.rss / 2 ** 20, heapUsedMiB: usage.heapUsed / 2 ** 20 };
  },
});
