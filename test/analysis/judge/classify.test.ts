import { describe, it, expect } from '@jest/globals';
import { compareSamples, type ComparisonRule } from '../../../src/analysis/judge/classify.js';
import { scoreJudgement, type ScoredMetric } from '../../../src/analysis/judge/score.js';

const rule: ComparisonRule = {
  test: 'mann-whitney',
  quantile: 0.95,
  confidence: 0.98,
  direction: 'increase',
  tolerance: 0.25,
  minEffect: 0,
  minSamples: 10,
};

const series = (count: number, at: (index: number) => number) => Array.from({ length: count }, (_, index) => at(index));
const around = (center: number, spread: number) => series(20, (i) => center + spread * ((i * 7) % 20) / 20);

describe('compareSamples', () => {
  it('passes a canary that looks like the baseline', () => {
    const result = compareSamples(around(0.004, 0.001), around(0.004, 0.001), rule);
    expect(result.classification).toBe('Pass');
    expect(result.effect).toBe(0);
    expect(result.canary).toEqual({ n: 20, median: expect.any(Number) });
  });

  it('classifies a doubled error rate as High', () => {
    const result = compareSamples(around(0.008, 0.001), around(0.004, 0.001), rule);
    expect(result.classification).toBe('High');
    expect(result.effect).toBeCloseTo(0.004, 6);
    expect(result.relativeEffect).toBeGreaterThan(0.25);
    expect(result.pValue).toBeLessThan(0.02);
  });

  it('accepts a significant change below the relative tolerance', () => {
    const result = compareSamples(around(0.0044, 0.0001), around(0.004, 0.0001), rule);
    expect(result.pValue).toBeLessThan(0.02);
    expect(result.classification).toBe('Pass');
  });

  it('accepts a significant change below minEffect whatever the baseline', () => {
    const result = compareSamples(around(0.008, 0.001), around(0.004, 0.001), { ...rule, minEffect: 0.01 });
    expect(result.classification).toBe('Pass');
  });

  it('ignores an improvement when only an increase is bad, and reports it as Low when either is', () => {
    expect(compareSamples(around(0.002, 0.001), around(0.004, 0.001), rule).classification).toBe('Pass');
    expect(compareSamples(around(0.002, 0.001), around(0.004, 0.001), { ...rule, direction: 'either' }).classification).toBe('Low');
    expect(compareSamples(around(0.002, 0.001), around(0.004, 0.001), { ...rule, direction: 'decrease' }).classification).toBe('Low');
    expect(compareSamples(around(0.008, 0.001), around(0.004, 0.001), { ...rule, direction: 'decrease' }).classification).toBe('Pass');
  });

  it('judges heavily tied samples (mostly zero error rates)', () => {
    const baseline = series(20, (i) => (i % 10 === 0 ? 0.01 : 0));
    const canary = series(20, (i) => (i % 10 === 0 ? 0.01 : 0));
    expect(compareSamples(canary, baseline, rule).classification).toBe('Pass');
    const worse = series(20, (i) => (i % 4 === 0 ? 0 : 0.02));
    expect(compareSamples(worse, baseline, rule).classification).toBe('High');
  });

  it('passes all-equal samples on both sides', () => {
    const result = compareSamples(series(20, () => 5), series(20, () => 5), rule);
    expect(result).toMatchObject({ classification: 'Pass', pValue: 1, effect: 0, relativeEffect: 0 });
  });

  it('drops NaN samples and counts only the finite ones', () => {
    const canary = [...around(0.004, 0.001), Number.NaN, Number.NaN];
    const result = compareSamples(canary, around(0.004, 0.001), rule);
    expect(result.canary.n).toBe(20);
    expect(result.classification).toBe('Pass');
  });

  it('is NoData when a side has fewer than minSamples finite samples (sparse errors are not a pass)', () => {
    const sparse = [...series(9, () => 0.5), ...series(11, () => Number.NaN)];
    const result = compareSamples(sparse, around(0.004, 0.001), rule);
    expect(result).toMatchObject({ classification: 'NoData', canary: { n: 9 }, effect: null, pValue: null });
  });

  it('is NoData for empty series', () => {
    expect(compareSamples([], [], rule)).toMatchObject({ classification: 'NoData', canary: { n: 0, median: null } });
    expect(compareSamples([], [], { ...rule, minSamples: 0 }).classification).toBe('NoData');
  });

  it('fails a non-zero canary against a zero baseline instead of calling the relative change small', () => {
    const result = compareSamples(series(20, (i) => 0.01 + i * 0.0001), series(20, () => 0), rule);
    expect(result.classification).toBe('High');
    expect(result.relativeEffect).toBeNull();
  });

  it('lets minEffect accept a tiny change against a zero baseline', () => {
    const result = compareSamples(series(20, (i) => 0.0001 + i * 0.000001), series(20, () => 0), { ...rule, minEffect: 0.001 });
    expect(result.classification).toBe('Pass');
  });

  it('fails a non-zero canary against a baseline whose samples are NaN once enough remain at zero', () => {
    const baseline = series(30, (i) => (i % 3 === 0 ? Number.NaN : 0));
    const result = compareSamples(series(20, () => 0.02), baseline, rule);
    expect(result.baseline.n).toBe(20);
    expect(result.classification).toBe('High');
  });

  describe('a baseline whose every sample is NaN (the stable version served nothing)', () => {
    const idle = (count: number) => series(count, () => Number.NaN);

    it('is read as zero, so a failing canary is High rather than NoData', () => {
      const result = compareSamples(series(20, (i) => 0.01 + i * 0.0001), idle(20), rule);
      expect(result).toMatchObject({ classification: 'High', baseline: { n: 20, median: 0 }, relativeEffect: null });
      expect(result.effect).toBeGreaterThan(0.01);
    });

    it('passes a canary that failed nothing either (all tied at zero)', () => {
      const result = compareSamples(series(20, () => 0), idle(20), rule);
      expect(result).toMatchObject({ classification: 'Pass', effect: 0, pValue: 1 });
    });

    it('passes a canary whose change stays within minEffect', () => {
      const result = compareSamples(series(20, (i) => 0.0001 + i * 0.000001), idle(20), { ...rule, minEffect: 0.001 });
      expect(result.classification).toBe('Pass');
    });

    it('still needs evidence: a single failing step of the canary is not significant', () => {
      const result = compareSamples(series(20, (i) => (i === 7 ? 0.2 : 0)), idle(20), rule);
      expect(result.classification).toBe('Pass');
    });

    it('is never Low against a canary that is not negative, even when a decrease is bad', () => {
      const result = compareSamples(series(20, () => 0.01), idle(20), { ...rule, direction: 'decrease' });
      expect(result.classification).toBe('Pass');
    });

    it('is NoData with fewer than minSamples timestamps: a missing series is not an idle one', () => {
      expect(compareSamples(series(20, () => 0.02), idle(9), rule)).toMatchObject({ classification: 'NoData', baseline: { n: 0, median: null } });
      expect(compareSamples(series(20, () => 0.02), [], rule).classification).toBe('NoData');
    });

    it('is NoData when the canary has no finite samples either: a NaN canary never passes or fails by default', () => {
      expect(compareSamples(idle(20), idle(20), rule).classification).toBe('NoData');
      expect(compareSamples(idle(20), series(20, () => 0.004), rule)).toMatchObject({ classification: 'NoData', canary: { n: 0 } });
    });

    it('is only the all-NaN case: a baseline with a few finite samples among NaN is sparse, so NoData', () => {
      const sparse = series(20, (i) => (i < 3 ? 0.004 : Number.NaN));
      expect(compareSamples(series(20, () => 0.02), sparse, rule)).toMatchObject({ classification: 'NoData', baseline: { n: 3 } });
    });

    it('does not read ±Infinity as an idle version', () => {
      expect(compareSamples(series(20, () => 0.02), series(20, () => Number.POSITIVE_INFINITY), rule).classification).toBe('NoData');
    });
  });

  it('misses a longer tail with the rank test but catches it with the tail test', () => {
    const baseline = series(40, (i) => 100 + ((i * 13) % 40));
    const canary = baseline.map((value, i) => (i % 5 === 0 ? value * 2.5 : value));
    expect(compareSamples(canary, baseline, rule).classification).toBe('Pass');
    const tail = compareSamples(canary, baseline, { ...rule, test: 'tail' });
    expect(tail.classification).toBe('High');
    expect(tail.canary.median).toBeGreaterThan(tail.baseline.median ?? Infinity);
  });
});

