/**
 * A real Prometheus scrapes the app's /metrics while a rollout runs: afterwards PromQL finds the
 * promoted rollout in opsbox_rollouts_finished_total, and the canary weights it saw on the way.
 * Needs the prometheus binary (Debian package `prometheus`); CI must have it.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { appCommitsOf, bumpApi, deliverWebhook, FULL_NAME, OWNER, REPO } from '../support/app-harness.js';
import { AppProcess } from '../support/app-process.js';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github/index.js';
import { startFakePrometheus, type FakePrometheus } from '../support/fake-prometheus.js';
import { freePort } from '../support/free-port.js';
import { fastFixture, storedRollouts } from '../support/process-fixture.js';
import { describeWithTool } from '../support/required-tool.js';
import { PROMETHEUS_BIN, prometheusAvailable, startPrometheus, type RunningPrometheus } from '../support/prometheus.js';

const SECRET = 'metrics-webhook-secret';
const CANARY = 'apps/api/canary.yaml';
const WAIT_MS = 45_000;
const available = prometheusAvailable();

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

describeWithTool('the app scraped by a real Prometheus', { available, missing: `${PROMETHEUS_BIN} is missing: apt-get install prometheus, or set PROMETHEUS_BIN` }, () => {
  let github: FakeGitHub;
  let analysisSource: FakePrometheus;
  let prometheus: RunningPrometheus | undefined;
  let app: AppProcess | undefined;
  let dataDir: string;
  let metricsPort: number;

  beforeAll(async () => {
    github = await startFakeGitHub();
    analysisSource = await startFakePrometheus();
    dataDir = await mkdtemp(path.join(tmpdir(), 'opsbox-scraped-'));
    github.createRepo(OWNER, REPO, { files: await fastFixture(analysisSource.url) });
    metricsPort = await freePort();
    app = AppProcess.spawn(
      {
        APP_ID: String(github.app.id),
        PRIVATE_KEY: github.appPrivateKey(),
        WEBHOOK_SECRET: SECRET,
        GHE_HOST: github.host,
        GHE_PROTOCOL: 'http',
        PROMETHEUS_URL: analysisSource.url,
        OPSBOX_PROMETHEUS_ALLOWLIST: analysisSource.url,
        OPSBOX_DATA_DIR: dataDir,
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'warn',
      },
      await freePort(),
    );
    await app.ready();
    prometheus = await startPrometheus({ scrapeTargets: [`127.0.0.1:${metricsPort}`], scrapeInterval: '1s' });
    // the app is a scrape target that is up before the rollout starts
    await until(async () => (await query('up')).some((s) => s.value[1] === '1'), 'Prometheus to scrape the app');
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
    await app?.kill();
    await github?.close();
    await analysisSource?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function query(promql: string): Promise<Sample[]> {
    const response = await fetch(`${prometheus!.url}/api/v1/query?query=${encodeURIComponent(promql)}`, { signal: AbortSignal.timeout(5000) });
    const body = (await response.json()) as { status: string; data?: { result: Sample[] }; error?: string };
    if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
    return body.data!.result;
  }

  async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline) {
      if (await check().catch(() => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`timed out waiting for ${what}:\n${app?.log.slice(-4000)}`);
  }

  it('finds the promoted rollout in opsbox_rollouts_finished_total', async () => {
    const opened = github.openPullRequest(FULL_NAME, {
      head: 'bump-api-v2',
      title: 'Bump api to v2',
      files: { [CANARY]: bumpApi(github.readFile(FULL_NAME, 'main', CANARY)!, 'v2') },
    });
    const merged = github.mergePullRequest(FULL_NAME, opened.number);
    expect(await deliverWebhook({ port: app!.port, secret: SECRET }, 'pull_request', merged.payload)).toBe(200);
    await until(async () => (await storedRollouts(dataDir)).some((s) => s.phase === 'Succeeded' && s.outbox.length === 0), 'the rollout to be promoted');
    expect(appCommitsOf(github)).toHaveLength(3);

    let finished: Sample[] = [];
    await until(async () => {
      finished = await query('opsbox_rollouts_finished_total');
      return finished.length > 0;
    }, 'opsbox_rollouts_finished_total in Prometheus');
    expect(finished.map((s) => ({ ...s.metric, value: s.value[1] }))).toEqual([
      expect.objectContaining({ __name__: 'opsbox_rollouts_finished_total', repository: 'acme/manifests', service: 'api', result: 'promoted', value: '1' }),
    ]);
    // scraped while the rollout ran: the canary was seen carrying traffic
    const [weight] = await query('max_over_time(opsbox_canary_weight{repository="acme/manifests",service="api"}[10m])');
    expect(Number(weight.value[1])).toBeGreaterThanOrEqual(10);
  }, 120_000);
});
