/**
 * The start/end expressions of Argo's Prometheus `rangeQuery`. Argo evaluates them with expr;
 * templates use `now()` and `now() - duration("5m")`, which is what is understood here
 * (plus absolute RFC 3339 timestamps, which need no evaluation).
 */
import { parseDuration } from '../util/duration.js';

const NOW_EXPRESSION = /^now\(\)(?:\s*([+-])\s*duration\(\s*(["'])([^"']+)\2\s*\))?$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export class RangeTimeError extends Error {
  readonly code = 'range-time-invalid';

  constructor(readonly expression: string) {
    super(`cannot evaluate ${JSON.stringify(expression)}: write now(), now() - duration("5m") or an RFC 3339 time`);
    this.name = 'RangeTimeError';
  }
}

/** Epoch milliseconds of a rangeQuery start/end expression, evaluated at `nowMs`. */
export function evaluateRangeTime(expression: string, nowMs: number): number {
  const text = expression.trim();
  const relative = NOW_EXPRESSION.exec(text);
  if (relative) {
    const [, sign, , duration] = relative;
    if (!sign) return nowMs;
    let offset: number;
    try {
      offset = parseDuration(duration);
    } catch {
      throw new RangeTimeError(expression);
    }
    return sign === '-' ? nowMs - offset : nowMs + offset;
  }
  if (RFC3339.test(text)) {
    const absolute = Date.parse(text);
    if (Number.isFinite(absolute)) return absolute;
  }
  throw new RangeTimeError(expression);
}
