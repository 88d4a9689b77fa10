import { describe, it, expect } from '@jest/globals';
import { evaluateRangeTime, RangeTimeError } from '../../src/analysis/range-time.js';

describe('evaluateRangeTime', () => {
  const now = Date.parse('2025-01-01T12:00:00Z');

  it('understands now() and now() ± duration("…")', () => {
    expect(evaluateRangeTime('now()', now)).toBe(now);
    expect(evaluateRangeTime('now() - duration("5m")', now)).toBe(now - 300_000);
    expect(evaluateRangeTime("now()-duration('1h30m')", now)).toBe(now - 5_400_000);
    expect(evaluateRangeTime(' now() + duration("30s") ', now)).toBe(now + 30_000);
  });

  it('accepts RFC 3339 times', () => {
    expect(evaluateRangeTime('2025-01-01T11:00:00Z', now)).toBe(now - 3_600_000);
  });

  it('rejects anything else with a hint', () => {
    expect(() => evaluateRangeTime('now() - 5m', now)).toThrow(RangeTimeError);
    expect(() => evaluateRangeTime('now() - duration("soon")', now)).toThrow('write now(), now() - duration("5m") or an RFC 3339 time');
  });
});
