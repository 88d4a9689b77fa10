/**
 * The rows of the steps table: what each step does, where it stands and when it ran.
 *
 * The rollout state keeps no timestamp per step, so the times are read from the evidence it does
 * keep: a weight commit marks when its step ran, measurements mark an analysis, and a step ends
 * when the next one starts. Times that no evidence supports are left blank rather than guessed.
 */
import type { Step } from '../config/opsbox.schema.js';
import type { RolloutPhase, PauseReason, StepProgress } from '../rollout/types.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import type { CommitLink } from './commit-links.js';
import { formatOffset, formatSpan } from './time-format.js';

export type StepStatus = 'done' | 'current' | 'pending' | 'skipped' | 'failed' | 'stopped';

export interface StepRow {
  /** 1-based. */
  number: number;
  kind: 'setWeight' | 'pause' | 'analysis';
  /** `setWeight 10%`, `pause 2m`, `pause (until /promote)`, `analysis error-rate`. */
  description: string;
  status: StepStatus;
  /** The status with its emoji, e.g. `✅ done`. */
  statusLabel: string;
  startedAt?: number;
  finishedAt?: number;
  /** Offsets from the rollout start, e.g. `+2m30s`. */
  started?: string;
  finished?: string;
  /** What the step waits for, for the current one; why it ended, for a failed or skipped one. */
  note?: string;
  /** The weight commit of a setWeight step. */
  commit?: CommitLink;
}

const STATUS_LABELS: Record<StepStatus, string> = {
  done: '✅ done',
  current: '▶️ current',
  pending: '⬜ pending',
  skipped: '⏭️ skipped',
  failed: '❌ failed',
  stopped: '⏹️ stopped',
};

/** When an analysis step's measurements were taken. */
export interface MeasurementSpan {
  first: number;
  last: number;
}

export interface StepRowsInput {
  steps: readonly Step[];
  phase: RolloutPhase;
  pauseReason?: PauseReason;
  stepIndex: number;
  progress?: StepProgress;
  /** Offsets are measured from here: the rollout start. */
  origin: number;
  /** When the current attempt started, if known (a /retry starts a new one). */
  attemptStart?: number;
  syncDelayMs: number;
  /** Weight commits of the current attempt by 0-based step index. */
  weightCommits: ReadonlyMap<number, CommitLink>;
  /** Measurement spans of step analyses by 0-based step index. */
  analysisSpans: ReadonlyMap<number, MeasurementSpan>;
  promotionAt?: number;
  /** When the rollout failed or stopped. */
  endedAt?: number;
  now: number;
}

export function describeStep(step: Step): string {
  if ('setWeight' in step) return `setWeight ${step.setWeight}%`;
  if ('pause' in step) {
    const duration = step.pause.duration;
    return duration === undefined ? 'pause (until /promote)' : `pause ${formatDuration(parseDuration(duration))}`;
  }
  return `analysis ${step.analysis.templates.map((t) => t.templateName).join(', ')}`;
}

export function stepKind(step: Step): StepRow['kind'] {
  return 'setWeight' in step ? 'setWeight' : 'pause' in step ? 'pause' : 'analysis';
}

export function buildStepRows(input: StepRowsInput): StepRow[] {
  const statuses = input.steps.map((_, index) => stepStatus(input.phase, input.stepIndex, index, input.steps.length));
  const rows: StepRow[] = [];
  let previousEnd = input.attemptStart;
  input.steps.forEach((step, index) => {
    const status = statuses[index];
    const row: StepRow = {
      number: index + 1,
      kind: stepKind(step),
      description: describeStep(step),
      status,
      statusLabel: STATUS_LABELS[status],
    };
    const commit = input.weightCommits.get(index);
    if (commit) row.commit = commit;
    if (status !== 'pending' && status !== 'skipped') {
      const startedAt = previousEnd ?? evidenceStart(input, index);
      const finishedAt = status === 'current' ? undefined : stepEnd(input, index, startedAt, statuses);
      setTimes(row, input.origin, startedAt, finishedAt);
      previousEnd = finishedAt;
    } else {
      previousEnd = undefined;
    }
    const note = stepNote(input, index, status);
    if (note) row.note = note;
    rows.push(row);
  });
  return rows;
}

