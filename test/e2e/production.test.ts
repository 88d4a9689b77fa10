/**
 * The app as a production process (`serve()`, as `npm start` runs it): its probes, `/metrics` on a
 * port of its own, one JSON log line per rollout transition with no secret in any line, and the
 * webhook deliveries missed while no process ran, asked for again at start.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { appCommitsOf, bumpApi, deliverWebhook, FULL_NAME, OWNER, REPO } from '../support/app-harness.js';
import { AppProcess } from '../support/app-process.js';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github/index.js';
import { startFakePrometheus, type FakePrometheus } from '../support/fake-prometheus.js';
import { freePort } from '../support/free-port.js';
import { fastFixture, storedRollouts } from '../support/process-fixture.js';

const SECRET = 'production-webhook-secret-3f9a';
const PROMETHEUS_TOKEN = 'prometheus-bearer-token-77c1';
const CANARY = 'apps/api/canary.yaml';
const WAIT_MS = 30_000;
const PROMOTED = ['canary(api): weight 10% → v2', 'canary(api): weight 50% → v2', 'canary(api): promote v2 to stable, weight 0%'];

describe('the app as a production process', () => {
  let github: FakeGitHub;
  let prometheus: FakePrometheus;
  let dataDir: string;
  /** The fake GitHub's clock: real time unless a test moves it back. */
  let clockOffsetMs = 0;
  const started: AppProcess[] = [];

  beforeEach(async () => {
    clockOffsetMs = 0;
    github = await startFakeGitHub({ clock: () => new Date(Date.now() - clockOffsetMs) });
    prometheus = await startFakePrometheus();
    dataDir = await mkdtemp(path.join(tmpdir(), 'opsbox-production-'));
    github.createRepo(OWNER, REPO, { files: await fastFixture(prometheus.url) });
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((child) => child.kill()));
    await github.close();
    await prometheus.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  function spawnApp(port: number, extra: Record<string, string> = {}): AppProcess {
    const app = AppProcess.spawn(
      {
        APP_ID: String(github.app.id),
        PRIVATE_KEY: github.appPrivateKey(),
        WEBHOOK_SECRET: SECRET,
        GHE_HOST: github.host,
        GHE_PROTOCOL: 'http',
        PROMETHEUS_URL: prometheus.url,
        PROMETHEUS_BEARER_TOKEN: PROMETHEUS_TOKEN,
        OPSBOX_PROMETHEUS_ALLOWLIST: prometheus.url,
        OPSBOX_DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        ...extra,
      },
      port,
    );
    started.push(app);
    return app;
  }

  function mergeBump() {
    const opened = github.openPullRequest(FULL_NAME, {
      head: 'bump-api-v2',
      title: 'Bump api to v2',
      files: { [CANARY]: bumpApi(github.readFile(FULL_NAME, 'main', CANARY)!, 'v2') },
    });
    return { number: opened.number as number, merged: github.mergePullRequest(FULL_NAME, opened.number) };
  }

  async function promoted(app: AppProcess) {
    await until(async () => (await storedRollouts(dataDir)).some((s) => s.phase === 'Succeeded' && s.outbox.length === 0), 'the rollout to be promoted', app);
    expect(appCommitsOf(github).map((c) => c.message.split('\n')[0])).toEqual(PROMOTED);
  }

  it('answers its probes, exposes the metrics of a promoted rollout, and logs each transition as JSON without secrets', async () => {
    const metricsPort = await freePort();
    const app = spawnApp(await freePort(), { METRICS_PORT: String(metricsPort) });
    await app.ready();
    expect((await get(`http://127.0.0.1:${app.port}/healthz`)).status).toBe(200);
    // ready once the store is open and GitHub accepted the credentials (GET /app with the app's JWT)
    await until(async () => (await get(`http://127.0.0.1:${app.port}/readyz`)).status === 200, '/readyz to answer 200', app);
    expect(github.requests.some((r) => r.method === 'GET' && r.path === '/app' && r.status === 200)).toBe(true);

    const { merged } = mergeBump();
    expect(await deliverWebhook({ port: app.port, secret: SECRET }, 'pull_request', merged.payload)).toBe(200);
    await promoted(app);

    const metrics = await get(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    const sample = (name: string, labels: string) => metricValue(metrics.body, name, labels);
    expect(sample('opsbox_rollouts_finished_total', 'repository="acme/manifests",service="api",result="promoted"')).toBe(1);
    expect(sample('opsbox_rollouts', 'phase="Succeeded"')).toBe(1);
    expect(sample('opsbox_rollouts', 'phase="Progressing"')).toBe(0);
    expect(sample('opsbox_canary_status', 'repository="acme/manifests",service="api"')).toBe(1);
    expect(sample('opsbox_canary_weight', 'repository="acme/manifests",service="api"')).toBe(0);
    expect(sample('opsbox_rollout_duration_seconds_count', 'result="promoted"')).toBe(1);
    // 10%, analysis, 50%, pause, analysis: every step of the fixture ended once
    expect(sample('opsbox_step_duration_seconds_count', 'kind="setWeight"')).toBe(2);
    expect(sample('opsbox_step_duration_seconds_count', 'kind="analysis"')).toBe(2);
    expect(sample('opsbox_analysis_measurements_total', 'template="error-rate",metric="error-rate",phase="Successful"')).toBeGreaterThanOrEqual(4);
    expect(sample('opsbox_webhook_deliveries_total', 'event="pull_request",outcome="claimed"')).toBe(1);
    expect(sample('opsbox_effect_duration_seconds_count', 'effect="commit"')).toBe(3);
    // every request the app made (installation token exchanges included), as GitHub counted reads and writes
    expect(sumOf(metrics.body, 'opsbox_github_requests_total', 'kind="write"')).toBe(github.requests.filter((r) => r.write).length);
    expect(sumOf(metrics.body, 'opsbox_github_requests_total', 'kind="read"')).toBe(github.requests.filter((r) => r.read).length);
    expect(metrics.body).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(metrics.body).toMatch(/^nodejs_eventloop_lag_seconds /m);
    // the webhook port does not serve metrics
    expect((await get(`http://127.0.0.1:${app.port}/metrics`)).status).toBe(404);

    const lines = app.log.split('\n').filter((line) => line.trim() !== '');
    const transitions = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === 'rollout transition');
    expect(transitions.length).toBeGreaterThan(5);
    for (const entry of transitions) {
      expect(entry).toMatchObject({ repository: 'acme/manifests', service: 'api', fromVersion: 'v1', toVersion: 'v2' });
      for (const key of ['rollout', 'event', 'phaseBefore', 'phase', 'step', 'weight']) expect(entry).toHaveProperty(key);
    }
    expect(transitions[0]).toMatchObject({ event: 'start', phaseBefore: 'Progressing', phase: 'Progressing', step: 0 });
    expect(transitions.at(-1)).toMatchObject({ phase: 'Succeeded' });
    expect(transitions.some((t) => t.event === 'effectDone:commit' && t.phaseBefore === 'Promoting' && t.phase === 'Succeeded')).toBe(true);

    // no secret in any line: the webhook secret, the private key, the Prometheus token, GitHub tokens and JWTs
    const keyBody = github.appPrivateKey().split('\n').filter((line) => line.length > 40);
    for (const secret of [SECRET, PROMETHEUS_TOKEN, ...keyBody]) expect(app.log).not.toContain(secret);
    expect(app.log).not.toMatch(/ghs_[0-9a-f]{20,}/);
    expect(app.log).not.toMatch(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}/);
  }, 60_000);

  it('asks GitHub at start to redeliver the deliveries of the last 24 h that never reached it', async () => {
    const port = await freePort();
    const { number, merged } = mergeBump();
    // 25 hours ago, while nothing listened: too old to ask for
    clockOffsetMs = 25 * 3600 * 1000;
    const old = await github.deliverWebhook('issue_comment', github.createComment(FULL_NAME, number, 'an old remark').payload);
    clockOffsetMs = 0;
    // delivered at the time (another process of the app answered it)
    const answered = await withServerAnswering(200, async (url) => {
      github.setWebhook({ url, secret: SECRET });
      return github.deliverWebhook('issue_comment', github.createComment(FULL_NAME, number, 'a remark').payload);
    });
    // the merge, while no process ran
    github.setWebhook({ url: `http://127.0.0.1:${port}/api/github/webhooks`, secret: SECRET });
    const missed = await github.deliverWebhook('pull_request', merged.payload);
    expect([old.statusCode, answered.statusCode, missed.statusCode]).toEqual([0, 200, 0]);

    const app = spawnApp(port);
    await app.ready();
    await promoted(app);

    await github.webhooksSettled();
    const attempts = (guid: string) => github.hookDeliveries().filter((d) => d.guid === guid);
    expect(attempts(missed.guid).map((d) => [d.redelivery, d.statusCode])).toEqual([
      [false, 0],
      [true, 200],
    ]);
    expect(attempts(answered.guid)).toHaveLength(1);
    expect(attempts(old.guid)).toHaveLength(1);
    expect(github.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/app/hook/deliveries/')).map((r) => r.path)).toEqual([
      `/app/hook/deliveries/${missed.id}/attempts`,
    ]);
  }, 60_000);

  async function until(check: () => Promise<boolean>, what: string, app: AppProcess): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline) {
      if (await check()) return;
      if (!app.running) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting for ${what}:\n${app.log.slice(-5000)}`);
  }
});

async function get(url: string): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: response.status, body: await response.text() };
  } catch {
    return { status: 0, body: '' };
  }
}

/** The value of one sample (`name{labels} value`) of the exposition text; undefined when absent. */
function metricValue(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The sum of every sample of `name` whose labels contain `labels`. */
function sumOf(text: string, name: string, labels: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(labels))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** Runs `work` while a loopback server answers every request with `status`. */
async function withServerAnswering<T>(status: number, work: (url: string) => Promise<T>): Promise<T> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(status).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await work(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

