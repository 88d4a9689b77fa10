/**
 * Hodges-Lehmann estimate of the shift between two samples: the median of every pairwise
 * difference canary − baseline. It is the effect size that goes with the Mann-Whitney test and,
 * unlike a difference of means, one outlier does not move it.
 */
import { median } from './samples.js';

export function hodgesLehmannShift(canary: readonly number[], baseline: readonly number[]): number {
  if (canary.length === 0 || baseline.length === 0) return Number.NaN;
  const differences = new Array<number>(canary.length * baseline.length);
  let index = 0;
  for (const c of canary) for (const b of baseline) differences[index++] = c - b;
  return median(differences);
}