function stepStatus(phase: RolloutPhase, current: number, index: number, total: number): StepStatus {
  if (index < current || current >= total) return 'done';
  switch (phase) {
    case 'Progressing':
    case 'Paused':
      return index === current ? 'current' : 'pending';
    case 'Promoting':
    case 'Succeeded':
      // `/promote --full` ends the current step and leaves the rest out.
      return index === current ? 'done' : 'skipped';
    case 'Aborting':
    case 'Aborted':
      return index === current ? 'failed' : 'skipped';
    case 'Superseded':
      return index === current ? 'stopped' : 'skipped';
  }
}

function evidenceStart(input: StepRowsInput, index: number): number | undefined {
  return input.weightCommits.get(index)?.at ?? input.analysisSpans.get(index)?.first;
}

function stepEnd(input: StepRowsInput, index: number, startedAt: number | undefined, statuses: StepStatus[]): number | undefined {
  const status = statuses[index];
  if (status === 'failed' || status === 'stopped') return input.endedAt;
  const step = input.steps[index];
  const next = input.steps[index + 1];
  // The next weight commit is made the moment this step ends: the best evidence there is.
  const nextCommitAt = next && 'setWeight' in next ? input.weightCommits.get(index + 1)?.at : undefined;
  let end = nextCommitAt ?? ownEnd(input, step, index, startedAt) ?? (next ? evidenceStart(input, index + 1) : undefined);
  const lastReached = index + 1 >= statuses.length || statuses[index + 1] === 'skipped';
  if (end === undefined && lastReached) end = input.promotionAt;
  if (end !== undefined && input.promotionAt !== undefined && lastReached) end = Math.min(end, input.promotionAt);
  if (end !== undefined && startedAt !== undefined) end = Math.max(end, startedAt);
  return end;
}

/** When a step ends by its own evidence: sync delay after its commit, its last measurement, its duration. */
function ownEnd(input: StepRowsInput, step: Step, index: number, startedAt: number | undefined): number | undefined {
  if ('setWeight' in step) {
    const at = input.weightCommits.get(index)?.at;
    return at === undefined ? undefined : at + input.syncDelayMs;
  }
  if ('analysis' in step) return input.analysisSpans.get(index)?.last;
  if (step.pause.duration !== undefined && startedAt !== undefined) return startedAt + parseDuration(step.pause.duration);
  return undefined;
}

function setTimes(row: StepRow, origin: number, startedAt: number | undefined, finishedAt: number | undefined): void {
  if (startedAt !== undefined) {
    row.startedAt = startedAt;
    row.started = formatOffset(startedAt, origin);
  }
  if (finishedAt !== undefined) {
    row.finishedAt = finishedAt;
    row.finished = formatOffset(finishedAt, origin);
  }
}

function stepNote(input: StepRowsInput, index: number, status: StepStatus): string | undefined {
  if (status === 'failed') return 'the rollout failed here';
  if (status === 'stopped') return 'superseded by a newer bump';
  if (status === 'skipped') return input.phase === 'Succeeded' || input.phase === 'Promoting' ? 'skipped by /promote --full' : undefined;
  if (status !== 'current') return undefined;
  if (input.phase === 'Paused') {
    switch (input.pauseReason) {
      case 'inconclusive':
        return 'inconclusive: waiting for /promote or /abort';
      case 'failure':
        return 'failed: waiting for /abort or /resume';
      case 'command':
        return 'paused: waiting for /resume';
      default:
        return 'waiting for /promote or /resume';
    }
  }
  const progress = input.progress;
  if (!progress) return undefined;
  switch (progress.kind) {
    case 'setWeight':
      if (progress.appliedAt === undefined) return 'committing the weight';
      if (progress.appliedAt !== undefined && progress.appliedAt > input.now) return `waiting for sync, ${formatSpan(progress.appliedAt - input.now)} left`;
      return 'applied';
    case 'pause':
      if (progress.until !== undefined) return `ends in ${formatSpan(progress.until - input.now)}`;
      if (progress.remainingMs !== undefined) return `${formatSpan(progress.remainingMs)} left`;
      return 'waiting for /promote or /resume';
    case 'analysis':
      return 'measuring';
  }
}