describe('scoreJudgement', () => {
  const metric = (name: string, classification: ScoredMetric['classification'], extra: Partial<ScoredMetric> = {}): ScoredMetric => ({
    name,
    classification,
    weight: 1,
    critical: false,
    noData: 'inconclusive',
    ...extra,
  });
  const thresholds = { pass: 95, marginal: 75 };

  it('is Successful when every metric passes', () => {
    expect(scoreJudgement([metric('a', 'Pass'), metric('b', 'Pass')], thresholds)).toMatchObject({ score: 100, phase: 'Successful' });
  });

  it('weighs metrics and maps the score through pass and marginal', () => {
    const four = [metric('a', 'Pass', { weight: 3 }), metric('b', 'High')];
    expect(scoreJudgement(four, thresholds)).toMatchObject({ score: 75, phase: 'Inconclusive' });
    expect(scoreJudgement([metric('a', 'Pass'), metric('b', 'Low')], thresholds)).toMatchObject({ score: 50, phase: 'Failed' });
  });

  it('fails on a failing critical metric whatever the score', () => {
    const metrics = [metric('a', 'Pass', { weight: 99 }), metric('b', 'High', { critical: true })];
    expect(scoreJudgement(metrics, thresholds)).toMatchObject({ score: 99, phase: 'Failed', reason: expect.stringContaining('b') });
  });

  it('applies the noData policy', () => {
    expect(scoreJudgement([metric('a', 'Pass'), metric('b', 'NoData', { noData: 'pass' })], thresholds).phase).toBe('Successful');
    expect(scoreJudgement([metric('a', 'Pass'), metric('b', 'NoData', { noData: 'fail', critical: true })], thresholds).phase).toBe('Failed');
    expect(scoreJudgement([metric('a', 'Pass'), metric('b', 'NoData')], thresholds)).toMatchObject({ score: 100, phase: 'Inconclusive' });
    expect(scoreJudgement([metric('b', 'NoData')], thresholds)).toMatchObject({ score: null, phase: 'Inconclusive' });
  });

  it('does not count dry-run metrics', () => {
    expect(scoreJudgement([metric('a', 'Pass'), metric('b', 'High', { critical: true, dryRun: true })], thresholds)).toMatchObject({
      score: 100,
      phase: 'Successful',
    });
  });
});
