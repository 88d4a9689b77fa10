/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core). Under CI these
 * tests fail when the browser cannot start; elsewhere they are skipped only if Chromium is absent.
 * `OPSBOX_SCREENSHOTS=docs` also saves the README's screenshots.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import path from 'node:path';
import { serviceSchema } from '../../src/config/opsbox.schema.js';
import { createDashboard } from '../../src/dashboard/dashboard.js';
import { OpsboxMetrics } from '../../src/metrics/metrics.js';
import { startMetricsServer, type MetricsServer } from '../../src/ops/metrics-server.js';
import { newRollout } from '../../src/rollout/new-rollout.js';
import type { RolloutPhase, RolloutState } from '../../src/rollout/types.js';
import type { RolloutStore } from '../../src/state/store.js';
import { AppHarness, bumpApi } from '../support/app-harness.js';
import { chromiumTool, launchChromium, type Browser } from '../support/browser.js';
import { describeWithTool } from '../support/required-tool.js';
import { MemoryStore } from '../support/memory-store.js';
import { githubRepoRef } from '../../src/forge/github/github-forge.js';

jest.setTimeout(90_000);

const CANARY = 'apps/api/canary.yaml';
const XSS = '<img src=x onerror=alert(1)>';
/** Longer than a few polls of the page (every 3 s). */
const LIVE_WAIT_MS = 20_000;
const screenshotDir = process.env.OPSBOX_SCREENSHOTS;

const serviceConfig = serviceSchema.parse({
  image: 'ghcr.io/acme/api',
  canary: { file: 'canary.yaml' },
  stable: { file: 'stable.yaml' },
  traffic: { provider: 'smi', file: 'split.yaml', stable: 'api-stable', canary: 'api-canary' },
  steps: [{ setWeight: 10 }, { setWeight: 50 }],
});

function stateOf(id: string, repo: string, service: string, phase: RolloutPhase, startedAt: number, title = `Bump ${service} to v2`): RolloutState {
  const [owner, name] = repo.split('/');
  const state = newRollout(
    {
      id,
      repo: githubRepoRef({ installationId: 1, owner, repo: name, defaultBranch: 'main' }),
      service,
      serviceConfig,
      from: 'v1.4.2',
      to: 'v1.5.0',
      source: { number: 40 + id.length, title, url: `https://github.com/${repo}/pull/${40 + id.length}`, mergeSha: 'abc' },
      analyses: {},
      templatePaths: [],
    },
    startedAt,
  );
  state.phase = phase;
  state.weight = phase === 'Succeeded' ? 100 : phase === 'Progressing' ? 50 : 0;
  if (phase === 'Progressing') state.stepIndex = 1;
  if (['Succeeded', 'Aborted', 'Superseded'].includes(phase)) state.finishedAt = startedAt + 20 * 60_000;
  return state;
}

async function serve(store: Pick<RolloutStore, 'get' | 'listRollouts'>, clock?: () => number): Promise<MetricsServer> {
  const dashboard = createDashboard({ store, serverUrl: 'https://github.com', clock });
  return startMetricsServer(new OpsboxMetrics(() => [], { processMetrics: false }), { port: 0, host: '127.0.0.1', dashboard });
}

