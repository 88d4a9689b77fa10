/**
 * High availability on PostgreSQL, against a throwaway cluster (Debian's `postgresql`):
 * - failover: three app processes, the one driving a rollout killed (SIGKILL) right after a
 *   commit; time from the kill until another replica stores the rollout's next transition;
 * - 1,000 rollouts due at once, driven by 1 and by 3 replicas (engines on a database each, in
 *   this process, GitHub answered by a stub after a fixed latency): wall time until all stepped;
 * - database round trips per weight step (every query the backend sends, leases included);
 * - webhook p99 with the PostgreSQL store against bare Probot (the webhooks benchmark's load);
 * - GitHub write pace: writes of one installation from 3 replicas through the shared pace,
 *   against one replica alone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { serviceSchema } from '../src/config/opsbox.schema.js';
import { RolloutEngine, type EffectExecutor } from '../src/app/engine.js';
import { argoAnalysis } from '../src/rollout/analysis-port.js';
import { newRollout } from '../src/rollout/new-rollout.js';
import type { Effect, EffectResult, RolloutState } from '../src/rollout/types.js';
import { openPostgresBackend, type PostgresBackend } from '../src/state/postgres/backend.js';
import { appCommitsOf, bumpApi, deliverWebhook, FULL_NAME, OWNER, REPO } from '../test/support/app-harness.js';
import { AppProcess } from '../test/support/app-process.js';
import { startCutProxy } from '../test/support/cut-proxy.js';
import { startFakeGitHub } from '../test/support/fake-github/index.js';
import { startFakePrometheus } from '../test/support/fake-prometheus.js';
import { freePort } from '../test/support/free-port.js';
import { nextDatabaseName, postgresTool, startPostgres, type PostgresCluster } from '../test/support/postgres.js';
import { fastFixture } from '../test/support/process-fixture.js';
import type { Benchmark, BenchmarkResult } from './support/benchmark.js';
import { Child } from './support/child.js';
import type { Delivery, FakesInfo } from './support/fakes-child.js';
import { median, max, round } from './support/stats.js';
import { CONNECTIONS, DELIVERIES, FAKES_CHILD, LOAD_CHILD, measureServer, summarize, WARMUP } from './webhooks.js';
import { githubRepoRef } from '../src/forge/github/github-forge.js';

const DUE = 1_000;
const FAILOVER_RUNS = 3;
const FAILOVER_LEASE_SECONDS = 5;
const GITHUB_LATENCY_MS = 20;
const PACED_WRITES = 30;
const PACE_PER_SECOND = 10;
const TARGET_P99_RATIO = 1.5;
const HOUR = 3600_000;
const WEIGHT_10 = 'canary(api): weight 10% → v2';
const SECRET = 'bench-ha-secret';

const serviceConfig = serviceSchema.parse({
  image: 'ghcr.io/acme/api',
  canary: { file: 'canary.yaml' },
  stable: { file: 'stable.yaml' },
  traffic: { provider: 'smi', file: 'split.yaml', stable: 'api-stable', canary: 'api-canary' },
  steps: [{ setWeight: 10 }, { pause: { duration: '1h' } }, { setWeight: 50 }, { pause: { duration: '1h' } }, { setWeight: 100 }],
});

/** GitHub as a stub answering every effect after a fixed latency. */
class StubGitHub implements EffectExecutor {
  effects = 0;
  async execute(_state: RolloutState, effect: Effect): Promise<EffectResult> {
    this.effects += 1;
    await new Promise((resolve) => setTimeout(resolve, GITHUB_LATENCY_MS));
    switch (effect.type) {
      case 'commit':
        return { type: 'commit', sha: String(this.effects).padStart(40, '0') };
      case 'publishStatus':
        return { type: 'publishStatus', statusRef: { forge: 'github', native: { commentId: 1, checkRunId: 2 } } };
      case 'checkSync':
        return { type: 'checkSync', state: 'applied', detail: 'stub' };
      default:
        throw new Error(`the stub does not answer ${effect.type}`);
    }
  }
}

function rollout(i: number, startedAt: number): RolloutState {
  return newRollout(
    {
      id: `acme/manifests#${i}/api`,
      repo: githubRepoRef({ installationId: 1, owner: 'acme', repo: 'manifests', defaultBranch: 'main' }),
      service: 'api',
      serviceConfig,
      from: 'v1',
      to: 'v2',
      source: { number: i, title: 'Bump api', url: `https://github.com/acme/manifests/pull/${i}`, mergeSha: `sha${i}` },
      analyses: {},
      templatePaths: [],
    },
    startedAt,
  );
}

