/**
 * Durations as Argo Rollouts writes them: Go duration strings (`30s`, `5m`, `1h30m`, `250ms`)
 * or a bare number of seconds (`30`, "30").
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const GO_DURATION = /^(\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

export class DurationError extends Error {
  constructor(readonly input: unknown) {
    super(`invalid duration ${JSON.stringify(input)}: use a number of seconds or a duration like 30s, 5m, 1h`);
    this.name = 'DurationError';
  }
}

/** Milliseconds in a duration; throws DurationError on anything else. */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new DurationError(input);
    return Math.round(input * 1000);
  }
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!GO_DURATION.test(text)) throw new DurationError(input);
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNIT_MS[unit];
  return Math.round(total);
}

/** Short human form for comments and logs: 90000 → "1m30s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let seconds = Math.round(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  return `${hours ? `${hours}h` : ''}${minutes ? `${minutes}m` : ''}${seconds || (!hours && !minutes) ? `${seconds}s` : ''}`;
}

const LONG_UNIT_MS: Record<string, number> = { ...UNIT_MS, d: 86_400_000 };
const LONG_DURATION = /^(\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const LONG_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * Milliseconds in an operator's duration (`OPSBOX_RETENTION`): Argo's units plus `d` for days
 * (`30d`, `1d12h`); a bare number is seconds. Throws DurationError otherwise. Argo fields keep
 * parseDuration, since Argo itself has no `d`.
 */
export function parseLongDuration(input: string): number {
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!LONG_DURATION.test(text)) throw new DurationError(input);
  let total = 0;
  for (const [, amount, unit] of text.matchAll(LONG_PART)) total += Number(amount) * LONG_UNIT_MS[unit];
  return Math.round(total);
}
