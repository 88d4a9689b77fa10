import { describe, it, expect } from '@jest/globals';
import { hodgesLehmannShift } from '../../../src/analysis/judge/hodges-lehmann.js';
import { mannWhitneyU } from '../../../src/analysis/judge/mann-whitney.js';
import { normalUpperTail } from '../../../src/analysis/judge/normal.js';
import { seededRandom } from '../../../src/analysis/judge/random.js';
import { median, quantile } from '../../../src/analysis/judge/samples.js';
import { tailTest } from '../../../src/analysis/judge/tail.js';

describe('normalUpperTail', () => {
  it('matches printed normal tables', () => {
    // Standard normal table: Φ(1.96) = 0.97500, Φ(2.5758) = 0.99500, Φ(1) = 0.84134.
    expect(normalUpperTail(1.96)).toBeCloseTo(0.025, 4);
    expect(normalUpperTail(2.5758)).toBeCloseTo(0.005, 4);
    expect(normalUpperTail(-1)).toBeCloseTo(0.84134, 4);
    expect(normalUpperTail(0)).toBeCloseTo(0.5, 6);
  });
});

describe('quantile', () => {
  it('interpolates between order statistics like R type 7', () => {
    // (n-1)·q = 3·0.95 = 2.85 → x(3) + 0.85·(x(4) − x(3)) = 3.85
    expect(quantile([4, 1, 3, 2], 0.95)).toBeCloseTo(3.85, 10);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('mannWhitneyU', () => {
  it('gives the exact p-value of a small sample without ties', () => {
    // Ranks of the first sample in the pooled order 11 12 16 17 19 20 22 24 29 are 3,5,7,8,9:
    // W = 32, U = 32 − 15 = 17; the other tail is U' = 3. For sizes 5 and 4 the number of
    // arrangements with U' ≤ 3 is 1 + 1 + 2 + 3 = 7 of C(9,4) = 126, so p = 2·7/126 = 0.1111.
    const result = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12]);
    expect(result.method).toBe('exact');
    expect(result.u).toBe(17);
    expect(result.pValue).toBeCloseTo(14 / 126, 10);
  });

  it('gives the exact p-value of complete separation', () => {
    // Only one arrangement of C(8,4) = 70 (resp. C(20,10) = 184756) has U = 0; two-sided doubles it.
    expect(mannWhitneyU([5, 6, 7, 8], [1, 2, 3, 4]).pValue).toBeCloseTo(2 / 70, 10);
    const canary = Array.from({ length: 10 }, (_, i) => 100 + i);
    const baseline = Array.from({ length: 10 }, (_, i) => i);
    expect(mannWhitneyU(canary, baseline).pValue).toBeCloseTo(2 / 184756, 12);
  });

  it('uses the normal approximation with the tie correction when values are tied', () => {
    // Pooled: 1c 2c 2c 2b 3c 3b 4b 4b → ranks 1, 3, 3, 3, 5.5, 5.5, 7.5, 7.5.
    // W = 1 + 3 + 3 + 5.5 = 12.5, U = 2.5, mean 8. Ties 3,2,2: Σ(t³−t) = 24 + 6 + 6 = 36.
    // var = 4·4/12 · (9 − 36/(8·7)) = 11.142857, z = (|2.5 − 8| − 0.5)/3.338092 = 1.49786.
    // Table: Φ(1.49) = 0.93189, Φ(1.50) = 0.93319 → Φ(1.49786) ≈ 0.93291, p ≈ 2·0.06709 = 0.1342.
    const result = mannWhitneyU([1, 2, 2, 3], [2, 3, 4, 4]);
    expect(result.method).toBe('normal');
    expect(result.u).toBe(2.5);
    expect(result.pValue).toBeCloseTo(0.1342, 3);
  });

  it('is symmetric: swapping the samples keeps the p-value', () => {
    const a = [0.1, 0.4, 0.4, 0.9, 1.2, 1.3];
    const b = [0.2, 0.5, 0.6, 0.6, 1.8];
    expect(mannWhitneyU(a, b).pValue).toBeCloseTo(mannWhitneyU(b, a).pValue, 12);
  });

  it('cannot tell all-equal samples apart', () => {
    expect(mannWhitneyU([3, 3, 3], [3, 3, 3, 3]).pValue).toBe(1);
  });

  it('returns p = 1 for an empty sample', () => {
    expect(mannWhitneyU([], [1, 2]).pValue).toBe(1);
    expect(mannWhitneyU([1, 2], []).pValue).toBe(1);
  });

  it('uses the normal approximation above the exact size limit', () => {
    const canary = Array.from({ length: 40 }, (_, i) => 100 + i);
    const baseline = Array.from({ length: 40 }, (_, i) => i);
    const result = mannWhitneyU(canary, baseline);
    expect(result.method).toBe('normal');
    // z = (800 − 0.5)/√(40·40·81/12) = 799.5/103.92 = 7.69: far beyond any confidence level.
    expect(result.pValue).toBeLessThan(1e-12);
  });
});

describe('hodgesLehmannShift', () => {
  it('is the median of the pairwise differences', () => {
    // Differences 1−0, 1−5, 2−0, 2−5 = 1, −4, 2, −3 → median of (−4, −3, 1, 2) = −1.
    expect(hodgesLehmannShift([1, 2], [0, 5])).toBe(-1);
    expect(hodgesLehmannShift([1, 2, 3], [0])).toBe(2);
  });

  it('is not moved by one outlier', () => {
    expect(hodgesLehmannShift([10, 11, 12, 1000], [10, 11, 12, 13])).toBe(0);
  });

  it('is NaN for an empty sample', () => {
    expect(hodgesLehmannShift([], [1])).toBeNaN();
  });
});

describe('tailTest', () => {
  const random = seededRandom(7);
  const baseline = Array.from({ length: 60 }, () => 100 + random() * 20);
  const sameMedianLongerTail = baseline.map((value, index) => (index % 10 === 0 ? value * 3 : value));

  it('finds a tail that grew while the median stayed', () => {
    expect(median(sameMedianLongerTail)).toBeCloseTo(median(baseline), -1);
    const result = tailTest(sameMedianLongerTail, baseline, { quantile: 0.95, confidence: 0.98 });
    expect(result.difference).toBeGreaterThan(50);
    expect(result.interval[0]).toBeGreaterThan(0);
    expect(result.pValue).toBeLessThan(0.02);
  });

  it('sees no difference between a sample and itself', () => {
    const result = tailTest(baseline, baseline, { quantile: 0.95, confidence: 0.98 });
    expect(result.difference).toBe(0);
    expect(result.interval[0]).toBeLessThanOrEqual(0);
    expect(result.interval[1]).toBeGreaterThanOrEqual(0);
  });

  it('repeats its interval for the same seed', () => {
    const first = tailTest(sameMedianLongerTail, baseline, { quantile: 0.95, confidence: 0.98, seed: 11 });
    const second = tailTest(sameMedianLongerTail, baseline, { quantile: 0.95, confidence: 0.98, seed: 11 });
    expect(second.interval).toEqual(first.interval);
  });
});
