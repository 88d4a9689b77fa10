/**
 * High availability with real processes: three replicas of the app on one PostgreSQL database,
 * behind one fake GitHub. The replica driving a rollout is killed (SIGKILL) at a dangerous edge;
 * another replica takes the rollout over once its lease runs out and finishes it without doing
 * anything twice. A redelivered webhook sent to another replica is refused by the database.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { RolloutState } from '../../src/rollout/types.js';
import { appCommitsOf, bumpApi, deliverWebhook, FULL_NAME, OWNER, REPO, weights } from '../support/app-harness.js';
import { AppProcess } from '../support/app-process.js';
import { startCutProxy, type CutProxy, type CutRule } from '../support/cut-proxy.js';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github/index.js';
import { startFakePrometheus, type FakePrometheus } from '../support/fake-prometheus.js';
import { freePort } from '../support/free-port.js';
import { nextDatabaseName, postgresTool, startPostgres, type PostgresCluster } from '../support/postgres.js';
import { fastFixture } from '../support/process-fixture.js';
import { describeWithTool } from '../support/required-tool.js';

const SECRET = 'replicas-webhook-secret';
const CANARY = 'apps/api/canary.yaml';
const STABLE = 'apps/api/stable.yaml';
const VS = 'apps/api/virtualservice.yaml';
const REPO_PATH = `/repos/${OWNER}/${REPO}`;
const WAIT_MS = 60_000;
const REPLICAS = 3;
const LEASE_SECONDS = 2;

const WEIGHT_10 = 'canary(api): weight 10% → v2';
const WEIGHT_50 = 'canary(api): weight 50% → v2';
const PROMOTE = 'canary(api): promote v2 to stable, weight 0%';
const ROLLBACK = 'canary(api): roll back v2, weight 0% (traffic to stable v1)';

interface Replica {
  app: AppProcess;
  metricsPort: number;
}

const tool = postgresTool();

describeWithTool('three replicas on one PostgreSQL database', tool, () => {
  let cluster: PostgresCluster;
  let github: FakeGitHub;
  let prometheus: FakePrometheus;
  let proxy: CutProxy;
  let url: string;
  let db: pg.Pool;
  let dataDir: string;
  let replicas: Replica[] = [];

  beforeAll(async () => {
    cluster = await startPostgres(tool);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  beforeEach(async () => {
    github = await startFakeGitHub();
    prometheus = await startFakePrometheus();
    proxy = await startCutProxy(github.url);
    dataDir = await mkdtemp(path.join(tmpdir(), 'opsbox-replicas-'));
    github.createRepo(OWNER, REPO, { files: await fastFixture(prometheus.url) });
    url = await cluster.createDatabase(nextDatabaseName('replicas'));
    db = new pg.Pool({ connectionString: url, max: 2 });
    replicas = [];
    // started together: the schema migration runs once under its advisory lock
    for (let i = 0; i < REPLICAS; i++) replicas.push(await spawnReplica(i));
    await Promise.all(replicas.map((replica) => replica.app.ready()));
  });

  afterEach(async () => {
    await Promise.all(replicas.map((replica) => replica.app.kill()));
    await db.end();
    await proxy.close();
    await github.close();
    await prometheus.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function spawnReplica(index: number): Promise<Replica> {
    const metricsPort = await freePort();
    const app = AppProcess.spawn(
      {
        APP_ID: String(github.app.id),
        PRIVATE_KEY: github.appPrivateKey(),
        WEBHOOK_SECRET: SECRET,
        GHE_HOST: proxy.host,
        GHE_PROTOCOL: 'http',
        PROMETHEUS_URL: prometheus.url,
        OPSBOX_PROMETHEUS_ALLOWLIST: prometheus.url,
        DATABASE_URL: url,
        OPSBOX_LEASE_SECONDS: String(LEASE_SECONDS),
        // the shared write pace is measured in the benchmark; here it would only slow the test
        OPSBOX_GITHUB_WRITES_PER_SECOND: '100',
        // never used with a database: a replica that wrote here would show up in the checks below
        OPSBOX_DATA_DIR: path.join(dataDir, `replica-${index}`),
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'info',
      },
      await freePort(),
    );
    return { app, metricsPort };
  }

  async function rollouts(): Promise<RolloutState[]> {
    return (await db.query<{ state: RolloutState }>('SELECT state FROM opsbox_rollouts ORDER BY started_at')).rows.map((row) => row.state);
  }

  /** Kills the replica that holds the rollout's lease now, and returns it. */
  async function killDriver(): Promise<Replica> {
    const { rows } = await db.query<{ lease_owner: string }>("SELECT lease_owner FROM opsbox_leases WHERE key LIKE 'rollout:%'");
    const pids = rows.map((row) => Number(row.lease_owner.split(':')[1]));
    const driver = replicas.find((replica) => replica.app.running && pids.includes(replica.app.pid));
    if (!driver) throw new Error(`no running replica holds a rollout lease (leases: ${JSON.stringify(rows)})`);
    await driver.app.kill();
    return driver;
  }

  async function mergeBump(to: Replica) {
    const opened = github.openPullRequest(FULL_NAME, {
      head: 'bump-api-v2',
      title: 'Bump api to v2',
      files: { [CANARY]: bumpApi(github.readFile(FULL_NAME, 'main', CANARY)!, 'v2') },
    });
    const merged = github.mergePullRequest(FULL_NAME, opened.number);
    expect(await deliverWebhook({ port: to.app.port, secret: SECRET }, 'pull_request', merged.payload)).toBe(200);
    return { number: opened.number as number, mergeSha: merged.mergeCommitSha as string, payload: merged.payload };
  }

  /** Waits (bounded) until every rollout is finished and has no effect left to run. */
  async function finished(): Promise<RolloutState[]> {
    const deadline = Date.now() + WAIT_MS;
    for (let round = 0; Date.now() < deadline && round < WAIT_MS / 200; round++) {
      const states = await rollouts();
      if (states.length > 0 && states.every((s) => ['Succeeded', 'Aborted'].includes(s.phase) && s.outbox.length === 0)) return states;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`the rollout did not finish in ${WAIT_MS} ms:\n${JSON.stringify(await rollouts()).slice(0, 3000)}\n${replicas.map((r) => r.app.log.slice(-3000)).join('\n---\n')}`);
  }

  async function within<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not happen within ${WAIT_MS} ms:\n${replicas.map((r) => r.app.log.slice(-3000)).join('\n---\n')}`)), WAIT_MS);
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  function appCommits(): string[] {
    return appCommitsOf(github).map((entry) => entry.message.split('\n')[0]);
  }

  function refUpdate(when: CutRule['when'], subject: string): CutRule {
    return {
      when,
      match: (r) =>
        r.method === 'POST' &&
        /\/graphql$/.test(r.path) &&
        r.body?.variables?.input?.branch?.branchName === 'main' &&
        r.body?.variables?.input?.message?.headline === subject,
    };
  }

  function expectOneStatusCommentAndCheckRun(pr: { number: number; mergeSha: string }, conclusion: 'success' | 'failure'): string[] {
    const comments = github.comments(FULL_NAME, pr.number).map((c) => String(c.body));
    expect(comments.filter((body) => body.includes('<!-- opsbox:status '))).toHaveLength(1);
    const checks = github.checkRuns(FULL_NAME, { headSha: pr.mergeSha });
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ name: 'opsbox/canary', status: 'completed', conclusion });
    expect(github.unhandled).toEqual([]);
    return comments;
  }

  async function duplicateDeliveries(replica: Replica): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${replica.metricsPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('opsbox_webhook_deliveries_total{') && l.includes('outcome="duplicate"') && l.includes('event="pull_request"'));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  it('finishes a rollout whose driver was killed right after its 50% commit request, with every effect once; a redelivery to another replica does nothing', async () => {
    const killed = proxy.cut(refUpdate('after', WEIGHT_50), async () => {
      await killDriver();
    });
    const pr = await mergeBump(replicas[0]);
    await within(killed, 'the kill after the 50% commit');
    expect(replicas.filter((replica) => replica.app.running)).toHaveLength(REPLICAS - 1);

    const [rollout] = await finished();
    expect(rollout.phase).toBe('Succeeded');
    expect(appCommits()).toEqual([WEIGHT_10, WEIGHT_50, PROMOTE]);
    expect(github.readFile(FULL_NAME, 'main', STABLE)).toContain('image: ghcr.io/acme/api:v2');
    expect(weights(github.readFile(FULL_NAME, 'main', VS)!)).toEqual([100, 0]);
    expect(expectOneStatusCommentAndCheckRun(pr, 'success')).toHaveLength(1);
    expect(github.pullRequests(FULL_NAME)).toHaveLength(1);

    // GitHub redelivers the merge to a replica that never saw it: the claim row refuses it
    const other = replicas.find((replica) => replica.app.running && replica !== replicas[0]) ?? replicas.find((replica) => replica.app.running)!;
    expect(await deliverWebhook({ port: other.app.port, secret: SECRET }, 'pull_request', pr.payload)).toBe(200);
    expect(await duplicateDeliveries(other)).toBe(1);
    expect(await rollouts()).toHaveLength(1);
    expect(appCommits()).toEqual([WEIGHT_10, WEIGHT_50, PROMOTE]);
    // the merge claim is finished and no replica holds a lease any more
    expect((await db.query('SELECT key FROM opsbox_claims WHERE done_at IS NULL')).rows).toEqual([]);
    expect((await db.query('SELECT key FROM opsbox_leases')).rows).toEqual([]);
  }, 120_000);

  it('leaves one revert pull request when the driver of a failing rollout is killed as it opens it', async () => {
    prometheus.answer([0.2]);
    const killed = proxy.cut({ when: 'after', match: (r) => r.method === 'POST' && r.path === `${REPO_PATH}/pulls` }, async () => {
      await killDriver();
    });
    const pr = await mergeBump(replicas[1]);
    await within(killed, 'the kill after the revert pull request was opened');

    const [rollout] = await finished();
    expect(rollout.phase).toBe('Aborted');
    expect(appCommits()).toEqual([WEIGHT_10, ROLLBACK]);
    const reverts = github.pullRequests(FULL_NAME).filter((p) => p.number !== pr.number);
    expect(reverts).toHaveLength(1);
    expect(reverts[0]).toMatchObject({ state: 'open', head: { ref: 'opsbox/revert/api-v2' } });
    expect(rollout.revert?.thread?.number).toBe(reverts[0].number);
    const comments = expectOneStatusCommentAndCheckRun(pr, 'failure');
    expect(comments.filter((body) => body.includes('<!-- opsbox:failure '))).toHaveLength(1);
  }, 120_000);
});