/** Counts every query a backend sends (its pool is shared by the store, the inbox and the leases). */
function countQueries(backend: PostgresBackend): { count: number } {
  const counter = { count: 0 };
  const query = backend.pool.query.bind(backend.pool) as (...args: unknown[]) => unknown;
  (backend.pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    counter.count += 1;
    return query(...args);
  };
  return counter;
}

function engineOn(backend: PostgresBackend, clock: () => number, executor: EffectExecutor): RolloutEngine {
  return new RolloutEngine({ store: backend.store, locks: backend.locks, machine: { analysis: argoAnalysis }, executor, clock, coalesceMs: 0 });
}

/** 1,000 rollouts paused at 10%, their pause over at `dueAt`, in a database used as a template. */
async function prepareDue(cluster: PostgresCluster, log: (line: string) => void): Promise<{ template: string; dueAt: number }> {
  const template = nextDatabaseName('ha_due');
  const backend = await openPostgresBackend({ connectionString: await cluster.createDatabase(template), leaseMs: 30_000 });
  let now = 1_000_000;
  const engine = engineOn(backend, () => now, new StubGitHub());
  log(`ha: storing ${DUE} rollouts at their first pause`);
  for (let i = 0; i < DUE; i += 50) await Promise.all(Array.from({ length: 50 }, (_, k) => engine.create(rollout(i + k, now))));
  now += 31_000; // the sync delay of the 10% commit
  for (let round = 0; round < 20 && (await backend.store.dueIds(now)).length > 0; round++) await engine.tick();
  const { rows } = await backend.pool.query<{ paused: string }>("SELECT count(*) AS paused FROM opsbox_rollouts WHERE state->>'weight' = '10' AND due_at > $1", [now]);
  if (Number(rows[0].paused) !== DUE) throw new Error(`only ${rows[0].paused} of ${DUE} rollouts reached their pause`);
  await backend.close();
  return { template, dueAt: now + HOUR + 1000 };
}

