/**
 * Classifies one metric of a judgement: canary samples against baseline samples.
 *
 * A metric is High or Low only when the change is statistically significant, larger than
 * `minEffect` in absolute terms, larger than `tolerance` relative to the baseline, and in the
 * direction the template calls bad. A baseline of zero makes every relative change infinite: a
 * canary that starts failing where the stable version never did is not a "small" change.
 *
 * A NaN sample is a step without a measurement (0 ÷ 0: no requests) and is dropped. One case is
 * read differently: a baseline that has samples at `minSamples` timestamps or more, every one of
 * them NaN. The stable version then served nothing (or has no error series), so it failed
 * nothing: the baseline is read as zero at each of those timestamps, and the canary is compared
 * with that as with any zero baseline. Otherwise a baseline without traffic would hide a failing
 * canary as NoData. The canary's NaN samples are never read as zero.
 */
import { hodgesLehmannShift } from './hodges-lehmann.js';
import { mannWhitneyU } from './mann-whitney.js';
import { finiteValues, median } from './samples.js';
import { tailTest } from './tail.js';

export type JudgeTest = 'mann-whitney' | 'tail';
export type Direction = 'increase' | 'decrease' | 'either';
export type NoDataPolicy = 'pass' | 'fail' | 'inconclusive';
export type Classification = 'Pass' | 'High' | 'Low' | 'NoData';

/** How a metric is compared: the statistical part of a CanaryJudge metric. */
export interface ComparisonRule {
  readonly test: JudgeTest;
  /** Upper quantile compared by the tail test. */
  readonly quantile: number;
  readonly confidence: number;
  readonly direction: Direction;
  readonly tolerance: number;
  readonly minEffect: number;
  readonly minSamples: number;
  /** Seed of the tail test's bootstrap, so a judgement can be repeated. */
  readonly seed?: number;
}

export interface SampleSummary {
  /** Samples used: the finite ones (NaN samples are dropped), or the zeros of an all-NaN baseline. */
  readonly n: number;
  /** Median, or the compared quantile for the tail test; null without samples. */
  readonly median: number | null;
}

export interface MetricComparison {
  readonly canary: SampleSummary;
  readonly baseline: SampleSummary;
  /** Absolute change, canary − baseline: Hodges-Lehmann shift, or quantile difference for the tail test. */
  readonly effect: number | null;
  /** effect ÷ |baseline median (or quantile)|; null when the baseline is 0 and the effect is not. */
  readonly relativeEffect: number | null;
  readonly pValue: number | null;
  readonly classification: Classification;
}

const nullable = (value: number): number | null => (Number.isFinite(value) ? value : null);

function summary(values: readonly number[], center: number): SampleSummary {
  return { n: values.length, median: values.length === 0 ? null : nullable(center) };
}

/**
 * The baseline samples a comparison uses: the finite ones, or zeros when the baseline has at least
 * `minSamples` timestamps and every sample is NaN (the stable version served nothing). A series
 * with fewer timestamps is missing, not idle, and stays empty.
 */
export function usableBaseline(baselineSeries: readonly number[], minSamples: number): number[] {
  const finite = finiteValues(baselineSeries);
  if (finite.length > 0 || baselineSeries.length < Math.max(1, minSamples)) return finite;
  const allNaN = baselineSeries.every((value) => Number.isNaN(value));
  return allNaN ? baselineSeries.map(() => 0) : finite;
}

/** Whether both sides have enough samples to be compared (otherwise the metric is NoData). */
export function hasEnoughSamples(canarySeries: readonly number[], baselineSeries: readonly number[], minSamples: number): boolean {
  const enough = (count: number) => count > 0 && count >= minSamples;
  return enough(finiteValues(canarySeries).length) && enough(usableBaseline(baselineSeries, minSamples).length);
}

/** Compares canary samples with baseline samples under `rule`. Inputs may contain NaN. */
export function compareSamples(canarySeries: readonly number[], baselineSeries: readonly number[], rule: ComparisonRule): MetricComparison {
  const canary = finiteValues(canarySeries);
  const baseline = usableBaseline(baselineSeries, rule.minSamples);

  if (!hasEnoughSamples(canarySeries, baselineSeries, rule.minSamples)) {
    return {
      canary: summary(canary, median(canary)),
      baseline: summary(baseline, median(baseline)),
      effect: null,
      relativeEffect: null,
      pValue: null,
      classification: 'NoData',
    };
  }

  let effect: number;
  let baselineCenter: number;
  let canaryCenter: number;
  let pValue: number;
  let significant: boolean;
  if (rule.test === 'tail') {
    const result = tailTest(canary, baseline, { quantile: rule.quantile, confidence: rule.confidence, seed: rule.seed });
    effect = result.difference;
    baselineCenter = result.baselineQuantile;
    canaryCenter = result.canaryQuantile;
    pValue = result.pValue;
    // The interval excluding zero is the decision; the p-value is shown for comparison.
    significant = result.interval[0] > 0 || result.interval[1] < 0;
  } else {
    const result = mannWhitneyU(canary, baseline);
    effect = hodgesLehmannShift(canary, baseline);
    baselineCenter = median(baseline);
    canaryCenter = median(canary);
    pValue = result.pValue;
    significant = pValue < 1 - rule.confidence;
  }

  const relativeEffect = baselineCenter !== 0 ? effect / Math.abs(baselineCenter) : effect === 0 ? 0 : null;
  const beyondTolerance = relativeEffect === null || Math.abs(relativeEffect) > rule.tolerance;
  const meaningful = significant && Math.abs(effect) > rule.minEffect && beyondTolerance;

  let classification: Classification = 'Pass';
  if (meaningful && effect > 0 && rule.direction !== 'decrease') classification = 'High';
  if (meaningful && effect < 0 && rule.direction !== 'increase') classification = 'Low';

  return {
    canary: summary(canary, canaryCenter),
    baseline: summary(baseline, baselineCenter),
    effect: nullable(effect),
    relativeEffect: relativeEffect === null ? null : nullable(relativeEffect),
    pValue,
    classification,
  };
}
