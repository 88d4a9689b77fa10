/** Commit messages and trailers of the commits a rollout makes (SPEC §2). */
import type { CommitKind } from './types.js';

export interface CommitMessageInput {
  service: string;
  kind: CommitKind;
  weight: number;
  to: string;
  from: string;
  rolloutId: string;
  /** 1-based step number and total, for weight commits. */
  step?: { number: number; total: number };
  sourceNumber: number;
}

export function commitMessage(input: CommitMessageInput): string {
  const subject = {
    weight: `canary(${input.service}): weight ${input.weight}% → ${input.to}`,
    promote: `canary(${input.service}): promote ${input.to} to stable, weight 0%`,
    rollback: `canary(${input.service}): roll back ${input.to}, weight 0% (traffic to stable ${input.from})`,
  }[input.kind];
  const stepTrailer =
    input.kind === 'weight' && input.step ? `${input.step.number}/${input.step.total}` : input.kind;
  return [
    subject,
    '',
    `OpsBox-Rollout: ${input.rolloutId}`,
    `OpsBox-Step: ${stepTrailer}`,
    `OpsBox-Source: #${input.sourceNumber}`,
  ].join('\n');
}

/** The branch a rollout's revert is proposed on, e.g. `opsbox/revert/api-v2.1.0`. */
export function revertBranch(state: { service: string; to: string }): string {
  return `opsbox/revert/${state.service}-${state.to.replace(/[^A-Za-z0-9._-]+/g, '-')}`;
}
