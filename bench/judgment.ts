/**
 * Figure 6: how well a canary is judged. Seeded synthetic services (stable and canary side by side)
 * produce per-step error rates and p95 latencies; three judges decide on the same samples:
 *   (a) the CanaryJudge (Mann-Whitney on error rate and p95 latency, both critical, confidence 0.99
 *       for the judgement, so 0.995 for each of the two metrics),
 *   (b) the usual fixed threshold `result[0] < 0.05` on the canary's error rate over 1m,
 *   (c) `result[0] < 1.5` on canary ÷ baseline error rate over 1m, computed in PromQL.
 * Samples are generated in-process and fed to the same judge code the analysis runs
 * (judgeSamples, recordJudgement); 36,000 runs through a loopback Prometheus fake would not fit
 * the time budget. Everything is seeded: two runs print the same table.
 */
import { seededRandom, type Random } from '../src/analysis/judge/random.js';
import { createJudgeRun, recordJudgement } from '../src/analysis/judge/judge-run.js';
import { judgeSamples, type MetricSamples } from '../src/analysis/judge/judgement.js';
import { parseJudgeText, resolveJudge } from '../src/analysis/judge/judges.js';
import type { Benchmark, BenchmarkResult } from './support/benchmark.js';
import { round } from './support/stats.js';
import type { Table } from './support/table.js';

const RUNS = 1000;
const STEP_S = 5;
const INTERVAL_S = 60;
const COUNT = 3;
const BASE_ERROR = 0.004;
const BASE_LOG_P95 = Math.log(0.25);
/** Spread of request latency in log space; a 5 s bucket's p95 is estimated from its requests. */
const LATENCY_SIGMA = 0.5;

const JUDGE_YAML = `
apiVersion: opsbox.dev/v1alpha1
kind: CanaryJudge
metadata: { name: bench-judge }
spec:
  interval: 1m
  count: ${COUNT}
  lookback: 5m
  step: ${STEP_S}s
  confidence: 0.99
  thresholds: { pass: 95, marginal: 75 }
  metrics:
    - { name: error-rate, canary: c, baseline: b, direction: increase, tolerance: 0.25, critical: true, minSamples: 10 }
    - { name: latency-p95, canary: c, baseline: b, direction: increase, tolerance: 0.1, critical: true, minSamples: 10 }
`;

interface Scenario {
  name: string;
  family: 'healthy' | 'error rate' | 'latency' | 'low traffic';
  /** Requests per second per version. */
  rps: number;
  /** Error probability of a version at a time (seconds since the weight was applied). */
  errorRate(version: 'canary' | 'stable', t: number): number;
  /** Multiplier of p95 latency. */
  latency(version: 'canary' | 'stable', t: number): number;
  /** Service-wide noise: per-minute factor on both versions' error rate. */
  noise?: number;
  regression: boolean;
}

const steady = () => 1;
const SCENARIOS: Scenario[] = [
  { name: 'steady, 200 rps', family: 'healthy', rps: 200, errorRate: () => BASE_ERROR, latency: steady, regression: false },
  { name: 'baseline noise ±40%/min', family: 'healthy', rps: 200, errorRate: () => BASE_ERROR, latency: steady, noise: 0.4, regression: false },
  { name: 'slow drift ×2 over 3m (both)', family: 'healthy', rps: 200, errorRate: (_v, t) => BASE_ERROR * (1 + t / 180), latency: (_v, t) => 1 + t / 360, regression: false },
  {
    name: 'bad minute 1-2m (both 5%)',
    family: 'healthy',
    rps: 200,
    errorRate: (_v, t) => (t >= 60 && t < 120 ? 0.05 : BASE_ERROR),
    latency: (_v, t) => (t >= 60 && t < 120 ? 2 : 1),
    regression: false,
  },
  { name: 'low traffic, 10 rps', family: 'low traffic', rps: 10, errorRate: () => BASE_ERROR, latency: steady, regression: false },
  { name: 'low traffic, 1 rps', family: 'low traffic', rps: 1, errorRate: () => BASE_ERROR, latency: steady, regression: false },
  ...[1.5, 2, 5].map(
    (factor): Scenario => ({
      name: `error rate ×${factor}, 200 rps`,
      family: 'error rate',
      rps: 200,
      errorRate: (v) => (v === 'canary' ? BASE_ERROR * factor : BASE_ERROR),
      latency: steady,
      regression: true,
    }),
  ),
  { name: 'error rate ×5, 1 rps', family: 'low traffic', rps: 1, errorRate: (v) => (v === 'canary' ? BASE_ERROR * 5 : BASE_ERROR), latency: steady, regression: true },
  ...[0.2, 0.5, 1].map(
    (increase): Scenario => ({
      name: `p95 latency +${increase * 100}%, 200 rps`,
      family: 'latency',
      rps: 200,
      errorRate: () => BASE_ERROR,
      latency: (v) => (v === 'canary' ? 1 + increase : 1),
      regression: true,
    }),
  ),
];

