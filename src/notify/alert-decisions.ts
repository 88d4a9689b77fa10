/**
 * When a rollout's alert fires and resolves, decided from one transition alone (no I/O), so the
 * state machine stays unaware of alerting:
 * - it fires when the rollout fails (rolling back, rolled back, or held by `onFailure: pause`) and
 *   again when what the alert shows changes (the revert pull request, the status comment);
 * - it resolves when the rollout leaves the failed state (/retry starts again, /resume);
 * - a promoted rollout resolves the alerts of earlier rollouts of its service.
 * A merged revert pull request resolves too; that is seen by the merge, not by a transition.
 */
import type { RolloutEvent, RolloutState } from '../rollout/types.js';
import { isFailed } from '../rollout/types.js';

export type AlertSeverity = 'critical' | 'warning';

export type AlertDecision =
  | { kind: 'fire'; severity: AlertSeverity }
  | { kind: 'resolve' }
  /** Resolve the alerts of the other rollouts of this repository and service. */
  | { kind: 'resolveService' };


export function alertDecisions(before: RolloutState, event: RolloutEvent, after: RolloutState): AlertDecision[] {
  const decisions: AlertDecision[] = [];
  if (isFailed(after)) {
    const changed =
      !isFailed(before) ||
      before.phase !== after.phase ||
      before.revert?.url !== after.revert?.url ||
      // the first published status gives the alert its link
      (before.statusRef === undefined) !== (after.statusRef === undefined);
    if (changed) decisions.push({ kind: 'fire', severity: abortedByCommand(before, event) ? 'warning' : 'critical' });
  } else if (isFailed(before)) {
    decisions.push({ kind: 'resolve' });
  }
  if (after.phase === 'Succeeded' && before.phase !== 'Succeeded') decisions.push({ kind: 'resolveService' });
  return decisions;
}

/**
 * An /abort, not a failing analysis: the team chose it, so the alert only warns. Known only at the
 * transition that enters the failed state; the notifier keeps the severity of the first firing.
 */
function abortedByCommand(before: RolloutState, event: RolloutEvent): boolean {
  return event.type === 'command' && event.command.name === 'abort' && !isFailed(before);
}
