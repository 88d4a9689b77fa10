/** The chat commands that do something in the rollout's current phase, with what each would do now. */
import type { PauseReason, RolloutPhase, RolloutState } from '../rollout/types.js';

export interface CommandHelp {
  command: string;
  description: string;
}

export interface CommandContext {
  phase: RolloutPhase;
  pauseReason?: PauseReason;
  /** Kind of the current step; a weight step being applied cannot be ended by hand. */
  stepKind?: 'setWeight' | 'pause' | 'analysis';
  /** 1-based number of the current step and the number of steps. */
  stepNumber: number;
  totalSteps: number;
  weight: number;
  from: string;
  to: string;
}

/** The 1-based step a rollout is at (the last one once all steps are done), and the number of steps. */
export function stepPosition(state: Pick<RolloutState, 'stepIndex' | 'serviceConfig'>): { stepNumber: number; totalSteps: number } {
  const totalSteps = state.serviceConfig.steps.length;
  return { stepNumber: Math.min(state.stepIndex, Math.max(totalSteps - 1, 0)) + 1, totalSteps };
}

export function commandContextOf(state: RolloutState): CommandContext {
  return {
    phase: state.phase,
    pauseReason: state.pauseReason,
    stepKind: state.step?.kind,
    ...stepPosition(state),
    weight: state.weight,
    from: state.from,
    to: state.to,
  };
}

export function availableCommands(c: CommandContext): CommandHelp[] {
  const next = c.stepNumber < c.totalSteps ? `step ${c.stepNumber + 1}` : `promotion of ${c.to}`;
  const promote = { command: '/promote', description: `end step ${c.stepNumber} now and go on with ${next}` };
  const promoteFull = { command: '/promote --full', description: `skip the remaining steps and promote ${c.to} to stable now` };
  const abort = { command: '/abort', description: `roll back: all traffic to stable ${c.from} at once, and a revert pull request` };
  const status = { command: '/status', description: 'refresh this status' };
  const help = { command: '/help', description: 'list every command' };
  switch (c.phase) {
    case 'Progressing': {
      const pause = { command: '/pause', description: `hold the canary at ${c.weight}%` };
      return c.stepKind === 'setWeight' ? [pause, promoteFull, abort, status] : [pause, promote, promoteFull, abort, status];
    }
    case 'Paused':
      return [{ command: '/resume', description: resumeDescription(c, next) }, promote, promoteFull, abort, status];
    case 'Aborted':
      return [{ command: '/retry', description: `start again from step 1 with ${c.to}` }, status];
    default:
      // Succeeded and Superseded are over; Promoting and Aborting finish on their own.
      return [status, help];
  }
}

function resumeDescription(c: CommandContext, next: string): string {
  switch (c.pauseReason) {
    case 'command':
      return `continue step ${c.stepNumber} where it was paused`;
    case 'inconclusive':
      return `accept the inconclusive analysis and go on with ${next}`;
    case 'failure':
      return `ignore the failure and go on with ${next}`;
    default:
      return `end this pause and go on with ${next}`;
  }
}
