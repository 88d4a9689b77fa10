/**
 * Figure 3: the scheduler at scale. A real rollout is run into its analysis step, then stored
 * 10,000 times over (distinct ids) in a fresh FileRolloutStore. The app runs in a process of its own
 * on that data dir, against the fake GitHub and fake Prometheus of this process:
 * - idle tick: the clock before every wake time, CPU and wall time of one engine tick;
 * - 1,000 due: the clock at the next measurement of 1,000 of them, time until all are processed;
 * - memory: resident set of the app process with the 10,000 loaded, and of one with none, both
 *   through tsx and compiled (`node dist/…`, as `npm start` and the container run it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AppHarness, bumpApi } from '../test/support/app-harness.js';
import type { RolloutState } from '../src/rollout/types.js';
import { FileRolloutStore } from '../src/state/file-store.js';
import { freePort } from '../test/support/free-port.js';
import type { CpuAndWall, StartArgs } from './support/app-child.js';
import { appEnv } from './support/app-env.js';
import type { Benchmark, BenchmarkResult } from './support/benchmark.js';
import { Child } from './support/child.js';
import { max, median, round } from './support/stats.js';

const CANARY = 'apps/api/canary.yaml';
const ACTIVE = 10_000;
const DUE = 1_000;
const IDLE_TICKS = 20;
const WRITES_IN_FLIGHT = 64;
const DAY_MS = 24 * 3600 * 1000;
const TARGET_IDLE_TICK_CPU_MS = 50;
const TARGET_MEMORY_MIB = 300;
/** The production runtime (compiled JavaScript): idle, and with 10,000 active rollouts. */
const TARGET_COMPILED_IDLE_MIB = 120;
const TARGET_COMPILED_ACTIVE_MIB = 200;
const APP_CHILD = new URL('./support/app-child.ts', import.meta.url);

interface Memory {
  rssMiB: number;
  heapUsedMiB: number;
}

/** A rollout in its first analysis step, its first measurement taken, as the app stored it. */
export async function analysingRollout(harness: AppHarness): Promise<RolloutState> {
  harness.prometheus.answer([0.01]);
  await harness.mergeBump({ [CANARY]: bumpApi(harness.file(CANARY), 'v2') }, { title: 'Bump api to v2' });
  await harness.advance(30_000);
  const [rollout] = await harness.rollouts();
  if (rollout?.step?.kind !== 'analysis' || rollout.wakeAt === undefined) throw new Error('the sample rollout did not reach its analysis');
  return rollout;
}

async function storeCopies(dataDir: string, sample: RolloutState): Promise<void> {
  const store = await FileRolloutStore.open(dataDir);
  const wakeAt = sample.wakeAt!;
  let next = 0;
  const writer = async () => {
    while (next < ACTIVE) {
      const index = next++;
      const copy = structuredClone(sample);
      copy.id = `${sample.repo.owner}/${sample.repo.repo}#${10_000 + index}/${sample.service}`;
      copy.source = { ...copy.source, number: 10_000 + index };
      copy.wakeAt = index < DUE ? wakeAt : wakeAt + DAY_MS;
      await store.put(copy, 0);
    }
  };
  await Promise.all(Array.from({ length: WRITES_IN_FLIGHT }, writer));
  await store.close();
}

async function startApp(harness: AppHarness, dataDir: string, now: number, compiled = false): Promise<Child> {
  const child = Child.start(APP_CHILD, {}, { compiled });
  const env = appEnv(harness.github, harness.prometheus.url, dataDir, await freePort());
  await child.call('start', { kind: 'opsbox', env, manualClock: now } satisfies StartArgs);
  return child;
}

function summary(samples: CpuAndWall[]) {
  const cpu = samples.map((s) => s.cpuMs);
  const wall = samples.map((s) => s.wallMs);
  return { cpuMsMedian: round(median(cpu), 3), cpuMsMax: round(max(cpu), 3), wallMsMedian: round(median(wall), 3), wallMsMax: round(max(wall), 3) };
}