function standardNormal(random: Random): number {
  // Box-Muller; 1 − u keeps the logarithm finite.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function poisson(random: Random, mean: number): number {
  if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * standardNormal(random)));
  const limit = Math.exp(-mean);
  let k = 0;
  let product = random();
  while (product > limit && k < 1000) {
    k++;
    product *= random();
  }
  return k;
}

interface Bucket {
  requests: number;
  errors: number;
  p95: number;
}

/** One 5 s bucket of one version: requests, errors, and the p95 estimated from that many requests. */
function bucket(random: Random, scenario: Scenario, version: 'canary' | 'stable', t: number, noise: number): Bucket {
  const requests = poisson(random, scenario.rps * STEP_S);
  const errors = poisson(random, requests * Math.min(1, scenario.errorRate(version, t) * noise));
  // Sampling error of a p95 from n log-normal requests: sd ≈ σ·√(p(1−p)/n)/φ(z₀.₉₅).
  const spread = requests > 0 ? (LATENCY_SIGMA * Math.sqrt(0.95 * 0.05 / requests)) / 0.1031 : Number.NaN;
  const p95 = requests > 0 ? Math.exp(BASE_LOG_P95 + Math.log(scenario.latency(version, t)) + spread * standardNormal(random)) : Number.NaN;
  return { requests, errors: Math.min(errors, requests), p95 };
}

interface RunOutcome {
  /** Interval (1-based) of the judgement that failed the canary, or 0. */
  failedAt: number;
  inconclusive: boolean;
  /** Canary requests that errored before the rollback (or the end of the step). */
  blastRadius: number;
}

type JudgeName = 'a' | 'b' | 'c';

function simulate(scenario: Scenario, seed: number): Record<JudgeName, RunOutcome> {
  const random = seededRandom(seed);
  const steps = (COUNT * INTERVAL_S) / STEP_S;
  const canary: Bucket[] = [];
  const stable: Bucket[] = [];
  let noise = 1;
  for (let index = 0; index < steps; index++) {
    const t = index * STEP_S;
    if (scenario.noise && t % 60 === 0) noise = Math.exp(scenario.noise * standardNormal(random));
    canary.push(bucket(random, scenario, 'canary', t, noise));
    stable.push(bucket(random, scenario, 'stable', t, noise));
  }
  const errorsUntil = (seconds: number) => canary.slice(0, seconds / STEP_S).reduce((sum, b) => sum + b.errors, 0);
  const rate = (buckets: Bucket[]) => {
    const requests = buckets.reduce((sum, b) => sum + b.requests, 0);
    return requests === 0 ? Number.NaN : buckets.reduce((sum, b) => sum + b.errors, 0) / requests;
  };

  const outcomes = {} as Record<JudgeName, RunOutcome>;
  // (a) the CanaryJudge: one judgement per interval over every sample since the weight was applied.
  let state = createJudgeRun(JUDGE);
  for (let interval = 1; interval <= COUNT && state.phase === 'Running'; interval++) {
    const upTo = (interval * INTERVAL_S) / STEP_S;
    const samples = new Map<string, MetricSamples>([
      ['error-rate', { canary: canary.slice(0, upTo).map((b) => (b.requests ? b.errors / b.requests : Number.NaN)), baseline: stable.slice(0, upTo).map((b) => (b.requests ? b.errors / b.requests : Number.NaN)) }],
      ['latency-p95', { canary: canary.slice(0, upTo).map((b) => b.p95), baseline: stable.slice(0, upTo).map((b) => b.p95) }],
    ]);
    state = recordJudgement(JUDGE, state, { at: interval * INTERVAL_S * 1000, result: judgeSamples(JUDGE, samples) });
    if (state.phase === 'Failed') outcomes.a = { failedAt: interval, inconclusive: false, blastRadius: errorsUntil(interval * INTERVAL_S) };
  }
  outcomes.a ??= { failedAt: 0, inconclusive: state.phase === 'Inconclusive', blastRadius: errorsUntil(COUNT * INTERVAL_S) };

  // (b) and (c): instant queries over the last minute at each interval; failure limit 0.
  const thresholdRun = (fails: (canaryRate: number, stableRate: number) => boolean): RunOutcome => {
    for (let interval = 1; interval <= COUNT; interval++) {
      const from = ((interval - 1) * INTERVAL_S) / STEP_S;
      const to = (interval * INTERVAL_S) / STEP_S;
      if (fails(rate(canary.slice(from, to)), rate(stable.slice(from, to)))) {
        return { failedAt: interval, inconclusive: false, blastRadius: errorsUntil(interval * INTERVAL_S) };
      }
    }
    return { failedAt: 0, inconclusive: false, blastRadius: errorsUntil(COUNT * INTERVAL_S) };
  };
  // `result[0] < 0.05`: NaN (no requests) fails the condition, as in Argo.
  outcomes.b = thresholdRun((c) => !(c < 0.05));
  // `result[0] < 1.5` on canary ÷ baseline: 0 ÷ 0 is NaN, which fails too.
  outcomes.c = thresholdRun((c, s) => !(c / s < 1.5));
  return outcomes;
}

