/** How times appear in reports: absolute in UTC, or as an offset from the start of the rollout. */
import { formatDuration } from '../util/duration.js';

/** 1714564803000 → `2024-05-01 12:00:03 UTC` (readers are in many time zones; UTC is unambiguous). */
export function formatTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Time since `origin` as `+1m30s`; never negative, so clock skew between inputs does not show. */
export function formatOffset(ms: number, origin: number): string {
  return `+${formatSpan(ms - origin)}`;
}

/** A span of time as `1m30s`, to the second: reports have no use for milliseconds. */
export function formatSpan(ms: number): string {
  const seconds = Math.round(Math.max(0, ms) / 1000);
  return seconds === 0 ? '0s' : formatDuration(seconds * 1000);
}
