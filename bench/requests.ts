/**
 * Figure 1: GitHub API requests per rollout. The whole app (real Probot, fake GitHub, fake
 * Prometheus) runs one rollout on the happy path and one on the failing path; every request the
 * fake GitHub answers is counted, by endpoint and by the effect that made it.
 */
import { AppHarness, bumpApi, fixtureFilesWithApiWeights } from '../test/support/app-harness.js';
import type { RecordedRequest } from '../test/support/fake-github/index.js';
import type { Benchmark, BenchmarkResult } from './support/benchmark.js';
import { traceEffects, type TracedEffect } from './support/effect-trace.js';
import { endpointOf } from './support/endpoints.js';
import { round } from './support/stats.js';
import type { Table } from './support/table.js';

const CANARY = 'apps/api/canary.yaml';
/** Requests a weight step may cost, its status update included. */
const TARGET_PER_WEIGHT_STEP = 3;
/** Requests a whole rollout may cost, app authentication included. */
const TARGET_HAPPY = 14;
const TARGET_FAILING = 18;

interface Counts {
  requests: number;
  reads: number;
  writes: number;
}

interface WeightStep extends Counts {
  step: string;
  commit: number;
  statusUpdate: number;
  endpoints: string[];
}

interface PathFigures extends Counts {
  commits: number;
  /** One write per commit: the least any app that commits through the API can do. */
  floor: number;
  aboveFloor: number;
  timesFloor: number;
  weightSteps: WeightStep[];
  perWeightStepMean: number;
  perWeightStepMax: number;
  /** Where the requests go: the effect that made them, or the rollout's start (config and manifests read at the merge). */
  byPurpose: Record<string, Counts>;
  byEndpoint: Array<{ endpoint: string } & Counts>;
}

function count(requests: readonly RecordedRequest[]): Counts {
  return {
    requests: requests.length,
    reads: requests.filter((r) => r.read).length,
    writes: requests.filter((r) => r.write).length,
  };
}

function purposeOf(traced: TracedEffect): string {
  const { effect } = traced;
  switch (effect.type) {
    case 'commit':
      return `commit (${effect.kind})`;
    case 'publishStatus':
      return effect.final ? 'status update (final)' : 'status update';
    case 'measure':
      return 'analysis templates';
    case 'proposeRevert':
      return 'revert pull request';
    default:
      return effect.type;
  }
}

function stepLabel(traced: TracedEffect): string {
  const effect = traced.effect;
  if (effect.type !== 'commit') return effect.type;
  return effect.kind === 'weight' ? `weight ${effect.weight}%` : effect.kind === 'promote' ? 'promote' : 'rollback to 0%';
}

/** A weight step: its commit and the status update that follows it (which shows the new weight). */
function weightSteps(effects: readonly TracedEffect[]): WeightStep[] {
  const steps: WeightStep[] = [];
  effects.forEach((traced, index) => {
    if (traced.effect.type !== 'commit') return;
    const report = effects.slice(index + 1).find((next) => next.effect.type === 'publishStatus' || next.effect.type === 'commit');
    const statusRequests = report?.effect.type === 'publishStatus' ? report.requests : [];
    const all = [...traced.requests, ...statusRequests];
    steps.push({
      step: stepLabel(traced),
      ...count(all),
      commit: traced.requests.length,
      statusUpdate: statusRequests.length,
      endpoints: all.map((r) => endpointOf(r.method, r.path)),
    });
  });
  return steps;
}

