/**
 * One log line per rollout transition, so an operator can follow a rollout in the logs (and a log
 * pipeline can index it): what happened, the phase before and after, where the rollout stands.
 * Only names, versions and numbers are logged: never a token, a key or a query's credentials.
 */
import type { Logger } from 'pino';
import type { EngineObserver } from '../app/engine.js';
import type { RolloutEvent, RolloutState } from '../rollout/types.js';

export interface TransitionLine {
  rollout: string;
  repository: string;
  service: string;
  fromVersion: string;
  toVersion: string;
  event: string;
  phaseBefore: string;
  phase: string;
  step: number;
  weight: number;
}

export function transitionLine(before: RolloutState, event: RolloutEvent, after: RolloutState): TransitionLine {
  return {
    rollout: after.id,
    repository: `${after.repo.owner}/${after.repo.repo}`,
    service: after.service,
    fromVersion: after.from,
    toVersion: after.to,
    event: describeEvent(before, event),
    phaseBefore: before.phase,
    phase: after.phase,
    step: after.stepIndex,
    weight: after.weight,
  };
}

/** `start`, `tick`, `command:abort`, `supersede`, `effectDone:commit`, `effectFailed:measure`. */
export function describeEvent(before: RolloutState, event: RolloutEvent): string {
  switch (event.type) {
    case 'command':
      return `command:${event.command.name}`;
    case 'effectDone':
      return `effectDone:${event.result.type}`;
    case 'effectFailed':
      return `effectFailed:${before.outbox.find((e) => e.id === event.effectId)?.type ?? 'unknown'}`;
    default:
      return event.type;
  }
}

export function transitionLog(log: Pick<Logger, 'info'>): EngineObserver {
  return {
    transition(before, event, after) {
      log.info(transitionLine(before, event, after), 'rollout transition');
    },
  };
}

/** Several observers as one, in order. */
export function observers(...list: EngineObserver[]): EngineObserver {
  return {
    transition: (before, event, after) => list.forEach((o) => o.transition?.(before, event, after)),
    effect: (state, effect, seconds, failed) => list.forEach((o) => o.effect?.(state, effect, seconds, failed)),
  };
}
