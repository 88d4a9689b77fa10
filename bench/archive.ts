/**
 * Figure 6: a long history on disk. 10,000 running rollouts and 100,000 that ended longer ago
 * than the retention (archived) in one data dir; the app starts on it in a process of its own:
 * - start: the app's start time and memory, against the same 10,000 without any archive;
 * - idle tick: CPU of one engine tick;
 * - lookups: the store reading archived rollouts on demand (by pull request, by id, newest of a service);
 * - archiving: one pass of the store over 1,000 rollouts past the retention, durable (fsync) as in the app.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RolloutState } from '../src/rollout/types.js';
import { RolloutArchive } from '../src/state/archive.js';
import { FileRolloutStore } from '../src/state/file-store.js';
import type { StoredRollout } from '../src/state/store.js';
import { AppHarness } from '../test/support/app-harness.js';
import { freePort } from '../test/support/free-port.js';
import { analysingRollout } from './scheduler.js';
import type { CpuAndWall, StartArgs } from './support/app-child.js';
import { appEnv } from './support/app-env.js';
import type { Benchmark, BenchmarkResult } from './support/benchmark.js';
import { Child } from './support/child.js';
import { max, median, round } from './support/stats.js';

const ACTIVE = 10_000;
const ARCHIVED = 100_000;
/** Of the archived ones, those archived by the store's own pass (durable), the rest written in bulk. */
const ARCHIVED_BY_PASS = 1_000;
const LOOKUPS = 50;
const IDLE_TICKS = 20;
const WRITES_IN_FLIGHT = 64;
const BULK_CHUNK = 5_000;
const DAY_MS = 24 * 3600 * 1000;
const APP_CHILD = new URL('./support/app-child.ts', import.meta.url);

interface Memory {
  rssMiB: number;
  heapUsedMiB: number;
}

function copy(sample: RolloutState, number: number): RolloutState {
  const state = structuredClone(sample);
  state.id = `${sample.repo.owner}/${sample.repo.repo}#${number}/${sample.service}`;
  state.source = { ...state.source, number };
  return state;
}

/** The sample as a rollout that succeeded `daysAgo` days before `now`, its work all done. */
function ended(sample: RolloutState, number: number, now: number, daysAgo: number): RolloutState {
  const state = copy(sample, number);
  state.phase = 'Succeeded';
  state.finishedAt = now - daysAgo * DAY_MS;
  state.startedAt = state.finishedAt - 3600_000;
  state.updatedAt = state.finishedAt;
  state.wakeAt = undefined;
  state.outbox = [];
  state.background = undefined;
  return state;
}

async function putAll(store: FileRolloutStore, states: (index: number) => RolloutState, count: number): Promise<void> {
  let next = 0;
  const writer = async () => {
    for (let index = next++; index < count; index = next++) await store.put(states(index), 0);
  };
  await Promise.all(Array.from({ length: WRITES_IN_FLIGHT }, writer));
}