function figuresOf(all: readonly RecordedRequest[], effects: readonly TracedEffect[]): PathFigures {
  const inEffects = new Set(effects.flatMap((traced) => traced.requests));
  const byPurpose: Record<string, RecordedRequest[]> = {};
  const add = (purpose: string, request: RecordedRequest) => (byPurpose[purpose] ??= []).push(request);
  for (const request of all) {
    if (!inEffects.has(request)) add(request.actor === 'app' ? 'app authentication' : 'rollout start (config, manifests at the merge)', request);
  }
  for (const traced of effects) for (const request of traced.requests) add(purposeOf(traced), request);

  const byEndpoint = new Map<string, RecordedRequest[]>();
  for (const request of all) {
    const endpoint = endpointOf(request.method, request.path);
    byEndpoint.set(endpoint, [...(byEndpoint.get(endpoint) ?? []), request]);
  }
  const commits = effects.filter((traced) => traced.effect.type === 'commit' && traced.requests.some((r) => r.write)).length;
  const steps = weightSteps(effects);
  const totals = count(all);
  return {
    ...totals,
    commits,
    floor: commits,
    aboveFloor: totals.requests - commits,
    timesFloor: round(totals.requests / Math.max(1, commits), 1),
    weightSteps: steps,
    perWeightStepMean: round(steps.reduce((sum, step) => sum + step.requests, 0) / Math.max(1, steps.length), 2),
    perWeightStepMax: Math.max(0, ...steps.map((step) => step.requests)),
    byPurpose: Object.fromEntries(Object.entries(byPurpose).map(([purpose, requests]) => [purpose, count(requests)])),
    byEndpoint: [...byEndpoint]
      .map(([endpoint, requests]) => ({ endpoint, ...count(requests) }))
      .sort((a, b) => b.requests - a.requests || a.endpoint.localeCompare(b.endpoint)),
  };
}

/** Runs one rollout from the merge to its end and returns what it cost. */
async function measurePath(kind: 'happy' | 'failing'): Promise<PathFigures> {
  const harness = await AppHarness.start({ files: await fixtureFilesWithApiWeights(20, 60) });
  const trace = traceEffects(() => harness.github.requests);
  try {
    harness.prometheus.answer([0.01]);
    harness.github.resetRequests();
    await harness.mergeBump({ [CANARY]: bumpApi(harness.file(CANARY), 'v2') }, { title: 'Bump api to v2' });
    const end = kind === 'happy' ? 'Succeeded' : 'Aborted';
    if (kind === 'failing') harness.prometheus.answer([0.2]);
    await harness.advanceUntil(async () => (await harness.rollouts())[0]?.phase === end, 60_000);
    if (harness.github.errors.length > 0) throw harness.github.errors[0];
    return figuresOf(harness.github.requests, trace.effects);
  } finally {
    trace.stop();
    await harness.close();
  }
}

function tables(name: string, path: string, figures: PathFigures): Table[] {
  return [
    {
      title: `${name}: ${path} — ${figures.requests} requests (${figures.reads} reads, ${figures.writes} writes) for ${figures.commits} commits; floor ${figures.floor}, ${figures.timesFloor}× the floor`,
      head: ['where', 'requests', 'reads', 'writes'],
      rows: Object.entries(figures.byPurpose)
        .sort(([, a], [, b]) => b.requests - a.requests)
        .map(([purpose, c]) => [purpose, c.requests, c.reads, c.writes]),
    },
    {
      title: `${name}: ${path}, per weight step (commit + the status update after it)`,
      head: ['step', 'requests', 'commit', 'status update', 'reads', 'writes'],
      rows: [
        ...figures.weightSteps.map((s) => [s.step, s.requests, s.commit, s.statusUpdate, s.reads, s.writes]),
        ['mean', figures.perWeightStepMean, '', '', '', ''],
      ],
      notes: [`target: at most ${TARGET_PER_WEIGHT_STEP} requests per weight step`],
    },
    {
      title: `${name}: ${path}, by endpoint`,
      head: ['endpoint', 'requests', 'reads', 'writes'],
      rows: figures.byEndpoint.map((e) => [e.endpoint, e.requests, e.reads, e.writes]),
    },
  ];
}

export const requestsBenchmark: Benchmark = {
  name: 'requests',
  description: 'GitHub API requests per rollout, happy and failing path',
  async run(log): Promise<BenchmarkResult> {
    log('requests: happy path');
    const happy = await measurePath('happy');
    log('requests: failing path');
    const failing = await measurePath('failing');
    return {
      figures: { targetPerWeightStep: TARGET_PER_WEIGHT_STEP, targetHappy: TARGET_HAPPY, targetFailing: TARGET_FAILING, happy, failing },
      tables: [
        ...tables('requests', `happy path 20% → analysis → 60% → analysis → promote (target ≤ ${TARGET_HAPPY})`, happy),
        ...tables('requests', `failing path 20% → analysis fails → 0% → revert PR → comment (target ≤ ${TARGET_FAILING})`, failing),
      ],
    };
  },
};
