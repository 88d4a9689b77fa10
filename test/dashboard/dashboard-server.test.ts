import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { serviceSchema } from '../../src/config/opsbox.schema.js';
import { dashboardAuthFromEnv } from '../../src/dashboard/auth.js';
import { createDashboard } from '../../src/dashboard/dashboard.js';
import type { RolloutDetailJson, RolloutListJson } from '../../src/dashboard/rollout-json.js';
import { OpsboxMetrics } from '../../src/metrics/metrics.js';
import { startMetricsServer, type MetricsServer } from '../../src/ops/metrics-server.js';
import { newRollout } from '../../src/rollout/new-rollout.js';
import type { RolloutPhase, RolloutState } from '../../src/rollout/types.js';
import { AppHarness, bumpApi } from '../support/app-harness.js';
import { MemoryStore } from '../support/memory-store.js';
import { githubRepoRef } from '../../src/forge/github/github-forge.js';

const CANARY = 'apps/api/canary.yaml';
const XSS = '<img src=x onerror=alert(1)>';

const serviceConfig = serviceSchema.parse({
  image: 'ghcr.io/acme/api',
  canary: { file: 'canary.yaml' },
  stable: { file: 'stable.yaml' },
  traffic: { provider: 'smi', file: 'split.yaml', stable: 'api-stable', canary: 'api-canary' },
  steps: [{ setWeight: 10 }, { setWeight: 50 }],
});

function stateOf(id: string, repo: string, service: string, phase: RolloutPhase, startedAt: number, title = 'Bump'): RolloutState {
  const [owner, name] = repo.split('/');
  const state = newRollout(
    {
      id,
      repo: githubRepoRef({ installationId: 1, owner, repo: name, defaultBranch: 'main' }),
      service,
      serviceConfig,
      from: 'v1',
      to: 'v2',
      source: { number: 7, title, url: `https://github.com/${repo}/pull/7`, mergeSha: 'abc' },
      analyses: {},
      templatePaths: [],
    },
    startedAt,
  );
  state.phase = phase;
  if (['Succeeded', 'Aborted', 'Superseded'].includes(phase)) state.finishedAt = startedAt + 60_000;
  return state;
}

async function serveDashboard(store: MemoryStore | AppHarness['runtime']['store'], env: Record<string, string> = {}, clock?: () => number) {
  const dashboard = createDashboard({ store, serverUrl: 'https://github.com', auth: dashboardAuthFromEnv(env), clock });
  return startMetricsServer(new OpsboxMetrics(() => [], { processMetrics: false }), { port: 0, host: '127.0.0.1', dashboard });
}

