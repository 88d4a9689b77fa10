/** How a rollout phase is shown: an emoji, a label, and a sentence on what is happening. */
import type { PauseReason, RolloutPhase } from '../rollout/types.js';

export interface PhaseBadge {
  emoji: string;
  label: string;
}

const BADGES: Record<RolloutPhase, PhaseBadge> = {
  Progressing: { emoji: '🚦', label: 'Progressing' },
  Paused: { emoji: '⏸️', label: 'Paused' },
  Promoting: { emoji: '🚀', label: 'Promoting' },
  Succeeded: { emoji: '✅', label: 'Succeeded' },
  Aborting: { emoji: '⏪', label: 'Rolling back' },
  Aborted: { emoji: '❌', label: 'Aborted' },
  Superseded: { emoji: '⏭️', label: 'Superseded' },
};

export function phaseBadge(phase: RolloutPhase): PhaseBadge {
  return BADGES[phase];
}

export interface PhaseDetailInput {
  phase: RolloutPhase;
  pauseReason?: PauseReason;
  stepNumber: number;
  totalSteps: number;
  stepDescription?: string;
  weight: number;
  from: string;
  to: string;
  rolledBack: boolean;
  supersededBy?: string;
}

/** One plain-text sentence (no Markdown) on where the rollout stands and what it waits for. */
export function phaseDetail(p: PhaseDetailInput): string {
  const step = `step ${p.stepNumber} of ${p.totalSteps}${p.stepDescription ? ` (${p.stepDescription})` : ''}`;
  switch (p.phase) {
    case 'Progressing':
      return `At ${step}.`;
    case 'Paused':
      switch (p.pauseReason) {
        case 'inconclusive':
          return `The analysis of step ${p.stepNumber} was inconclusive, so the canary holds at ${p.weight}%. A person decides: /promote to go on, /abort to roll back.`;
        case 'command':
          return `Paused by hand at ${step}, holding at ${p.weight}%. /resume continues.`;
        case 'failure':
          return `A failure at ${step} holds the canary at ${p.weight}% (onFailure: pause). A person decides: /abort to roll back, /resume to go on.`;
        default:
          return `Waiting at ${step} for /promote or /resume.`;
      }
    case 'Promoting':
      return `Promoting ${p.to} to stable and setting the canary weight to 0%.`;
    case 'Succeeded':
      return `${p.to} is stable now; the canary carries no traffic.`;
    case 'Aborting':
      return `Rolling back: setting the canary weight to 0% so all traffic goes to stable ${p.from}.`;
    case 'Aborted':
      return p.rolledBack
        ? `Rolled back: all traffic is on stable ${p.from}.`
        : `Stopped without a rollback commit: check the canary weight.`;
    case 'Superseded':
      return `A newer bump took over${p.supersededBy ? ` (rollout ${p.supersededBy})` : ''} and moves the traffic from now on; this rollout stopped at ${p.weight}%.`;
  }
}
