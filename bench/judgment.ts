/**
 * Figure 6: how well a canary is judged. Seeded synthetic services (stable and canary side by side)
 * produce per-step error rates and p95 latencies; three judges decide on them:
 *   (a) the CanaryJudge (Mann-Whitney on error rate and p95 latency, both critical, confidence 0.99
 *       for the judgement, so 0.995 for each of the two metrics),
 *   (b) the usual fixed threshold `result[0] < 0.05` on the canary's error rate over 1m,
 *   (c) `result[0] < 1.5` on canary ÷ baseline error rate over 1m, computed in PromQL.
 * Every run goes the app's way: a synthetic Prometheus on loopback serves the run's series, the
 * judge runs through runJudge (range queries) and the templates through runAnalysis (instant
 * queries, conditions), every query over HTTP, and the table counts those verdicts. As a check on
 * the fake and the transport, each verdict must also equal that of the same seeded run with its
 * samples fed straight to the judge code (judgeSamples, recordJudgement), or the benchmark fails.
 * Everything is seeded: two runs print the same table.
 */
import { createAllowlist } from '../src/analysis/allowlist.js';
import { createJudgeRun, recordJudgement } from '../src/analysis/judge/judge-run.js';
import { judgeSamples, type MetricSamples } from '../src/analysis/judge/judgement.js';
import { parseJudgeText, resolveJudge, type LoadedJudge, type ResolvedJudge } from '../src/analysis/judge/judges.js';
import { runJudge } from '../src/analysis/judge/measure.js';
import { seededRandom, type Random } from '../src/analysis/judge/random.js';
import { PrometheusProvider } from '../src/analysis/prometheus.js';
import { resolveTemplates } from '../src/analysis/resolve.js';
import { runAnalysis, type Clock } from '../src/analysis/runner.js';
import { parseTemplateText, type LoadedTemplate } from '../src/analysis/templates.js';
import type { Benchmark, BenchmarkResult } from './support/benchmark.js';
import { round } from './support/stats.js';
import { startSyntheticPrometheus, type Bucket, type SyntheticPrometheus, type SyntheticService } from './support/synthetic-prometheus.js';
import type { Table } from './support/table.js';

const RUNS = 1000;
const STEP_S = 5;
const INTERVAL_S = 60;
const COUNT = 3;
const BASE_ERROR = 0.004;
const BASE_LOG_P95 = Math.log(0.25);
/** Spread of request latency in log space; a 5 s bucket's p95 is estimated from its requests. */
const LATENCY_SIGMA = 0.5;

/**
 * Runs in flight at once over HTTP; each has its own virtual clock and series. Above ~16 the
 * client waits less on the server's turn and the run is CPU-bound (measured 48 vs 16: same CPU
 * time, 40% less wall time on a loaded machine).
 */
const CONCURRENCY = 48;
/** Unix ms at which every run's canary weight is applied (fixed, so the queries are too). */
const T0 = Date.UTC(2026, 0, 1);

const errorRatio = (track: string, window: string) =>
  `sum(rate(http_requests_total{service="{{args.service}}",track="${track}",code=~"5.."}[${window}])) / sum(rate(http_requests_total{service="{{args.service}}",track="${track}"}[${window}]))`;
const p95 = (track: string) => `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{args.service}}",track="${track}"}[${STEP_S}s])))`;

const judgeYaml = (address: string) => `
apiVersion: opsbox.dev/v1alpha1
kind: CanaryJudge
metadata: { name: bench-judge }
spec:
  args: [{ name: service }]
  interval: 1m
  count: ${COUNT}
  lookback: 5m
  step: ${STEP_S}s
  confidence: 0.99
  thresholds: { pass: 95, marginal: 75 }
  provider: { prometheus: { address: ${address} } }
  metrics:
    - { name: error-rate, canary: '${errorRatio('canary', `${STEP_S}s`)}', baseline: '${errorRatio('stable', `${STEP_S}s`)}', direction: increase, tolerance: 0.25, critical: true, minSamples: 10 }
    - { name: latency-p95, canary: '${p95('canary')}', baseline: '${p95('stable')}', direction: increase, tolerance: 0.1, critical: true, minSamples: 10 }
`;