export const schedulerBenchmark: Benchmark = {
  name: 'scheduler',
  description: '10,000 active rollouts: idle tick, 1,000 due at once, memory',
  async run(log): Promise<BenchmarkResult> {
    const harness = await AppHarness.start();
    const dataDir = await mkdtemp(path.join(tmpdir(), 'opsbox-bench-scheduler-'));
    const emptyDir = await mkdtemp(path.join(tmpdir(), 'opsbox-bench-empty-'));
    const children: Child[] = [];
    try {
      const sample = await analysingRollout(harness);
      await harness.stopApp();
      // The copies point at this harness's Prometheus, which stays up.
      log(`scheduler: storing ${ACTIVE.toLocaleString('en-US')} rollouts`);
      const storeStart = performance.now();
      await storeCopies(dataDir, sample);
      const storeSeconds = (performance.now() - storeStart) / 1000;

      log('scheduler: app process with none loaded');
      const empty = await startApp(harness, emptyDir, harness.now);
      children.push(empty);
      const baseline = await empty.call<Memory>('memory');
      await empty.stop();

      log(`scheduler: app process with ${ACTIVE.toLocaleString('en-US')} loaded`);
      const startedAt = performance.now();
      const app = await startApp(harness, dataDir, harness.now);
      children.push(app);
      const startupSeconds = (performance.now() - startedAt) / 1000;
      const loaded = await app.call<Memory>('memory');

      const idle: CpuAndWall[] = [];
      for (let i = 0; i < IDLE_TICKS; i++) idle.push(await app.call<CpuAndWall>('tick'));

      log(`scheduler: ${DUE.toLocaleString('en-US')} due at once`);
      const queriesBefore = harness.prometheus.queries.length;
      const requestsBefore = harness.github.requests.length;
      await app.call('setNow', { now: sample.wakeAt! });
      const due = await app.call<CpuAndWall>('tickUntilIdle');
      const measured = harness.prometheus.queries.length - queriesBefore;
      const githubRequests = harness.github.requests.length - requestsBefore;
      const after = await app.call<{ count: number; phases: Record<string, number> }>('rollouts');
      if (measured < DUE) throw new Error(`only ${measured} of ${DUE} due rollouts queried Prometheus`);
      await app.stop();

      log('scheduler: compiling (tsc -p tsconfig.json) for the compiled runtime');
      await promisify(execFile)(process.execPath, [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.json'], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        timeout: 300_000,
      });
      log('scheduler: compiled app process with none loaded');
      const compiledEmpty = await startApp(harness, emptyDir, harness.now, true);
      children.push(compiledEmpty);
      const compiledIdle = await compiledEmpty.call<Memory>('memory');
      await compiledEmpty.stop();
      log(`scheduler: compiled app process with ${ACTIVE.toLocaleString('en-US')} loaded`);
      const compiledApp = await startApp(harness, dataDir, harness.now, true);
      children.push(compiledApp);
      const compiledLoaded = await compiledApp.call<Memory>('memory');

      const figures = {
        activeRollouts: ACTIVE,
        storeSeconds: round(storeSeconds, 1),
        startupSeconds: round(startupSeconds, 2),
        idleTick: { ticks: IDLE_TICKS, ...summary(idle), targetCpuMs: TARGET_IDLE_TICK_CPU_MS },
        due: {
          rollouts: DUE,
          wallMs: round(due.wallMs, 0),
          cpuMs: round(due.cpuMs, 0),
          perRolloutMs: round(due.wallMs / DUE, 2),
          prometheusQueries: measured,
          githubRequests,
          phasesAfter: after.phases,
        },
        memory: {
          rssMiB: round(loaded.rssMiB, 1),
          heapUsedMiB: round(loaded.heapUsedMiB, 1),
          emptyRssMiB: round(baseline.rssMiB, 1),
          emptyHeapUsedMiB: round(baseline.heapUsedMiB, 1),
          targetMiB: TARGET_MEMORY_MIB,
        },
        compiledMemory: {
          rssMiB: round(compiledLoaded.rssMiB, 1),
          heapUsedMiB: round(compiledLoaded.heapUsedMiB, 1),
          emptyRssMiB: round(compiledIdle.rssMiB, 1),
          emptyHeapUsedMiB: round(compiledIdle.heapUsedMiB, 1),
          targetIdleMiB: TARGET_COMPILED_IDLE_MIB,
          targetActiveMiB: TARGET_COMPILED_ACTIVE_MIB,
        },
      };
      return {
        figures,
        tables: [
          {
            title: `scheduler: ${ACTIVE.toLocaleString('en-US')} active rollouts in the file store, the app in its own process`,
            head: ['figure', 'value', 'target'],
            rows: [
              ['idle tick CPU ms (median / max)', `${figures.idleTick.cpuMsMedian} / ${figures.idleTick.cpuMsMax}`, `< ${TARGET_IDLE_TICK_CPU_MS}`],
              ['idle tick wall ms (median / max)', `${figures.idleTick.wallMsMedian} / ${figures.idleTick.wallMsMax}`, ''],
              [`${DUE.toLocaleString('en-US')} due: all processed, ms`, figures.due.wallMs, ''],
              [`${DUE.toLocaleString('en-US')} due: app CPU ms`, figures.due.cpuMs, ''],
              [`${DUE.toLocaleString('en-US')} due: Prometheus queries / GitHub requests`, `${measured} / ${githubRequests}`, ''],
              ['resident memory MiB, 10,000 loaded', figures.memory.rssMiB, `< ${TARGET_MEMORY_MIB}`],
              ['heap used MiB, 10,000 loaded', figures.memory.heapUsedMiB, ''],
              ['resident memory MiB, none loaded', figures.memory.emptyRssMiB, ''],
              ['heap used MiB, none loaded', figures.memory.emptyHeapUsedMiB, ''],
              ['app start with 10,000 stored, s', figures.startupSeconds, ''],
            ],
          },
          {
            title: 'scheduler: resident memory, tsx beside compiled (node dist/…, the production runtime)',
            head: ['figure', 'tsx', 'compiled', 'target (compiled)'],
            rows: [
              ['resident MiB, none loaded', figures.memory.emptyRssMiB, figures.compiledMemory.emptyRssMiB, `≤ ${TARGET_COMPILED_IDLE_MIB}`],
              [`resident MiB, ${ACTIVE.toLocaleString('en-US')} loaded`, figures.memory.rssMiB, figures.compiledMemory.rssMiB, `≤ ${TARGET_COMPILED_ACTIVE_MIB}`],
              ['heap used MiB, none loaded', figures.memory.emptyHeapUsedMiB, figures.compiledMemory.emptyHeapUsedMiB, ''],
              [`heap used MiB, ${ACTIVE.toLocaleString('en-US')} loaded`, figures.memory.heapUsedMiB, figures.compiledMemory.heapUsedMiB, ''],
            ],
          },
        ],
      };
    } finally {
      for (const child of children) await child.stop();
      await harness.close();
      await rm(dataDir, { recursive: true, force: true });
      await rm(emptyDir, { recursive: true, force: true });
    }
  },
};
