/** `OPSBOX_RETENTION`: how long an ended rollout stays loaded before it moves to the archive. */
import { DurationError, parseLongDuration } from '../util/duration.js';

export const DEFAULT_RETENTION_MS = 30 * 86_400_000;

/** The retention set by the environment, or the default; throws an actionable error on a bad value. */
export function retentionFromEnv(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.OPSBOX_RETENTION;
  if (raw === undefined || raw.trim() === '') return DEFAULT_RETENTION_MS;
  try {
    return parseLongDuration(raw);
  } catch (error) {
    if (!(error instanceof DurationError)) throw error;
    throw new Error(`OPSBOX_RETENTION=${JSON.stringify(raw)} is not a duration: use days, hours, minutes or seconds, like 30d, 36h or 90m (default 30d)`);
  }
}
