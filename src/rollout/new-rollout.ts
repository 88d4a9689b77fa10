/** A rollout before its first event: what it is about, plus empty bookkeeping. */
import type { RolloutState } from './types.js';

export type RolloutInit = Pick<
  RolloutState,
  'id' | 'repo' | 'service' | 'serviceConfig' | 'from' | 'to' | 'source' | 'analyses' | 'templatePaths' | 'prometheusAddress' | 'notifications' | 'deployments'
> & { weight?: number };

export function newRollout(init: RolloutInit, now: number): RolloutState {
  return {
    ...init,
    phase: 'Progressing',
    stepIndex: 0,
    weight: init.weight ?? 0,
    finishedRuns: {},
    startedAt: now,
    updatedAt: now,
    commits: [],
    history: [],
    outbox: [],
    effectSeq: 0,
  };
}
