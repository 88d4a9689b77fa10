/**
 * The dashboard with 10,000 rollouts in the file store (200 running, the rest ended, over 20
 * repositories): server time of the list page, a filtered list, `/api/rollouts` and one detail
 * page, from the request's arrival to the last byte written (the handler wrapped in-process), and
 * the round trip over loopback. Target: the list in under 200 ms server time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createDashboard, type DashboardHandler } from '../src/dashboard/dashboard.js';
import { OpsboxMetrics } from '../src/metrics/metrics.js';
import { startMetricsServer } from '../src/ops/metrics-server.js';
import type { RolloutState } from '../src/rollout/types.js';
import { FileRolloutStore } from '../src/state/file-store.js';
import { AppHarness } from '../test/support/app-harness.js';
import { analysingRollout } from './scheduler.js';
import type { Benchmark, BenchmarkResult } from './support/benchmark.js';
import { max, median, percentile, round } from './support/stats.js';

const ROLLOUTS = 10_000;
const RUNNING = 200;
const REPOSITORIES = 20;
const REQUESTS = 40;
const WRITES_IN_FLIGHT = 64;
const TARGET_MS = 200;

function variant(sample: RolloutState, index: number, now: number): RolloutState {
  const state = structuredClone(sample);
  state.repo = { ...state.repo, repo: `manifests-${index % REPOSITORIES}` };
  state.service = `svc-${index % 50}`;
  state.id = `${state.repo.owner}/${state.repo.repo}#${index}/${state.service}`;
  state.source = { ...state.source, number: index };
  state.startedAt = now - index * 60_000;
  if (index >= RUNNING) {
    state.phase = index % 10 === 0 ? 'Aborted' : 'Succeeded';
    state.finishedAt = state.startedAt + 3600_000;
    state.wakeAt = undefined;
    state.outbox = [];
  }
  return state;
}

export const dashboardBenchmark: Benchmark = {
  name: 'dashboard',
  description: 'dashboard pages with 10,000 rollouts stored: server time of the list, filters, API, detail',
  async run(log): Promise<BenchmarkResult> {
    const harness = await AppHarness.start();
    const dataDir = await mkdtemp(path.join(tmpdir(), 'opsbox-bench-dashboard-'));
    try {
      const sample = await analysingRollout(harness);
      await harness.stopApp();
      const now = harness.now;
      // a long retention: every ended rollout stays loaded, so all 10,000 are listed
      const store = await FileRolloutStore.open(dataDir, { clock: () => now, retentionMs: 3650 * 86_400_000 });
      log(`dashboard: storing ${ROLLOUTS.toLocaleString('en-US')} rollouts`);
      let next = 0;
      const writer = async () => {
        for (let index = next++; index < ROLLOUTS; index = next++) await store.put(variant(sample, index, now), 0);
      };
      await Promise.all(Array.from({ length: WRITES_IN_FLIGHT }, writer));

      const serverMs: number[] = [];
      const inner = createDashboard({ store, serverUrl: 'https://github.com', clock: () => now });
      const timedHandler: DashboardHandler = (req, res) => {
        const started = performance.now();
        res.once('finish', () => serverMs.push(performance.now() - started));
        return inner(req, res);
      };
      const server = await startMetricsServer(new OpsboxMetrics(() => [], { processMetrics: false }), { port: 0, host: '127.0.0.1', dashboard: timedHandler });
      const detailPath = `/rollouts/${encodeURIComponent(variant(sample, 0, now).id)}`;
      const cases = [
        { name: 'list page /', path: '/' },
        { name: 'list page 20 of 200', path: '/?page=20' },
        { name: 'filtered list', path: '/?repository=acme%2Fmanifests-3&phase=Succeeded&since=7d' },
        { name: 'GET /api/rollouts', path: '/api/rollouts' },
        { name: 'detail page', path: detailPath },
      ];
      const rows: (string | number)[][] = [];
      const figures: Record<string, unknown> = {};
      try {
        for (const c of cases) {
          serverMs.length = 0;
          const roundTrips: number[] = [];
          let bytes = 0;
          for (let i = 0; i < REQUESTS; i++) {
            const started = performance.now();
            const response = await fetch(`http://127.0.0.1:${server.port}${c.path}`);
            const body = await response.text();
            roundTrips.push(performance.now() - started);
            if (response.status !== 200) throw new Error(`${c.path}: HTTP ${response.status}: ${body.slice(0, 200)}`);
            bytes = body.length;
          }
          const row = { medianMs: round(median(serverMs)), p95Ms: round(percentile(serverMs, 95)), maxMs: round(max(serverMs)), roundTripMedianMs: round(median(roundTrips)), kiB: round(bytes / 1024, 1) };
          figures[c.name] = row;
          rows.push([c.name, row.medianMs, row.p95Ms, row.maxMs, row.roundTripMedianMs, row.kiB]);
        }
      } finally {
        await server.close();
        await store.close();
      }
      return {
        figures,
        tables: [
          {
            title: `Dashboard with ${ROLLOUTS.toLocaleString('en-US')} rollouts (${RUNNING} running), ${REQUESTS} requests each`,
            head: ['page', 'server median ms', 'p95 ms', 'max ms', 'round trip median ms', 'KiB'],
            rows,
            notes: [`target: the list page in under ${TARGET_MS} ms server time (request arrival to last byte written)`],
          },
        ],
      };
    } finally {
      await harness.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};
