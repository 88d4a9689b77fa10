/**
 * Tail test: compares an upper quantile of the canary with the same quantile of the baseline and
 * puts a bootstrap interval around the difference. A rank test looks at the whole distribution
 * and can miss a canary whose median is unchanged but whose slowest requests got slower; this
 * test looks only at the tail.
 */
import { seededRandom } from './random.js';
import { quantileOfSorted, sorted } from './samples.js';

export interface TailTestOptions {
  /** The upper quantile compared, e.g. 0.95. */
  readonly quantile: number;
  readonly confidence: number;
  readonly resamples?: number;
  readonly seed?: number;
}

export interface TailTestResult {
  /** Canary quantile − baseline quantile. */
  readonly difference: number;
  readonly canaryQuantile: number;
  readonly baselineQuantile: number;
  /** Percentile bootstrap interval of the difference at the requested confidence. */
  readonly interval: readonly [number, number];
  /** Two-sided bootstrap p-value: twice the share of resampled differences on the far side of 0. */
  readonly pValue: number;
}

export const DEFAULT_RESAMPLES = 1000;
export const DEFAULT_SEED = 0x5eed;

function resampleQuantile(ascending: readonly number[], q: number, random: () => number, scratch: Float64Array): number {
  const n = ascending.length;
  for (let index = 0; index < n; index++) scratch[index] = ascending[Math.floor(random() * n)];
  // Typed arrays sort numerically without a comparator, which keeps the bootstrap fast.
  scratch.sort();
  return quantileOfSorted(scratch, q);
}

export function tailTest(canary: readonly number[], baseline: readonly number[], options: TailTestOptions): TailTestResult {
  const canarySorted = sorted(canary);
  const baselineSorted = sorted(baseline);
  const canaryQuantile = quantileOfSorted(canarySorted, options.quantile);
  const baselineQuantile = quantileOfSorted(baselineSorted, options.quantile);
  const difference = canaryQuantile - baselineQuantile;
  if (canary.length === 0 || baseline.length === 0) {
    return { difference, canaryQuantile, baselineQuantile, interval: [Number.NaN, Number.NaN], pValue: 1 };
  }
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const random = seededRandom(options.seed ?? DEFAULT_SEED);
  const canaryScratch = new Float64Array(canary.length);
  const baselineScratch = new Float64Array(baseline.length);
  const differences = new Float64Array(resamples);
  let atOrBelowZero = 0;
  let atOrAboveZero = 0;
  for (let index = 0; index < resamples; index++) {
    const d =
      resampleQuantile(canarySorted, options.quantile, random, canaryScratch) -
      resampleQuantile(baselineSorted, options.quantile, random, baselineScratch);
    differences[index] = d;
    if (d <= 0) atOrBelowZero++;
    if (d >= 0) atOrAboveZero++;
  }
  differences.sort();
  const alpha = 1 - options.confidence;
  const interval: [number, number] = [quantileOfSorted(differences, alpha / 2), quantileOfSorted(differences, 1 - alpha / 2)];
  const pValue = Math.min(1, (2 * Math.min(atOrBelowZero, atOrAboveZero)) / resamples);
  return { difference, canaryQuantile, baselineQuantile, interval, pValue };
}