const JUDGE = resolveJudge(parseJudgeText(JUDGE_YAML, 'bench/judgment.ts')[0]);

interface Row {
  scenario: string;
  family: string;
  regression: boolean;
  judge: JudgeName;
  within1: number;
  within2: number;
  within3: number;
  inconclusive: number;
  blastRadius: number;
}

const percent = (count: number) => round((100 * count) / RUNS, 1);

export const judgmentBenchmark: Benchmark = {
  name: 'judgment',
  description: 'CanaryJudge vs fixed thresholds: detection, false alarms, blast radius (1,000 seeded runs per scenario)',
  async run(log): Promise<BenchmarkResult> {
    const rows: Row[] = [];
    SCENARIOS.forEach((scenario, scenarioIndex) => {
      const counts: Record<JudgeName, { failed: number[]; inconclusive: number; blast: number }> = {
        a: { failed: [0, 0, 0, 0], inconclusive: 0, blast: 0 },
        b: { failed: [0, 0, 0, 0], inconclusive: 0, blast: 0 },
        c: { failed: [0, 0, 0, 0], inconclusive: 0, blast: 0 },
      };
      for (let run = 0; run < RUNS; run++) {
        const outcomes = simulate(scenario, (scenarioIndex + 1) * 1_000_003 + run);
        for (const judge of ['a', 'b', 'c'] as const) {
          const outcome = outcomes[judge];
          counts[judge].failed[outcome.failedAt]++;
          if (outcome.inconclusive) counts[judge].inconclusive++;
          counts[judge].blast += outcome.blastRadius;
        }
      }
      for (const judge of ['a', 'b', 'c'] as const) {
        const failed = counts[judge].failed;
        rows.push({
          scenario: scenario.name,
          family: scenario.family,
          regression: scenario.regression,
          judge,
          within1: percent(failed[1]),
          within2: percent(failed[1] + failed[2]),
          within3: percent(failed[1] + failed[2] + failed[3]),
          inconclusive: percent(counts[judge].inconclusive),
          blastRadius: round(counts[judge].blast / RUNS, 1),
        });
      }
      log(`judgment: ${scenario.name} done`);
    });

    const table = (title: string, regression: boolean): Table => ({
      title,
      head: regression
        ? ['scenario', 'judge', 'caught ≤1 interval %', '≤2 %', '≤3 %', 'canary errors before rollback']
        : ['scenario', 'judge', 'false alarm ≤1 %', '≤2 %', '≤3 % (all)', 'inconclusive %'],
      rows: rows
        .filter((row) => row.regression === regression)
        .map((row) => [row.scenario, row.judge, row.within1, row.within2, row.within3, regression ? row.blastRadius : row.inconclusive]),
      notes: [
        '(a) CanaryJudge, Mann-Whitney, confidence 0.99 per judgement (0.995 per metric), tolerance 25% (errors) / 10% (p95), both critical; (b) result[0] < 0.05 on canary errors; (c) result[0] < 1.5 on canary ÷ baseline errors',
        `interval 1m, count ${COUNT}, step ${STEP_S}s (one sample per step, rate over the step), ${RUNS} seeded runs per scenario`,
      ],
    });
    const healthy = rows.filter((row) => !row.regression && row.judge === 'a');
    const worstFalseAlarm = Math.max(...healthy.map((row) => row.within3));
    const target = rows.filter(
      (row) => row.judge === 'a' && row.regression && /×(2|5), 200|\+(50|100)%/.test(row.scenario),
    );
    const worstCaught = Math.min(...target.map((row) => row.within2));
    return {
      figures: { rows, judgeWorstFalseAlarmPercent: worstFalseAlarm, judgeWorstCaughtWithin2Percent: worstCaught },
      tables: [
        table('Judgment: healthy canaries (false alarms)', false),
        {
          ...table('Judgment: regressions (detection)', true),
          notes: [
            ...(table('', true).notes ?? []),
            `targets for (a): ≥ 99% of ≥ 2× error / ≥ +50% latency caught within 2 intervals (worst: ${worstCaught}%); ≤ 1% false alarms on healthy canaries (worst: ${worstFalseAlarm}%)`,
          ],
        },
      ],
    };
  },
};
