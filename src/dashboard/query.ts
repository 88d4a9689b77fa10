/** The dashboard's filters as query parameters, shared by the pages and `/api/rollouts`. */
import type { RolloutPhase } from '../rollout/types.js';
import { DEFAULT_PAGE_SIZE, type RolloutQuery } from '../state/rollout-listing.js';
import { parseLongDuration } from '../util/duration.js';

export const PHASES: readonly RolloutPhase[] = ['Progressing', 'Paused', 'Promoting', 'Aborting', 'Succeeded', 'Aborted', 'Superseded'];
/** The time ranges the list page offers; any duration or ISO time works in the URL. */
export const SINCE_OPTIONS = [
  { value: '', label: 'any time' },
  { value: '1h', label: 'the last hour' },
  { value: '24h', label: 'the last 24 hours' },
  { value: '7d', label: 'the last 7 days' },
];

export class QueryError extends Error {}

/** A time: an ISO 8601 date, or a duration meaning that long before `now` (`1h`, `7d`). */
function timeParam(name: string, raw: string, now: number): number {
  const date = Date.parse(raw);
  if (/^\d{4}-\d{2}-\d{2}/.test(raw) && Number.isFinite(date)) return date;
  try {
    return now - parseLongDuration(raw);
  } catch {
    throw new QueryError(`${name}=${JSON.stringify(raw)} is neither an ISO 8601 time (2026-05-01T12:00:00Z) nor a duration before now (1h, 24h, 7d)`);
  }
}

function intParam(name: string, raw: string | null, fallback: number, min: number): number {
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new QueryError(`${name}=${JSON.stringify(raw)} must be a whole number of at least ${min}`);
  return value;
}

/**
 * `repository`, `service`, `phase` (repeated or comma-separated), `since`, `until`, and either
 * `page` (1-based, pages of `limit`) or `offset`, with `limit`.
 */
export function rolloutQueryOf(params: URLSearchParams, now: number): RolloutQuery {
  const query: RolloutQuery = {};
  const repository = params.get('repository')?.trim();
  if (repository) query.repository = repository;
  const service = params.get('service')?.trim();
  if (service) query.service = service;
  const phases = params.getAll('phase').flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean);
  for (const phase of phases) {
    if (!PHASES.includes(phase as RolloutPhase)) throw new QueryError(`phase=${JSON.stringify(phase)} is not a phase; use one of ${PHASES.join(', ')}`);
  }
  if (phases.length > 0) query.phases = phases as RolloutPhase[];
  const since = params.get('since')?.trim();
  if (since) query.since = timeParam('since', since, now);
  const until = params.get('until')?.trim();
  if (until) query.until = timeParam('until', until, now);
  query.limit = intParam('limit', params.get('limit'), DEFAULT_PAGE_SIZE, 1);
  const page = intParam('page', params.get('page'), 1, 1);
  query.offset = params.has('offset') ? intParam('offset', params.get('offset'), 0, 0) : (page - 1) * query.limit;
  return query;
}
