/** Jittered, growing pauses, so two writers that collided do not collide again in step. */
export function backoffDelay(attempt: number, options: { baseMs: number; capMs: number; random?: () => number }): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * (options.random ?? Math.random)());
}
