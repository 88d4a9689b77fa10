/**
 * Figure 5: condition evaluations per second, called the way the analysis calls them
 * (`evaluateCondition(source, { result })`, the compiled condition found in the cache by its text).
 * Each case runs in rounds until a time budget or a count is reached, whichever comes first.
 */
import { evaluateCondition } from '../src/analysis/expr/index.js';
import type { Benchmark, BenchmarkResult } from './support/benchmark.js';
import { round } from './support/stats.js';

const CONDITIONS = ['result[0] < 0.05', 'all(result, # < 0.05)', 'len(result) == 0 || result[0] >= 0.95'];
const VECTOR_SIZES = [1, 100];
const BUDGET_MS = 600;
const MAX_EVALUATIONS = 20_000_000;
const ROUND = 2_000;

interface Case {
  condition: string;
  values: number;
  evaluations: number;
  perSecond: number;
  nanosecondsEach: number;
}

/** Values under every threshold, so `all` visits every element and no condition stops early on a miss. */
function vector(size: number): number[] {
  return Array.from({ length: size }, (_, i) => 0.01 + (i % 10) / 1000);
}

function measure(condition: string, values: number[]): Case {
  const env = { result: values };
  let sink = 0;
  for (let i = 0; i < ROUND * 5; i++) sink += evaluateCondition(condition, env) ? 1 : 0; // warm up the JIT
  let evaluations = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(BUDGET_MS) * 1_000_000n;
  let now = start;
  while (now < deadline && evaluations < MAX_EVALUATIONS) {
    for (let i = 0; i < ROUND; i++) sink += evaluateCondition(condition, env) ? 1 : 0;
    evaluations += ROUND;
    now = process.hrtime.bigint();
  }
  if (sink < 0) throw new Error('unreachable'); // keeps the results alive
  const seconds = Number(now - start) / 1e9;
  return {
    condition,
    values: values.length,
    evaluations,
    perSecond: Math.round(evaluations / seconds),
    nanosecondsEach: round((seconds * 1e9) / evaluations, 0),
  };
}

export const conditionsBenchmark: Benchmark = {
  name: 'conditions',
  description: 'condition evaluations per second on vectors of 1 and 100 values',
  async run(log): Promise<BenchmarkResult> {
    log('conditions: evaluating');
    const cases: Case[] = [];
    for (const condition of CONDITIONS) for (const size of VECTOR_SIZES) cases.push(measure(condition, vector(size)));
    return {
      figures: { budgetMsPerCase: BUDGET_MS, cases },
      tables: [
        {
          title: 'conditions: evaluateCondition(source, { result }) as the analysis calls it',
          head: ['condition', 'values', 'evaluations/s', 'ns each'],
          rows: cases.map((c) => [c.condition, c.values, c.perSecond, c.nanosecondsEach]),
        },
      ],
    };
  },
};
