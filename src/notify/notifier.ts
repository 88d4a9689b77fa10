/**
 * The port through which the app tells the world outside the pull request about a rollout:
 * Alertmanager, GitHub Deployments. A notifier sees every stored transition; what it does with it
 * happens in the background and never holds up, fails or changes the rollout.
 */
import type { RolloutEvent, RolloutState } from '../rollout/types.js';

export interface Notifier {
  /** A stored transition of a rollout. Returns at once. */
  transition(before: RolloutState, event: RolloutEvent, after: RolloutState): void;
  /** A pull request was merged into the default branch (it may be a revert pull request). */
  merged(owner: string, repo: string, number: number): void;
  /** Does what is due by now (re-posting a firing alert); a timer calls it, tests may too. */
  resendDue?(): void;
  /** Resolves when the work started so far has finished (tests, shutdown). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** Several notifiers as one. */
export function notifiers(list: readonly Notifier[]): Notifier {
  return {
    transition: (before, event, after) => list.forEach((n) => n.transition(before, event, after)),
    merged: (owner, repo, number) => list.forEach((n) => n.merged(owner, repo, number)),
    resendDue: () => list.forEach((n) => n.resendDue?.()),
    idle: async () => void (await Promise.all(list.map((n) => n.idle()))),
    stop: async () => void (await Promise.all(list.map((n) => n.stop()))),
  };
}
