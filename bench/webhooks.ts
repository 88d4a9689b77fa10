/**
 * Figure 2: webhook acknowledgement. The same signed deliveries (merged pull requests, each a new
 * bump that starts a rollout, and `/status` comments on them, alternating) go to a bare Probot app
 * registering the same events and doing nothing, then to the OpsBox app, then to bare Probot again.
 * Each server runs in a process of its own, the fake GitHub in another, the load generator in a
 * third, over loopback at a fixed number of concurrent keep-alive connections. Latency is from
 * sending a request to the end of its answer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../test/support/free-port.js';
import type { StartArgs } from './support/app-child.js';
import { appEnv } from './support/app-env.js';
import type { Benchmark, BenchmarkResult } from './support/benchmark.js';
import { Child } from './support/child.js';
import type { Delivery, FakesInfo } from './support/fakes-child.js';
import type { LoadRun } from './support/load-child.js';
import { max, percentile, round } from './support/stats.js';

interface GitHubStats {
  requests: number;
  byEndpoint: Record<string, number>;
}

export const DELIVERIES = 2_000;
export const WARMUP = 100;
export const CONNECTIONS = 50;
const TARGET_P99_RATIO = 1.3;
const TARGET_THROUGHPUT_RATIO = 0.8;
const APP_CHILD = new URL('./support/app-child.ts', import.meta.url);
export const FAKES_CHILD = new URL('./support/fakes-child.ts', import.meta.url);
export const LOAD_CHILD = new URL('./support/load-child.ts', import.meta.url);

interface Latency {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface Run extends LoadRun {
  /** CPU seconds of the server process during the run. */
  serverCpuSeconds: number;
}

export interface LoadResult extends Latency {
  deliveries: number;
  failed: number;
  seconds: number;
  perSecond: number;
  byEvent: Record<string, Latency>;
  /** CPU time of the server process over the wall time of the run (1 = one core busy all along). */
  serverCpuShare: number;
}

function latency(samples: readonly number[]): Latency {
  return { p50Ms: round(percentile(samples, 50), 2), p99Ms: round(percentile(samples, 99), 2), maxMs: round(max(samples), 2) };
}

/** Runs pooled into one distribution (more samples, steadier percentiles). */
export function summarize(runs: readonly Run[]): LoadResult {
  const samples = runs.flatMap((run) => run.samples);
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0);
  const byEvent: Record<string, number[]> = {};
  for (const sample of samples) (byEvent[sample.event] ??= []).push(sample.ms);
  return {
    deliveries: samples.length,
    failed: runs.reduce((sum, run) => sum + run.failed, 0),
    seconds: round(seconds, 2),
    perSecond: Math.round(samples.length / seconds),
    ...latency(samples.map((sample) => sample.ms)),
    byEvent: Object.fromEntries(Object.entries(byEvent).map(([event, ms]) => [event, latency(ms)])),
    serverCpuShare: round(runs.reduce((sum, run) => sum + run.serverCpuSeconds, 0) / seconds, 2),
  };
}

