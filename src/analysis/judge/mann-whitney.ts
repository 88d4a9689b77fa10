/**
 * Two-sided Mann-Whitney U test (Wilcoxon rank-sum) comparing a canary sample with a baseline.
 *
 * Small samples without ties get the exact distribution of U; otherwise the normal approximation
 * with a continuity correction and the tie correction of the variance is used.
 */
import { normalUpperTail } from './normal.js';

/** Samples up to this size on both sides, without ties, get an exact p-value. */
export const EXACT_MAX_SAMPLE = 30;

export interface MannWhitneyResult {
  /** U of the canary sample: how many (canary, baseline) pairs have canary > baseline, ties count ½. */
  readonly u: number;
  /** Two-sided p-value; 1 when the samples cannot be told apart (empty, or every value equal). */
  readonly pValue: number;
  readonly method: 'exact' | 'normal';
}

interface Ranked {
  /** Sum of the ranks of the first sample. */
  readonly rankSumFirst: number;
  /** Σ (t³ − t) over groups of tied values, for the variance correction. */
  readonly tieTerm: number;
}

function rank(first: readonly number[], second: readonly number[]): Ranked {
  const pooled = [
    ...first.map((value) => ({ value, first: true })),
    ...second.map((value) => ({ value, first: false })),
  ].sort((a, b) => a.value - b.value);
  let rankSumFirst = 0;
  let tieTerm = 0;
  let start = 0;
  while (start < pooled.length) {
    let end = start;
    while (end + 1 < pooled.length && pooled[end + 1].value === pooled[start].value) end++;
    const tied = end - start + 1;
    // Ranks are 1-based; a tied group shares the mean of the ranks it spans.
    const sharedRank = (start + 1 + end + 1) / 2;
    for (let index = start; index <= end; index++) if (pooled[index].first) rankSumFirst += sharedRank;
    tieTerm += tied * tied * tied - tied;
    start = end + 1;
  }
  return { rankSumFirst, tieTerm };
}

/**
 * Cumulative distributions of U under the null hypothesis, by sample sizes. Built with the
 * recurrence p(n,m,u) = n/(n+m)·p(n−1,m,u−m) + m/(n+m)·p(n,m−1,u), which stays in probabilities
 * and so never overflows.
 */
const exactCdfCache = new Map<string, Float64Array>();

function exactCdf(n: number, m: number): Float64Array {
  const key = `${n}:${m}`;
  const cached = exactCdfCache.get(key);
  if (cached) return cached;
  // table[i][j] is the distribution of U for sizes (i, j), indexed by u.
  let previousRow: Float64Array[] = [];
  for (let i = 0; i <= n; i++) {
    const row: Float64Array[] = [];
    for (let j = 0; j <= m; j++) {
      const distribution = new Float64Array(i * j + 1);
      if (i === 0 || j === 0) {
        distribution[0] = 1;
      } else {
        const fromFirst = previousRow[j];
        const fromSecond = row[j - 1];
        const wFirst = i / (i + j);
        const wSecond = j / (i + j);
        for (let u = 0; u <= i * j; u++) {
          const a = u - j >= 0 && u - j < fromFirst.length ? fromFirst[u - j] : 0;
          const b = u < fromSecond.length ? fromSecond[u] : 0;
          distribution[u] = wFirst * a + wSecond * b;
        }
      }
      row.push(distribution);
    }
    previousRow = row;
  }
  const density = previousRow[m];
  const cdf = new Float64Array(density.length);
  let total = 0;
  for (let u = 0; u < density.length; u++) {
    total += density[u];
    cdf[u] = total;
  }
  exactCdfCache.set(key, cdf);
  return cdf;
}

/** Two-sided Mann-Whitney U test of `canary` against `baseline` (both without NaN). */
export function mannWhitneyU(canary: readonly number[], baseline: readonly number[]): MannWhitneyResult {
  const n = canary.length;
  const m = baseline.length;
  if (n === 0 || m === 0) return { u: Number.NaN, pValue: 1, method: 'normal' };
  const { rankSumFirst, tieTerm } = rank(canary, baseline);
  const u = rankSumFirst - (n * (n + 1)) / 2;
  const mean = (n * m) / 2;
  const total = n + m;

  if (tieTerm === 0 && n <= EXACT_MAX_SAMPLE && m <= EXACT_MAX_SAMPLE) {
    const cdf = exactCdf(n, m);
    // U is symmetric around its mean: the two-sided p-value doubles the smaller tail.
    const lowerU = Math.min(u, n * m - u);
    return { u, pValue: Math.min(1, 2 * cdf[Math.round(lowerU)]), method: 'exact' };
  }

  const variance = ((n * m) / 12) * (total + 1 - tieTerm / (total * (total - 1)));
  if (variance <= 0) return { u, pValue: 1, method: 'normal' };
  const distance = Math.max(0, Math.abs(u - mean) - 0.5);
  const z = distance / Math.sqrt(variance);
  return { u, pValue: Math.min(1, 2 * normalUpperTail(z)), method: 'normal' };
}
