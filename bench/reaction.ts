/**
 * Figure 4: reaction time. A canary whose analysis has passed once gets a failing value from the
 * fake Prometheus; the clock moves to its next measurement and the engine ticks. Measured: from that
 * tick to the moment the fake GitHub receives the request that moves `main` to the weight-0 commit.
 * This is the app's own time; in production the cron scheduler adds up to one second before the tick.
 */
import { performance } from 'node:perf_hooks';
import { AppHarness, FULL_NAME, bumpApi } from '../test/support/app-harness.js';
import type { Benchmark, BenchmarkResult } from './support/benchmark.js';
import { max, median, round } from './support/stats.js';

const CANARY = 'apps/api/canary.yaml';
const RUNS = 20;
/** The fixture's analysis: `interval: 1m`, and the sync delay before it starts: 30 s. */
const SYNC_DELAY_MS = 30_000;
const INTERVAL_MS = 60_000;
const TARGET_MS = 1000;

async function reactOnce(harness: AppHarness, version: string): Promise<number> {
  harness.prometheus.answer([0.01]);
  await harness.mergeBump({ [CANARY]: bumpApi(harness.file(CANARY), version) }, { title: `Bump api to ${version}` });
  await harness.advance(SYNC_DELAY_MS); // weight applied: the analysis starts and passes its first measurement
  const rollout = (await harness.rollouts()).find((r) => r.to === version);
  if (rollout?.step?.kind !== 'analysis') throw new Error(`the ${version} canary is not in its analysis (${rollout?.phase})`);

  let reachedAt: number | undefined;
  const stopWatching = harness.github.onBeforeRefUpdate((event) => {
    if (reachedAt !== undefined || event.branch !== 'main') return;
    const message = harness.github.log(FULL_NAME, event.newSha, { limit: 1 })[0]?.message ?? '';
    if (message.includes('roll back')) reachedAt = performance.now();
  });
  try {
    harness.prometheus.answer([0.2]);
    harness.now += INTERVAL_MS;
    const start = performance.now();
    await harness.runtime.engine.tick();
    await harness.runtime.idle();
    if (reachedAt === undefined) throw new Error(`no weight-0 commit for ${version}`);
    return reachedAt - start;
  } finally {
    stopWatching();
  }
}

export const reactionBenchmark: Benchmark = {
  name: 'reaction',
  description: 'failing measurement → weight-0 commit request, over 20 runs',
  async run(log): Promise<BenchmarkResult> {
    log(`reaction: ${RUNS} failing canaries`);
    const harness = await AppHarness.start();
    const samples: number[] = [];
    try {
      for (let run = 0; run < RUNS; run++) samples.push(await reactOnce(harness, `v${run + 2}`));
    } finally {
      await harness.close();
    }
    const figures = { runs: RUNS, medianMs: round(median(samples), 1), maxMs: round(max(samples), 1), targetMs: TARGET_MS, samplesMs: samples.map((s) => round(s, 1)) };
    return {
      figures,
      tables: [
        {
          title: 'reaction: failing measurement due → weight-0 commit request at GitHub (app time, no scheduler wait)',
          head: ['runs', 'median ms', 'max ms', 'target ms'],
          rows: [[RUNS, figures.medianMs, figures.maxMs, TARGET_MS]],
          notes: ['the cron scheduler ticks every second, so in production up to 1 s more passes before the tick'],
        },
      ],
    };
  },
};