describe('dashboard server on the metrics port', () => {
  let server: MetricsServer | undefined;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${server!.port}${path}`, { headers });

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('lists active rollouts first and filters by repository, service, phase and time', async () => {
    const store = new MemoryStore();
    const now = Date.parse('2026-11-26T12:00:00Z');
    store.write(stateOf('a', 'acme/manifests', 'api', 'Aborted', now - 30 * 60_000), 0);
    store.write(stateOf('b', 'acme/manifests', 'web', 'Progressing', now - 90 * 60_000), 0);
    store.write(stateOf('c', 'acme/other', 'api', 'Succeeded', now - 5 * 86_400_000), 0);
    server = await serveDashboard(store, {}, () => now);

    const all = (await (await get('/api/rollouts')).json()) as RolloutListJson;
    expect(all.rollouts.map((r) => r.id)).toEqual(['b', 'a', 'c']);
    expect(all.rollouts[0]).toMatchObject({ repository: 'acme/manifests', service: 'web', phase: 'Progressing', active: true, weight: 0, step: { number: 1, total: 2 } });
    const ids = async (query: string) => ((await (await get(`/api/rollouts?${query}`)).json()) as RolloutListJson).rollouts.map((r) => r.id);
    expect(await ids('repository=acme/other')).toEqual(['c']);
    expect(await ids('service=api')).toEqual(['a', 'c']);
    expect(await ids('phase=Aborted,Succeeded')).toEqual(['a', 'c']);
    expect(await ids('since=1h')).toEqual(['b', 'a']);
    expect(await ids('limit=1&offset=1')).toEqual(['a']);

    const html = await (await get('/?phase=Aborted')).text();
    expect(html).toContain('data-id="a"');
    expect(html).not.toContain('data-id="b"');
    expect(html).toMatch(/<option value="Aborted" selected>/);

    const bad = await get('/api/rollouts?phase=Exploded');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('Progressing, Paused');
  });

  it('escapes pull request titles in the HTML and forbids inline scripts', async () => {
    const store = new MemoryStore();
    store.write(stateOf('x', 'acme/manifests', 'api', 'Progressing', 1000, XSS), 0);
    server = await serveDashboard(store);
    for (const path of ['/', `/rollouts/x`]) {
      const response = await get(path);
      const html = await response.text();
      expect(html).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
      expect(html).not.toContain(XSS);
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    }
  });

  it('guards the dashboard with OPSBOX_DASHBOARD_AUTH but leaves /metrics open', async () => {
    const store = new MemoryStore();
    store.write(stateOf('x', 'acme/manifests', 'api', 'Progressing', 1000), 0);
    server = await serveDashboard(store, { OPSBOX_DASHBOARD_AUTH: 'ops:s3cret' });
    const basic = `Basic ${Buffer.from('ops:s3cret').toString('base64')}`;
    for (const path of ['/', '/rollouts/x', '/api/rollouts', '/api/rollouts/x']) {
      const refused = await get(path);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain('Basic');
      expect((await get(path, { authorization: `Basic ${Buffer.from('ops:wrong').toString('base64')}` })).status).toBe(401);
      expect((await get(path, { authorization: basic })).status).toBe(200);
    }
    expect((await get('/metrics')).status).toBe(200);
    await server.close();

    server = await serveDashboard(store, { OPSBOX_DASHBOARD_AUTH: 'token-123' });
    expect((await get('/api/rollouts')).status).toBe(401);
    expect((await get('/api/rollouts', { authorization: 'Bearer token-124' })).status).toBe(401);
    expect((await get('/api/rollouts', { authorization: 'Bearer token-123' })).status).toBe(200);
    expect((await get('/metrics')).status).toBe(200);
  });

  it('is read-only and answers 404 for an unknown rollout', async () => {
    server = await serveDashboard(new MemoryStore());
    const post = await fetch(`http://127.0.0.1:${server.port}/api/rollouts/x`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect((await get('/api/rollouts/nope')).status).toBe(404);
    expect((await get('/elsewhere')).status).toBe(404);
  });

  it('rejects a malformed OPSBOX_DASHBOARD_AUTH with what to set', () => {
    expect(() => dashboardAuthFromEnv({ OPSBOX_DASHBOARD_AUTH: 'ops:' })).toThrow(/user:password/);
  });
});

describe('dashboard of a real rollout', () => {
  let h: AppHarness;
  let server: MetricsServer;
  const get = (path: string) => fetch(`http://127.0.0.1:${server.port}${path}`);

  beforeAll(async () => {
    h = await AppHarness.start();
    server = await serveDashboard(h.runtime.store, {}, () => h.now);
  });

  afterAll(async () => {
    await server.close();
    await h.close();
  });

  it('shows a failed rollout with its failing measurement, chart, history and revert pull request', async () => {
    h.prometheus.answer([0.01]);
    await h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), 'v2') }, { title: 'Bump api to v2' });
    const running = (await (await get('/api/rollouts')).json()) as RolloutListJson;
    expect(running.rollouts[0]).toMatchObject({ service: 'api', phase: 'Progressing', weight: 10, active: true });
    expect(running.rollouts[0].links.statusComment).toMatch(/#issuecomment-\d+$/);

    await h.advance(30_000, 2);
    h.prometheus.answer([0.2]);
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Aborted', 30_000);
    const [listed] = ((await (await get('/api/rollouts')).json()) as RolloutListJson).rollouts;
    expect(listed.links.revertPullRequest).toMatch(/\/pull\/\d+$/);

    const detail = (await (await get(`/api/rollouts/${encodeURIComponent(listed.id)}`)).json()) as RolloutDetailJson;
    expect(detail.phase).toBe('Aborted');
    expect(detail.steps[0]).toMatchObject({ number: 1, weight: 10 });
    expect(detail.steps[0].commit?.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(detail.failure?.metrics.length).toBeGreaterThan(0);
    const failing = detail.failure!.metrics[0];
    expect(failing.measurements.at(-1)).toMatchObject({ value: '[0.2]', verdict: 'Failed' });
    expect(detail.commits.map((c) => c.kind)).toEqual(['weight', 'rollback']);

    const html = await (await get(listed.links.dashboard)).text();
    expect(html).toContain('id="failure"');
    expect(html).toContain(`href="${listed.links.revertPullRequest}"`);
    expect(html).toContain('<polyline class="series"');
    expect(html).toContain('class="threshold"');
  });
});
