/**
 * The paged, filtered listing of rollouts every store offers (the dashboard reads through it).
 * Stores that hold their rollouts in memory share `listRollouts`; a database store answers the
 * same query in SQL and must order and page the same way (the contract tests check both).
 */
import { TERMINAL_PHASES, type RolloutPhase, type RolloutState } from '../rollout/types.js';

export interface RolloutQuery {
  /** `owner/repo`, exact. */
  repository?: string;
  /** Service name, exact. */
  service?: string;
  /** Any of these phases. */
  phases?: readonly RolloutPhase[];
  /** Rollouts still running at or after this time (ms): not finished, or finished since. */
  since?: number;
  /** Rollouts started at or before this time (ms). */
  until?: number;
  /** Rollouts skipped (the page start); default 0. */
  offset?: number;
  /** Page size, 1 to MAX_PAGE_SIZE; default DEFAULT_PAGE_SIZE. */
  limit?: number;
}

export interface RolloutPage {
  /** Rollouts that have not ended first, then newest started first, then by id. */
  rollouts: RolloutState[];
  /** How many rollouts match the filters, over every page. */
  total: number;
  offset: number;
  limit: number;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** The page bounds a query asks for, brought into range. */
export function pageBounds(query: RolloutQuery): { offset: number; limit: number } {
  const offset = Math.max(0, Math.floor(query.offset ?? 0));
  const limit = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(query.limit ?? DEFAULT_PAGE_SIZE)));
  return { offset, limit };
}

export function matchesQuery(state: Readonly<RolloutState>, query: RolloutQuery): boolean {
  if (query.repository !== undefined && `${state.repo.owner}/${state.repo.repo}` !== query.repository) return false;
  if (query.service !== undefined && state.service !== query.service) return false;
  if (query.phases && query.phases.length > 0 && !query.phases.includes(state.phase)) return false;
  if (query.until !== undefined && state.startedAt > query.until) return false;
  if (query.since !== undefined && state.finishedAt !== undefined && state.finishedAt < query.since) return false;
  return true;
}

/** The listing order: active before ended, newer start before older, then id for a stable page. */
export function compareForListing(a: Readonly<RolloutState>, b: Readonly<RolloutState>): number {
  const activeA = TERMINAL_PHASES.includes(a.phase) ? 1 : 0;
  const activeB = TERMINAL_PHASES.includes(b.phase) ? 1 : 0;
  if (activeA !== activeB) return activeA - activeB;
  if (a.startedAt !== b.startedAt) return b.startedAt - a.startedAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Filters, orders and pages rollouts held in memory; only the returned page is copied. */
export function listRollouts(states: Iterable<Readonly<RolloutState>>, query: RolloutQuery): RolloutPage {
  const { offset, limit } = pageBounds(query);
  const matching: Readonly<RolloutState>[] = [];
  for (const state of states) if (matchesQuery(state, query)) matching.push(state);
  matching.sort(compareForListing);
  return {
    rollouts: matching.slice(offset, offset + limit).map((state) => structuredClone(state) as RolloutState),
    total: matching.length,
    offset,
    limit,
  };
}