/** An AnalysisTemplate measuring once per interval after the first, failing at the first failure. */
const thresholdYaml = (address: string, name: string, query: string, condition: string) => `
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: { name: ${name} }
spec:
  args: [{ name: service }]
  metrics:
    - name: error-rate
      initialDelay: 1m
      interval: 1m
      count: ${COUNT}
      failureLimit: 0
      successCondition: '${condition}'
      provider:
        prometheus:
          address: ${address}
          query: '${query}'
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

/** One 5 s bucket of one version: requests, errors, and the p95 estimated from that many requests. */
function bucket(random: Random, scenario: Scenario, version: 'canary' | 'stable', t: number, noise: number): Bucket {
  const requests = poisson(random, scenario.rps * STEP_S);
  const errors = poisson(random, requests * Math.min(1, scenario.errorRate(version, t) * noise));
  // Sampling error of a p95 from n log-normal requests: sd ≈ σ·√(p(1−p)/n)/φ(z₀.₉₅).
  const spread = requests > 0 ? (LATENCY_SIGMA * Math.sqrt(0.95 * 0.05 / requests)) / 0.1031 : Number.NaN;
  const p95 = requests > 0 ? Math.exp(BASE_LOG_P95 + Math.log(scenario.latency(version, t)) + spread * standardNormal(random)) : Number.NaN;
  return { requests, errors: Math.min(errors, requests), p95 };
}

interface Series {
  canary: Bucket[];
  stable: Bucket[];
}

/** The seeded run: both versions' buckets over the step. */
function generate(scenario: Scenario, seed: number): Series {
  const random = seededRandom(seed);
  const steps = (COUNT * INTERVAL_S) / STEP_S;
  const series: Series = { canary: [], stable: [] };
  let noise = 1;
  for (let index = 0; index < steps; index++) {
    const t = index * STEP_S;
    if (scenario.noise && t % 60 === 0) noise = Math.exp(scenario.noise * standardNormal(random));
    series.canary.push(bucket(random, scenario, 'canary', t, noise));
    series.stable.push(bucket(random, scenario, 'stable', t, noise));
  }
  return series;
}

interface RunOutcome {
  /** Interval (1-based) of the judgement that failed the canary, or 0. */
  failedAt: number;
  inconclusive: boolean;
  /** Canary requests that errored before the rollback (or the end of the step). */
  blastRadius: number;
}

type JudgeName = 'a' | 'b' | 'c';
const JUDGE_NAMES = ['a', 'b', 'c'] as const;

const errorsUntil = (series: Series, seconds: number) => series.canary.slice(0, seconds / STEP_S).reduce((sum, b) => sum + b.errors, 0);

/** The reference: the same samples fed straight to the judge code, no HTTP, no PromQL. */
function judgeInProcess(judge: ResolvedJudge, series: Series): Record<JudgeName, RunOutcome> {
  const { canary, stable } = series;
  const rate = (buckets: Bucket[]) => {
    const requests = buckets.reduce((sum, b) => sum + b.requests, 0);
    return requests === 0 ? Number.NaN : buckets.reduce((sum, b) => sum + b.errors, 0) / requests;
  };

  const outcomes = {} as Record<JudgeName, RunOutcome>;
  // (a) the CanaryJudge: one judgement per interval over every sample since the weight was applied.
  let state = createJudgeRun(judge);
  for (let interval = 1; interval <= COUNT && state.phase === 'Running'; interval++) {
    const upTo = (interval * INTERVAL_S) / STEP_S;
    const samples = new Map<string, MetricSamples>([
      ['error-rate', { canary: canary.slice(0, upTo).map((b) => (b.requests ? b.errors / b.requests : Number.NaN)), baseline: stable.slice(0, upTo).map((b) => (b.requests ? b.errors / b.requests : Number.NaN)) }],
      ['latency-p95', { canary: canary.slice(0, upTo).map((b) => b.p95), baseline: stable.slice(0, upTo).map((b) => b.p95) }],
    ]);
    state = recordJudgement(judge, state, { at: interval * INTERVAL_S * 1000, result: judgeSamples(judge, samples) });
    if (state.phase === 'Failed') outcomes.a = { failedAt: interval, inconclusive: false, blastRadius: errorsUntil(series, interval * INTERVAL_S) };
  }
  outcomes.a ??= { failedAt: 0, inconclusive: state.phase === 'Inconclusive', blastRadius: errorsUntil(series, COUNT * INTERVAL_S) };

  // (b) and (c): instant queries over the last minute at each interval; failure limit 0.
  const thresholdRun = (fails: (canaryRate: number, stableRate: number) => boolean): RunOutcome => {
    for (let interval = 1; interval <= COUNT; interval++) {
      const from = ((interval - 1) * INTERVAL_S) / STEP_S;
      const to = (interval * INTERVAL_S) / STEP_S;
      if (fails(rate(canary.slice(from, to)), rate(stable.slice(from, to)))) {
        return { failedAt: interval, inconclusive: false, blastRadius: errorsUntil(series, interval * INTERVAL_S) };
      }
    }
    return { failedAt: 0, inconclusive: false, blastRadius: errorsUntil(series, COUNT * INTERVAL_S) };
  };
  // `result[0] < 0.05`: NaN (no requests) fails the condition, as in Argo.
  outcomes.b = thresholdRun((c) => !(c < 0.05));
  // `result[0] < 1.5` on canary ÷ baseline: 0 ÷ 0 is NaN, which fails too.
  outcomes.c = thresholdRun((c, s) => !(c / s < 1.5));
  return outcomes;
}

/** Where the HTTP path gets its answers and its judges. */
interface HttpSetup {
  prometheus: SyntheticPrometheus;
  provider: PrometheusProvider;
  judge: LoadedJudge;
  templates: Record<'b' | 'c', LoadedTemplate[]>;
}

/** A clock that jumps instead of sleeping; the service's clock is Prometheus' "now". */
function virtualClock(service: SyntheticService): Clock {
  return {
    now: () => service.nowMs,
    sleep: async (ms) => {
      service.nowMs += Math.max(0, ms);
    },
  };
}

/**
 * The app's path: the judge driven by runJudge (takeJudgement, range queries) and the threshold
 * templates by runAnalysis (takeMeasurement, conditions), all through the Prometheus provider
 * over HTTP to the synthetic Prometheus, which looks the seeded series up by the `service` arg.
 */
async function judgeOverHttp(setup: HttpSetup, series: Series, id: string): Promise<Record<JudgeName, RunOutcome>> {
  const register = (judge: JudgeName) => {
    const name = `${id}-${judge}`;
    const service: SyntheticService = { startMs: T0, stepMs: STEP_S * 1000, canary: series.canary, stable: series.stable, nowMs: T0 };
    setup.prometheus.services.set(name, service);
    return { name, service, args: [{ name: 'service', value: name }] };
  };
  const since = (ms: number) => Math.ceil((ms - T0) / (INTERVAL_S * 1000));

  const runA = async (): Promise<RunOutcome> => {
    const { name, service, args } = register('a');
    try {
      const state = await runJudge(resolveJudge(setup.judge, { args }), { provider: setup.provider, clock: virtualClock(service), weightAppliedAt: T0 });
      if (state.phase === 'Failed') {
        const at = state.judgements[state.judgements.length - 1].at;
        return { failedAt: since(at), inconclusive: false, blastRadius: errorsUntil(series, (at - T0) / 1000) };
      }
      if (state.phase !== 'Successful' && state.phase !== 'Inconclusive') throw new Error(`judge run ${name} ended ${state.phase}: ${state.message ?? ''}`);
      return { failedAt: 0, inconclusive: state.phase === 'Inconclusive', blastRadius: errorsUntil(series, COUNT * INTERVAL_S) };
    } finally {
      setup.prometheus.services.delete(name);
    }
  };
  const runThreshold = async (judge: 'b' | 'c'): Promise<RunOutcome> => {
    const { name, service, args } = register(judge);
    try {
      const { metrics } = resolveTemplates(setup.templates[judge], { args });
      const state = await runAnalysis(metrics, { provider: setup.provider, clock: virtualClock(service) });
      const result = state.results[0];
      if (result.error > 0) throw new Error(`analysis run ${name}: ${result.measurements.find((m) => m.phase === 'Error')?.message ?? 'a measurement failed'}`);
      if (state.phase === 'Failed') {
        const at = Date.parse(result.measurements[result.measurements.length - 1].finishedAt);
        return { failedAt: since(at), inconclusive: false, blastRadius: errorsUntil(series, (at - T0) / 1000) };
      }
      if (state.phase !== 'Successful') throw new Error(`analysis run ${name} ended ${state.phase}: ${state.message ?? ''}`);
      return { failedAt: 0, inconclusive: false, blastRadius: errorsUntil(series, COUNT * INTERVAL_S) };
    } finally {
      setup.prometheus.services.delete(name);
    }
  };
  const [a, b, c] = await Promise.all([runA(), runThreshold('b'), runThreshold('c')]);
  return { a, b, c };
}


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

/** Runs task(0 … count−1) with at most `concurrency` in flight. */
async function inPool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

export const judgmentBenchmark: Benchmark = {
  name: 'judgment',
  description: 'CanaryJudge vs fixed thresholds: detection, false alarms, blast radius (1,000 seeded runs per scenario)',
  async run(log): Promise<BenchmarkResult> {
    const rows: Row[] = [];
    const prometheus = await startSyntheticPrometheus();
    const address = prometheus.url;
    const file = 'bench/judgment.ts';
    const setup: HttpSetup = {
      prometheus,
      provider: new PrometheusProvider({ allowlist: createAllowlist([address]) }),
      judge: parseJudgeText(judgeYaml(address), file)[0],
      templates: {
        b: parseTemplateText(thresholdYaml(address, 'bench-threshold', errorRatio('canary', '1m'), 'result[0] < 0.05'), file),
        c: parseTemplateText(thresholdYaml(address, 'bench-ratio', `(${errorRatio('canary', '1m')}) / (${errorRatio('stable', '1m')})`, 'result[0] < 1.5'), file),
      },
    };
    const inProcessJudge = resolveJudge(setup.judge, { args: [{ name: 'service', value: 'in-process' }] });
    const mismatches: string[] = [];
    let inProcessMs = 0;
    let httpMs = 0;
    let httpCpuMs = 0;
    try {
      for (const [scenarioIndex, scenario] of SCENARIOS.entries()) {
        const seed = (run: number) => (scenarioIndex + 1) * 1_000_003 + run;
        const counts: Record<JudgeName, { failed: number[]; inconclusive: number; blast: number }> = {
          a: { failed: [0, 0, 0, 0], inconclusive: 0, blast: 0 },
          b: { failed: [0, 0, 0, 0], inconclusive: 0, blast: 0 },
          c: { failed: [0, 0, 0, 0], inconclusive: 0, blast: 0 },
        };
        const t0 = performance.now();
        const reference: Record<JudgeName, RunOutcome>[] = [];
        for (let run = 0; run < RUNS; run++) reference.push(judgeInProcess(inProcessJudge, generate(scenario, seed(run))));
        const t1 = performance.now();
        const cpu = process.cpuUsage();
        await inPool(RUNS, CONCURRENCY, async (run) => {
          const overHttp = await judgeOverHttp(setup, generate(scenario, seed(run)), `s${scenarioIndex + 1}-r${run}`);
          for (const judge of JUDGE_NAMES) {
            const [got, want] = [overHttp[judge], reference[run][judge]];
            if (got.failedAt !== want.failedAt || got.inconclusive !== want.inconclusive || got.blastRadius !== want.blastRadius) {
              mismatches.push(`${scenario.name}, run ${run}, judge (${judge}): over HTTP ${JSON.stringify(got)}, in process ${JSON.stringify(want)}`);
            }
            // The table counts what the app decided over HTTP.
            counts[judge].failed[got.failedAt]++;
            if (got.inconclusive) counts[judge].inconclusive++;
            counts[judge].blast += got.blastRadius;
          }
        });
        const t2 = performance.now();
        const used = process.cpuUsage(cpu);
        httpCpuMs += (used.user + used.system) / 1000;
        inProcessMs += t1 - t0;
        httpMs += t2 - t1;
        for (const judge of JUDGE_NAMES) {
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
        log(`judgment: ${scenario.name} done (${RUNS} runs over HTTP: ${Math.round(t2 - t1)} ms; in process: ${Math.round(t1 - t0)} ms)`);
      }
    } finally {
      await prometheus.close();
    }
    if (mismatches.length > 0) {
      throw new Error(`${mismatches.length} verdicts over HTTP differ from the in-process verdict of the same run:\n${mismatches.slice(0, 10).join('\n')}`);
    }
    const httpRuns = RUNS * SCENARIOS.length;
    const http = {
      runs: httpRuns,
      requests: prometheus.requests(),
      seconds: round(httpMs / 1000, 1),
      msPerRun: round(httpMs / httpRuns, 2),
      /** CPU time of this process for the HTTP runs: what they take on an idle machine (client and server share one thread). */
      cpuSeconds: round(httpCpuMs / 1000, 1),
      cpuMsPerRun: round(httpCpuMs / httpRuns, 2),
      inProcessSeconds: round(inProcessMs / 1000, 1),
      inProcessMsPerRun: round(inProcessMs / (RUNS * SCENARIOS.length), 3),
    };
    log(`judgment: ${http.runs} runs over HTTP, ${http.requests} queries, ${http.seconds} s wall, ${http.cpuSeconds} s CPU (${http.cpuMsPerRun} ms a run); in process ${http.inProcessSeconds} s`);

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
        `all ${http.runs} runs judged over HTTP by a synthetic Prometheus on 127.0.0.1 (${http.requests} queries); every verdict equals the in-process one`,
      ],
    });
    const healthy = rows.filter((row) => !row.regression && row.judge === 'a');
    const worstFalseAlarm = Math.max(...healthy.map((row) => row.within3));
    const target = rows.filter(
      (row) => row.judge === 'a' && row.regression && /×(2|5), 200|\+(50|100)%/.test(row.scenario),
    );
    const worstCaught = Math.min(...target.map((row) => row.within2));
    return {
      figures: { rows, http, judgeWorstFalseAlarmPercent: worstFalseAlarm, judgeWorstCaughtWithin2Percent: worstCaught },
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
