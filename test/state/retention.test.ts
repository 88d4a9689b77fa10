import { describe, expect, it } from '@jest/globals';
import { DEFAULT_RETENTION_MS, retentionFromEnv } from '../../src/state/retention.js';
import { parseDuration } from '../../src/util/duration.js';

const DAY = 86_400_000;

describe('OPSBOX_RETENTION', () => {
  it('defaults to 30 days when unset or empty', () => {
    expect(DEFAULT_RETENTION_MS).toBe(30 * DAY);
    expect(retentionFromEnv({})).toBe(30 * DAY);
    expect(retentionFromEnv({ OPSBOX_RETENTION: ' ' })).toBe(30 * DAY);
  });

  it('accepts days as well as Argo units, and bare seconds', () => {
    expect(retentionFromEnv({ OPSBOX_RETENTION: '7d' })).toBe(7 * DAY);
    expect(retentionFromEnv({ OPSBOX_RETENTION: '1d12h' })).toBe(1.5 * DAY);
    expect(retentionFromEnv({ OPSBOX_RETENTION: '90m' })).toBe(90 * 60_000);
    expect(retentionFromEnv({ OPSBOX_RETENTION: '3600' })).toBe(3_600_000);
  });

  it('names the variable and the accepted forms when the value is not a duration', () => {
    expect(() => retentionFromEnv({ OPSBOX_RETENTION: '30 days' })).toThrow(
      'OPSBOX_RETENTION="30 days" is not a duration: use days, hours, minutes or seconds, like 30d, 36h or 90m (default 30d)',
    );
  });

  it('leaves Argo durations without days, as Argo has none', () => {
    expect(() => parseDuration('1d')).toThrow('invalid duration "1d"');
  });
});