async function startApp(harness: AppHarness, dataDir: string): Promise<{ child: Child; seconds: number }> {
  const child = Child.start(APP_CHILD);
  const env = appEnv(harness.github, harness.prometheus.url, dataDir, await freePort());
  const started = performance.now();
  await child.call('start', { kind: 'opsbox', env, manualClock: harness.now } satisfies StartArgs);
  return { child, seconds: (performance.now() - started) / 1000 };
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

export const archiveBenchmark: Benchmark = {
  name: 'archive',
  description: '10,000 running + 100,000 archived rollouts: start, memory, idle tick, lookups, archiving',
  async run(log): Promise<BenchmarkResult> {
    const harness = await AppHarness.start();
    const dataDir = await mkdtemp(path.join(tmpdir(), 'opsbox-bench-archive-'));
    const activeOnlyDir = await mkdtemp(path.join(tmpdir(), 'opsbox-bench-active-'));
    const children: Child[] = [];
    try {
      const sample = await analysingRollout(harness);
      await harness.stopApp();
      const now = harness.now;
      const clock = () => now;
      const active = (index: number) => {
        const state = copy(sample, 10_000 + index);
        state.wakeAt = sample.wakeAt! + DAY_MS;
        return state;
      };

      log(`archive: storing ${ACTIVE.toLocaleString('en-US')} running rollouts, twice`);
      for (const dir of [dataDir, activeOnlyDir]) {
        const store = await FileRolloutStore.open(dir, { clock });
        await putAll(store, active, ACTIVE);
        await store.close();
      }

      log(`archive: archiving ${ARCHIVED.toLocaleString('en-US')} ended rollouts`);
      const firstArchived = 100_000;
      const bulk = new RolloutArchive(dataDir);
      await bulk.ensure();
      for (let from = ARCHIVED_BY_PASS; from < ARCHIVED; from += BULK_CHUNK) {
        const chunk: StoredRollout[] = [];
        for (let index = from; index < Math.min(from + BULK_CHUNK, ARCHIVED); index++) {
          chunk.push({ state: ended(sample, firstArchived + index, now, 40 + (index % 300)), version: 9 });
        }
        await bulk.add(chunk, async () => undefined, { sync: false });
      }
      // The last ones go through the store as the app archives: stored while running, ended, then a pass.
      const store = await FileRolloutStore.open(dataDir, { clock: () => now - 60 * DAY_MS });
      await putAll(store, (index) => ended(sample, firstArchived + index, now, 31), ARCHIVED_BY_PASS);
      const pass = await timed(() => store.archiveEnded(now));
      if (pass.value !== ARCHIVED_BY_PASS) throw new Error(`the pass archived ${pass.value} of ${ARCHIVED_BY_PASS}`);

      log('archive: lookups of archived rollouts');
      const byPullRequest: number[] = [];
      const byId: number[] = [];
      for (let i = 0; i < LOOKUPS; i++) {
        const number = firstArchived + Math.floor((i * ARCHIVED) / LOOKUPS);
        const found = await timed(() => store.forPullRequest(sample.repo.owner, sample.repo.repo, number));
        if (found.value.length !== 1) throw new Error(`pull request #${number}: ${found.value.length} rollouts found`);
        byPullRequest.push(found.ms);
        byId.push((await timed(() => store.get(found.value[0].id))).ms);
      }
      // with running rollouts of the service loaded, the newest is one of them; without, the archive's index is read
      const latestLoaded = await timed(() => store.latestFor(sample.repo.owner, sample.repo.repo, sample.service));
      const latestArchived = await timed(() => bulk.latestFor(sample.repo.owner, sample.repo.repo, sample.service));
      if (!latestArchived.value) throw new Error('no newest archived rollout found');
      await store.close();

      log('archive: app process, running rollouts only');
      const plain = await startApp(harness, activeOnlyDir);
      children.push(plain.child);
      const plainMemory = await plain.child.call<Memory>('memory');
      await plain.child.stop();

      log(`archive: app process, ${ACTIVE.toLocaleString('en-US')} running + ${ARCHIVED.toLocaleString('en-US')} archived`);
      const app = await startApp(harness, dataDir);
      children.push(app.child);
      const memory = await app.child.call<Memory>('memory');
      const loaded = await app.child.call<{ count: number }>('rollouts');
      if (loaded.count !== ACTIVE) throw new Error(`the app loaded ${loaded.count} rollouts, not ${ACTIVE}`);
      const ticks: CpuAndWall[] = [];
      for (let i = 0; i < IDLE_TICKS; i++) ticks.push(await app.child.call<CpuAndWall>('tick'));

      const figures = {
        active: ACTIVE,
        archived: ARCHIVED,
        startSeconds: round(app.seconds, 2),
        startSecondsWithoutArchive: round(plain.seconds, 2),
        memory: { rssMiB: round(memory.rssMiB, 1), heapUsedMiB: round(memory.heapUsedMiB, 1) },
        memoryWithoutArchive: { rssMiB: round(plainMemory.rssMiB, 1), heapUsedMiB: round(plainMemory.heapUsedMiB, 1) },
        loadedAtStart: loaded.count,
        idleTickCpuMs: { median: round(median(ticks.map((t) => t.cpuMs)), 2), max: round(max(ticks.map((t) => t.cpuMs)), 2) },
        lookupMs: {
          forPullRequestMedian: round(median(byPullRequest), 2),
          forPullRequestMax: round(max(byPullRequest), 2),
          byIdMedian: round(median(byId), 2),
          latestOfServiceLoaded: round(latestLoaded.ms, 2),
          latestOfServiceFromArchive: round(latestArchived.ms, 1),
        },
        archivePass: { rollouts: ARCHIVED_BY_PASS, ms: round(pass.ms, 0), msPerRollout: round(pass.ms / ARCHIVED_BY_PASS, 2) },
      };
      return {
        figures,
        tables: [
          {
            title: `archive: ${ACTIVE.toLocaleString('en-US')} running and ${ARCHIVED.toLocaleString('en-US')} archived rollouts in the file store`,
            head: ['figure', 'with the archive', `${ACTIVE.toLocaleString('en-US')} running only`],
            rows: [
              ['app start, s', figures.startSeconds, figures.startSecondsWithoutArchive],
              ['resident memory MiB', figures.memory.rssMiB, figures.memoryWithoutArchive.rssMiB],
              ['heap used MiB', figures.memory.heapUsedMiB, figures.memoryWithoutArchive.heapUsedMiB],
              ['rollouts loaded at start', figures.loadedAtStart, ACTIVE],
              ['idle tick CPU ms (median / max)', `${figures.idleTickCpuMs.median} / ${figures.idleTickCpuMs.max}`, ''],
              ['archived rollout by pull request, ms (median / max)', `${figures.lookupMs.forPullRequestMedian} / ${figures.lookupMs.forPullRequestMax}`, ''],
              ['archived rollout by id, ms (median)', figures.lookupMs.byIdMedian, ''],
              ['newest rollout of a service, one running, ms', figures.lookupMs.latestOfServiceLoaded, ''],
              [`newest of a service from the archive (${ARCHIVED.toLocaleString('en-US')} of it), ms`, figures.lookupMs.latestOfServiceFromArchive, ''],
              [`archiving pass, ${ARCHIVED_BY_PASS.toLocaleString('en-US')} rollouts, ms (per rollout)`, `${figures.archivePass.ms} (${figures.archivePass.msPerRollout})`, ''],
            ],
            notes: [`${(ARCHIVED - ARCHIVED_BY_PASS).toLocaleString('en-US')} archived rollouts are written in bulk without fsync to save time; the last ${ARCHIVED_BY_PASS.toLocaleString('en-US')} by the store's own pass`],
          },
        ],
      };
    } finally {
      for (const child of children) await child.stop();
      await harness.close();
      await rm(dataDir, { recursive: true, force: true });
      await rm(activeOnlyDir, { recursive: true, force: true });
    }
  },
};
