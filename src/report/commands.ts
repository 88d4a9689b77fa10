/** The chat commands that do something in the rollout's current phase, with what each would do now. */
import type { PauseReason, RolloutPhase } from '../rollout/types.js';

export interface CommandHelp {
  command: string;
  description: string;
}

export interface CommandContext {
  phase: RolloutPhase;
  pauseReason?: PauseReason;
  /** 1-based number of the current step and the number of steps. */
  stepNumber: number;
  totalSteps: number;
  weight: number;
  from: string;
  to: string;
}

export function availableCommands(c: CommandContext): CommandHelp[] {
  const next = c.stepNumber < c.totalSteps ? `step ${c.stepNumber + 1}` : `promotion of ${c.to}`;
  const promote = { command: '/promote', description: `end step ${c.stepNumber} now and go on with ${next}` };
  const promoteFull = { command: '/promote --full', description: `skip the remaining steps and promote ${c.to} to stable now` };
  const abort = { command: '/abort', description: `roll back: all traffic to stable ${c.from} at once, and a revert pull request` };
  const status = { command: '/status', description: 'refresh this status' };
  const help = { command: '/help', description: 'list every command' };
  switch (c.phase) {
    case 'Progressing':
      return [{ command: '/pause', description: `hold the canary at ${c.weight}%` }, promote, promoteFull, abort, status];
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