/** Wall time for `replicas` engines to take every due rollout one weight step further. */
async function driveDue(cluster: PostgresCluster, template: string, dueAt: number, replicas: number) {
  const name = nextDatabaseName('ha_run');
  const admin = new pg.Client({ connectionString: cluster.url() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  await admin.end();
  const backends = await Promise.all(
    Array.from({ length: replicas }, (_, i) => openPostgresBackend({ connectionString: cluster.url(name), leaseMs: 30_000, owner: `replica-${i}` })),
  );
  const counters = backends.map(countQueries);
  const executors = backends.map(() => new StubGitHub());
  const engines = backends.map((backend, i) => engineOn(backend, () => dueAt, executors[i]));
  const due = async () => Number((await backends[0].pool.query<{ n: string }>('SELECT count(*) AS n FROM opsbox_rollouts WHERE due_at <= $1', [dueAt])).rows[0].n);
  const started = performance.now();
  await Promise.all(
    engines.map(async (engine) => {
      for (let round = 0; round < 1000 && (await due()) > 0; round++) await engine.tick();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const queries = counters.reduce((sum, counter) => sum + counter.count, 0);
  const { rows } = await backends[0].pool.query<{ stepped: string }>("SELECT count(*) AS stepped FROM opsbox_rollouts WHERE state->>'weight' = '50'");
  const stepped = Number(rows[0].stepped);
  const perReplica = executors.map((executor) => executor.effects);
  await Promise.all(backends.map((backend) => backend.close()));
  return { replicas, seconds: round(seconds, 2), stepped, perSecond: Math.round(stepped / seconds), queriesPerStep: round(queries / stepped, 1), effectsPerReplica: perReplica };
}

/** Three app processes; the driver is killed after its 10% commit; seconds until another replica stores a transition. */
async function failoverOnce(cluster: PostgresCluster): Promise<number> {
  const github = await startFakeGitHub();
  const prometheus = await startFakePrometheus();
  const proxy = await startCutProxy(github.url);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'opsbox-bench-ha-'));
  const url = await cluster.createDatabase(nextDatabaseName('ha_failover'));
  const db = new pg.Pool({ connectionString: url, max: 2 });
  const apps: AppProcess[] = [];
  try {
    github.createRepo(OWNER, REPO, { files: await fastFixture(prometheus.url) });
    for (let i = 0; i < 3; i++) {
      apps.push(
        AppProcess.spawn(
          {
            APP_ID: String(github.app.id),
            PRIVATE_KEY: github.appPrivateKey(),
            WEBHOOK_SECRET: SECRET,
            GHE_HOST: proxy.host,
            GHE_PROTOCOL: 'http',
            PROMETHEUS_URL: prometheus.url,
            OPSBOX_PROMETHEUS_ALLOWLIST: prometheus.url,
            DATABASE_URL: url,
            OPSBOX_LEASE_SECONDS: String(FAILOVER_LEASE_SECONDS),
            OPSBOX_GITHUB_WRITES_PER_SECOND: '100',
            OPSBOX_DATA_DIR: path.join(dataDir, String(i)),
            LOG_LEVEL: 'warn',
          },
          await freePort(),
        ),
      );
    }
    await Promise.all(apps.map((app) => app.ready()));
    let killedAt = 0;
    let version = 0;
    const killed = proxy.cut(
      {
        when: 'after',
        match: (r) => r.method === 'POST' && /\/graphql$/.test(r.path) && r.body?.variables?.input?.message?.headline === WEIGHT_10,
      },
      async () => {
        const leases = await db.query<{ lease_owner: string }>("SELECT lease_owner FROM opsbox_leases WHERE key LIKE 'rollout:%'");
        const pids = leases.rows.map((row) => Number(row.lease_owner.split(':')[1]));
        const driver = apps.find((app) => pids.includes(app.pid));
        if (!driver) throw new Error('no replica holds the rollout');
        version = (await db.query<{ version: number }>('SELECT version FROM opsbox_rollouts')).rows[0].version;
        await driver.kill();
        killedAt = performance.now();
      },
    );
    const opened = github.openPullRequest(FULL_NAME, { head: 'bump', title: 'Bump api to v2', files: { 'apps/api/canary.yaml': bumpApi(github.readFile(FULL_NAME, 'main', 'apps/api/canary.yaml')!, 'v2') } });
    const merged = github.mergePullRequest(FULL_NAME, opened.number);
    await deliverWebhook({ port: apps[0].port, secret: SECRET }, 'pull_request', merged.payload);
    await Promise.race([killed, new Promise((_, reject) => setTimeout(() => reject(new Error('the 10% commit never came')), 60_000))]);
    for (let i = 0; i < 6000; i++) {
      const { rows } = await db.query<{ version: number }>('SELECT version FROM opsbox_rollouts');
      if (rows[0].version > version) return (performance.now() - killedAt) / 1000;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no replica took the rollout over (commits: ${appCommitsOf(github).length})`);
  } finally {
    await Promise.all(apps.map((app) => app.kill()));
    await db.end();
    await proxy.close();
    await github.close();
    await prometheus.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Writes a second of one installation: `replicas` backends writing through the shared pace. */
async function pacedRate(cluster: PostgresCluster, replicas: number): Promise<number> {
  const url = await cluster.createDatabase(nextDatabaseName('ha_pace'));
  const backends = await Promise.all(Array.from({ length: replicas }, () => openPostgresBackend({ connectionString: url, leaseMs: 30_000, writesPerSecond: PACE_PER_SECOND })));
  try {
    const done: number[] = [];
    const started = performance.now();
    await Promise.all(
      backends.map(async (backend) => {
        // each replica writes as fast as the pace lets it, one write after another
        for (let i = 0; i < PACED_WRITES; i++) {
          await backend.writePace.take(1);
          done.push(performance.now());
        }
      }),
    );
    return (done.length - 1) / ((max(done) - started) / 1000);
  } finally {
    await Promise.all(backends.map((backend) => backend.close()));
  }
}

async function webhookP99(cluster: PostgresCluster, log: (line: string) => void) {
  const fakes = Child.start(FAKES_CHILD);
  const loader = Child.start(LOAD_CHILD);
  try {
    const info = await fakes.call<FakesInfo>('start');
    await loader.call('keep', { name: 'warmup', deliveries: await fakes.call<Delivery[]>('prepare', { count: WARMUP / 2 }) });
    await loader.call('keep', { name: 'measured', deliveries: await fakes.call<Delivery[]>('prepare', { count: DELIVERIES / 2 }) });
    log('ha: webhooks, bare Probot');
    const bareFirst = await measureServer('bare', info, loader);
    log('ha: webhooks, OpsBox app on PostgreSQL');
    const url = await cluster.createDatabase(nextDatabaseName('ha_webhooks'));
    const app = summarize([await measureServer('opsbox', info, loader, { DATABASE_URL: url, OPSBOX_GITHUB_WRITES_PER_SECOND: '100' })]);
    log('ha: webhooks, bare Probot again');
    const bare = summarize([bareFirst, await measureServer('bare', info, loader)]);
    return { bare, app, p99Ratio: round(app.p99Ms / bare.p99Ms, 2) };
  } finally {
    await loader.stop();
    await fakes.stop();
  }
}

export const haBenchmark: Benchmark = {
  name: 'ha',
  description: 'PostgreSQL replicas: failover, 1,000 due with 1 and 3 replicas, round trips, webhook p99, write pace',
  async run(log): Promise<BenchmarkResult> {
    const tool = postgresTool();
    if (!tool.available) throw new Error(`ha: ${tool.missing}`);
    const cluster = await startPostgres(tool);
    try {
      const failovers: number[] = [];
      for (let i = 0; i < FAILOVER_RUNS; i++) {
        log(`ha: failover ${i + 1} of ${FAILOVER_RUNS}`);
        failovers.push(await failoverOnce(cluster));
      }
      const { template, dueAt } = await prepareDue(cluster, log);
      log('ha: 1,000 due, 1 replica');
      const one = await driveDue(cluster, template, dueAt, 1);
      log('ha: 1,000 due, 3 replicas');
      const three = await driveDue(cluster, template, dueAt, 3);
      log('ha: write pace');
      const paceOne = await pacedRate(cluster, 1);
      const paceThree = await pacedRate(cluster, 3);
      const webhooks = await webhookP99(cluster, log);
      const figures = {
        failover: { leaseSeconds: FAILOVER_LEASE_SECONDS, seconds: failovers.map((s) => round(s, 2)), medianSeconds: round(median(failovers), 2), maxSeconds: round(max(failovers), 2), targetSeconds: FAILOVER_LEASE_SECONDS + 5 },
        due: { rollouts: DUE, githubLatencyMs: GITHUB_LATENCY_MS, oneReplica: one, threeReplicas: three },
        writePace: { perSecond: PACE_PER_SECOND, oneReplica: round(paceOne, 2), threeReplicas: round(paceThree, 2) },
        webhooks: { bareP99Ms: webhooks.bare.p99Ms, appP99Ms: webhooks.app.p99Ms, p99Ratio: webhooks.p99Ratio, targetP99Ratio: TARGET_P99_RATIO, appPerSecond: webhooks.app.perSecond, barePerSecond: webhooks.bare.perSecond, connections: CONNECTIONS, deliveries: DELIVERIES },
      };
      return {
        figures,
        tables: [
          {
            title: `ha: failover with ${FAILOVER_LEASE_SECONDS} s leases (kill of the driving replica after its 10% commit → next transition stored by another)`,
            head: ['runs', 'median s', 'max s', 'target s'],
            rows: [[FAILOVER_RUNS, figures.failover.medianSeconds, figures.failover.maxSeconds, figures.failover.targetSeconds]],
          },
          {
            title: `ha: ${DUE.toLocaleString('en-US')} rollouts due at once, one weight step each (GitHub stubbed at ${GITHUB_LATENCY_MS} ms an effect)`,
            head: ['replicas', 'wall s', 'steps/s', 'DB round trips per step', 'effects per replica'],
            rows: [one, three].map((r) => [r.replicas, r.seconds, r.perSecond, r.queriesPerStep, r.effectsPerReplica.join(' / ')]),
            notes: ['the replicas are engines in one process, each with its own connection pool and lease owner'],
          },
          {
            title: `ha: GitHub writes of one installation, shared pace ${PACE_PER_SECOND}/s`,
            head: ['replicas', 'writes/s'],
            rows: [
              [1, round(paceOne, 2)],
              [3, round(paceThree, 2)],
            ],
          },
          {
            title: `ha: webhook acknowledgement with the PostgreSQL store, ${DELIVERIES.toLocaleString('en-US')} deliveries at ${CONNECTIONS} connections`,
            head: ['server', 'p50 ms', 'p99 ms', 'deliveries/s'],
            rows: [
              ['bare Probot (2 runs)', webhooks.bare.p50Ms, webhooks.bare.p99Ms, webhooks.bare.perSecond],
              ['OpsBox app, PostgreSQL', webhooks.app.p50Ms, webhooks.app.p99Ms, webhooks.app.perSecond],
              ['app ÷ bare', round(webhooks.app.p50Ms / webhooks.bare.p50Ms, 2), webhooks.p99Ratio, round(webhooks.app.perSecond / webhooks.bare.perSecond, 2)],
            ],
            notes: [`target: p99 within ${TARGET_P99_RATIO}× of bare Probot`],
          },
        ],
      };
    } finally {
      await cluster.stop();
    }
  },
};
