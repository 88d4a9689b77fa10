/**
 * The standard normal distribution's upper tail, for the large-sample Mann-Whitney test.
 */

/**
 * erfc(x) for x ≥ 0 by the Chebyshev fit of Numerical Recipes (§6.2); its relative error is below
 * 1.2e-7 everywhere, far finer than any confidence level a template can state.
 */
function erfcNonNegative(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -x * x -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * Math.exp(poly);
}

/** P(Z > z) for a standard normal Z. */
export function normalUpperTail(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  if (z >= 0) return 0.5 * erfcNonNegative(z / Math.SQRT2);
  return 1 - 0.5 * erfcNonNegative(-z / Math.SQRT2);
}