describeWithTool('dashboard in Chromium', chromiumTool, () => {
  let browser: Browser;
  let server: MetricsServer | undefined;
  let harness: AppHarness | undefined;
  const url = (p: string) => `http://127.0.0.1:${server!.port}${p}`;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await harness?.close();
    harness = undefined;
  });

  it('shows a rollout in progress on an open page after its first commit, and its weight live', async () => {
    harness = await AppHarness.start();
    const h = harness;
    server = await serve(h.runtime.store, () => h.now);
    const page = await browser.context.newPage();
    await page.goto(url('/'));
    expect(await page.locator('#rows tr').count()).toBe(0);
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    h.prometheus.answer([0.01]);
    await h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), 'v2') }, { title: 'Bump api to v2' });
    const row = page.locator('#rows tr[data-id]');
    await row.waitFor({ timeout: LIVE_WAIT_MS });
    await expect(row.locator('[data-field="weight"]').textContent()).resolves.toBe('10%');
    expect(await row.locator('[data-field="service"]').textContent()).toContain('api');
    await row.evaluate((element) => {
      (element as unknown as { marked: boolean }).marked = true;
    });

    await h.advanceUntil(async () => (await h.rollouts())[0].weight === 50, 30_000);
    await page.waitForFunction(() => document.querySelector('#rows tr [data-field="weight"]')?.textContent === '50%', undefined, { timeout: LIVE_WAIT_MS });
    // the same row element and the same document: updated in place, not re-rendered or reloaded
    expect(await row.evaluate((element) => (element as unknown as { marked?: boolean }).marked)).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await page.close();
  });

  it('updates an open detail page in place when the rollout moves on', async () => {
    harness = await AppHarness.start();
    const h = harness;
    server = await serve(h.runtime.store, () => h.now);
    h.prometheus.answer([0.01]);
    await h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), 'v2') }, { title: 'Bump api to v2' });
    const [state] = await h.rollouts();
    const page = await browser.context.newPage();
    await page.goto(url(`/rollouts/${encodeURIComponent(state.id)}`));
    expect(await page.locator('#weight').textContent()).toBe('10%');
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    await h.advanceUntil(async () => (await h.rollouts())[0].weight === 50, 30_000);
    await page.waitForFunction(() => document.getElementById('weight')?.textContent === '50%', undefined, { timeout: LIVE_WAIT_MS });
    expect(await page.locator('tr.verdict-Successful').count()).toBeGreaterThan(0);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await page.close();
  });

  it('shows a failed rollout with its failing measurement and the revert pull request link', async () => {
    harness = await AppHarness.start();
    const h = harness;
    server = await serve(h.runtime.store, () => h.now);
    h.prometheus.answer([0.01]);
    await h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), 'v2') }, { title: 'Bump api to v2' });
    await h.advance(30_000, 2);
    h.prometheus.answer([0.2]);
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Aborted', 30_000);
    const [state] = await h.rollouts();

    const page = await browser.context.newPage();
    await page.goto(url('/'));
    const link = page.locator('#rows tr [data-field="links"] a', { hasText: 'revert PR' });
    expect(await link.getAttribute('href')).toBe(state.revert!.url);
    await page.locator('#rows tr [data-field="service"] a').click();
    await page.waitForURL(/\/rollouts\//);

    const failure = page.locator('#failure');
    expect(await failure.isVisible()).toBe(true);
    const evidence = await failure.locator('.failing-metric').first().textContent();
    expect(evidence).toContain('[0.2]');
    expect(evidence).toContain('Failed');
    expect(await page.locator('a.revert-link').getAttribute('href')).toBe(state.revert!.url);
    expect(await page.locator('svg.chart polyline.series').count()).toBeGreaterThan(0);
    expect(await page.locator('tr.verdict-Failed').count()).toBeGreaterThan(0);
    if (screenshotDir) {
      await page.setViewportSize({ width: 1200, height: 1250 });
      await page.screenshot({ path: path.join(screenshotDir, 'dashboard-detail.png') });
    }
    await page.close();
  });

  it('filters by phase, repository and service from the form', async () => {
    const store = new MemoryStore();
    const now = Date.parse('2026-11-26T12:00:00Z');
    const rows: [string, string, string, RolloutPhase, number][] = [
      ['r1', 'acme/payments', 'checkout', 'Progressing', 12],
      ['r2', 'acme/payments', 'ledger', 'Paused', 40],
      ['r3', 'acme/storefront', 'web', 'Progressing', 5],
      ['r4', 'acme/storefront', 'search', 'Aborted', 70],
      ['r5', 'acme/payments', 'checkout', 'Succeeded', 180],
      ['r6', 'acme/identity', 'auth', 'Succeeded', 300],
    ];
    for (const [id, repo, service, phase, minutesAgo] of rows) store.write(stateOf(id, repo, service, phase, now - minutesAgo * 60_000), 0);
    server = await serve(store, () => now);
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1200, height: 640 });
    await page.goto(url('/'));
    const ids = () => page.locator('#rows tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
    expect(await ids()).toEqual(['r3', 'r1', 'r2', 'r4', 'r5', 'r6']);
    if (screenshotDir) await page.screenshot({ path: path.join(screenshotDir, 'dashboard-list.png') });

    await page.selectOption('select[name="phase"]', 'Succeeded');
    await Promise.all([page.waitForURL(/phase=Succeeded/), page.click('button[type="submit"]')]);
    expect(await ids()).toEqual(['r5', 'r6']);

    await page.fill('input[name="repository"]', 'acme/payments');
    await Promise.all([page.waitForURL(/repository=acme%2Fpayments/), page.click('button[type="submit"]')]);
    expect(await ids()).toEqual(['r5']);

    await page.goto(url('/?service=checkout'));
    expect(await ids()).toEqual(['r1', 'r5']);
    await page.close();
  });

  it('renders a pull request titled like an HTML tag as text, and no script runs', async () => {
    const store = new MemoryStore();
    store.write(stateOf('first', 'acme/manifests', 'api', 'Progressing', 1000, XSS), 0);
    server = await serve(store);
    const page = await browser.context.newPage();
    const dialogs: string[] = [];
    const errors: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => errors.push(message.text()));

    await page.goto(url('/'));
    // a second one arrives by polling, so the page's own script renders it too
    store.write(stateOf('second', 'acme/manifests', 'web', 'Progressing', 2000, XSS), 0);
    await page.locator('#rows tr[data-id="second"]').waitFor({ timeout: LIVE_WAIT_MS });
    for (const id of ['first', 'second']) {
      expect(await page.locator(`#rows tr[data-id="${id}"] [data-field="service"] .muted`).textContent()).toBe(XSS);
    }
    expect(await page.locator('#rows img').count()).toBe(0);

    await page.goto(url('/rollouts/first'));
    expect(await page.locator('.page-head a').first().textContent()).toBe(XSS);
    expect(await page.locator('main img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
