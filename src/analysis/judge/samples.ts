/** Small helpers on numeric samples shared by the tests and the classification. */

/** The finite values of a series: NaN and ±Infinity carry no measurement and are dropped. */
export function finiteValues(values: readonly number[]): number[] {
  return values.filter((value) => Number.isFinite(value));
}

/** Ascending copy. */
export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/**
 * The q-quantile of an ascending sample with linear interpolation between order statistics
 * (Hyndman & Fan type 7, the default of R and NumPy). NaN for an empty sample.
 */
export function quantileOfSorted(ascending: ArrayLike<number>, q: number): number {
  const n = ascending.length;
  if (n === 0) return Number.NaN;
  const position = (n - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, n - 1);
  const fraction = position - lower;
  return ascending[lower] + fraction * (ascending[upper] - ascending[lower]);
}

export function quantile(values: readonly number[], q: number): number {
  return quantileOfSorted(sorted(values), q);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}