/** A fresh server process (and data dir), the warm-up deliveries, then the measured ones; `extraEnv` adds to the app's environment. */
export async function measureServer(kind: StartArgs['kind'], fakes: FakesInfo, loader: Child, extraEnv: Record<string, string> = {}): Promise<Run> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `opsbox-bench-${kind}-`));
  const child = Child.start(APP_CHILD);
  try {
    const env = { ...appEnv({ app: { id: fakes.appId }, appPrivateKey: () => fakes.privateKey, host: fakes.host }, fakes.prometheusUrl, dataDir, await freePort()), ...extraEnv };
    const { port } = await child.call<{ port: number }>('start', { kind, env } satisfies StartArgs);
    // the CPU share includes the warm-up, which is short beside the measured run
    const cpuBefore = await child.call<NodeJS.CpuUsage>('cpu');
    const run = await loader.call<LoadRun>('run', { warmup: 'warmup', measured: 'measured', port, connections: CONNECTIONS });
    const cpuAfter = await child.call<NodeJS.CpuUsage>('cpu');
    // BENCH_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the server; the profile is written on a normal exit
    if (process.env.BENCH_CHILD_NODE_ARGS) await child.exit();
    return { ...run, serverCpuSeconds: (cpuAfter.user - cpuBefore.user + cpuAfter.system - cpuBefore.system) / 1e6 };
  } finally {
    await child.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export const webhooksBenchmark: Benchmark = {
  name: 'webhooks',
  description: '2,000 signed deliveries at 50 connections: the app against bare Probot',
  async run(log): Promise<BenchmarkResult> {
    const fakes = Child.start(FAKES_CHILD);
    const loader = Child.start(LOAD_CHILD);
    try {
      const info = await fakes.call<FakesInfo>('start');
      log(`webhooks: preparing ${(WARMUP + DELIVERIES).toLocaleString('en-US')} deliveries`);
      await loader.call('keep', { name: 'warmup', deliveries: await fakes.call<Delivery[]>('prepare', { count: WARMUP / 2 }) });
      await loader.call('keep', { name: 'measured', deliveries: await fakes.call<Delivery[]>('prepare', { count: DELIVERIES / 2 }) });
      // bare Probot before and after the app, pooled: its tail is short, so one pause moves its p99
      log('webhooks: bare Probot');
      const bareFirst = await measureServer('bare', info, loader);
      const before = await fakes.call<GitHubStats>('stats');
      log('webhooks: OpsBox app');
      const appRun = await measureServer('opsbox', info, loader);
      const after = await fakes.call<GitHubStats>('stats');
      log('webhooks: bare Probot again');
      const bareSecond = await measureServer('bare', info, loader);
      const bare = summarize([bareFirst, bareSecond]);
      const app = summarize([appRun]);
      const ratio = {
        p50: round(app.p50Ms / bare.p50Ms, 2),
        p99: round(app.p99Ms / bare.p99Ms, 2),
        max: round(app.maxMs / bare.maxMs, 2),
        throughput: round(app.perSecond / bare.perSecond, 2),
      };
      // CPU per delivery depends less on what else the machine runs than latency does
      const cpuMsPerDelivery = (r: LoadResult) => round((1000 * r.serverCpuShare) / r.perSecond, 2);
      const background = Object.entries(after.byEndpoint)
        .map(([endpoint, total]) => ({ endpoint, requests: total - (before.byEndpoint[endpoint] ?? 0) }))
        .filter((entry) => entry.requests > 0)
        .sort((a, b) => b.requests - a.requests);
      const figures = {
        deliveries: DELIVERIES,
        warmup: WARMUP,
        connections: CONNECTIONS,
        events: { pull_request: DELIVERIES / 2, issue_comment: DELIVERIES / 2 },
        bare,
        bareRuns: [bareFirst, bareSecond].map((run) => {
          const { p50Ms, p99Ms, maxMs, perSecond } = summarize([run]);
          return { p50Ms, p99Ms, maxMs, perSecond };
        }),
        app,
        ratio,
        targetP99Ratio: TARGET_P99_RATIO,
        targetThroughputRatio: TARGET_THROUGHPUT_RATIO,
        serverCpuMsPerDelivery: { app: cpuMsPerDelivery(app), bare: cpuMsPerDelivery(bare) },
        appGitHubRequestsDuringRun: after.requests - before.requests,
        appGitHubRequestsByEndpoint: background.slice(0, 10),
      };
      const row = (name: string, r: LoadResult) => [name, r.p50Ms, r.p99Ms, r.maxMs, r.perSecond, r.failed, r.serverCpuShare];
      const eventRows = Object.entries(app.byEvent).map(([event, l]) => [`OpsBox app, ${event}`, l.p50Ms, l.p99Ms, l.maxMs, '', '', '']);
      return {
        figures,
        tables: [
          {
            title: `webhooks: ${DELIVERIES.toLocaleString('en-US')} signed deliveries (half pull_request.closed of new merges, half issue_comment.created "/status"), ${CONNECTIONS} connections`,
            head: ['server', 'p50 ms', 'p99 ms', 'max ms', 'deliveries/s', 'not 2xx', 'server CPU'],
            rows: [
              row('bare Probot (2 runs)', bare),
              row('OpsBox app', app),
              ['app ÷ bare', ratio.p50, ratio.p99, ratio.max, ratio.throughput, '', ''],
              ...eventRows,
            ],
            notes: [
              `target: app p99 within ${TARGET_P99_RATIO}× of bare Probot, deliveries/s at least ${TARGET_THROUGHPUT_RATIO}× (the median of 5 runs: one run moves with the machine's other work)`,
              `server CPU per delivery: app ${figures.serverCpuMsPerDelivery.app} ms, bare ${figures.serverCpuMsPerDelivery.bare} ms`,
              `the app made ${figures.appGitHubRequestsDuringRun.toLocaleString('en-US')} GitHub requests in the background while it answered (warm-up included)`,
              'server CPU: CPU seconds of the server process per second of the run (1 = one core; GC and I/O threads can add more)',
            ],
          },
        ],
      };
    } finally {
      await loader.stop();
      await fakes.stop();
    }
  },
};
