/**
 * The rollout as data. The state machine (machine.ts) is a pure function
 * `(state, event, now) → { state, effects }`; everything in here is plain JSON so the
 * store can write it and a restarted process can resume from it.
 */
import type { NotificationsConfig, ServiceConfig, Step } from '../config/opsbox.schema.js';
import type { RepoRef, RevertRef, StatusRef } from '../forge/forge.js';
import type { AnalysisRun, PlannedAnalysis, MeasurementInput } from './analysis-port.js';

export type { RepoRef, RevertRef, StatusRef } from '../forge/forge.js';

export type RolloutPhase =
  | 'Progressing'
  | 'Paused'
  | 'Promoting'
  | 'Succeeded'
  | 'Aborting'
  | 'Aborted'
  | 'Superseded';

export const TERMINAL_PHASES: readonly RolloutPhase[] = ['Succeeded', 'Aborted', 'Superseded'];

export type PauseReason = 'step' | 'inconclusive' | 'command' | 'failure';

/** The change that started the rollout: a merged pull request, or a bump commit where a forge has none. */
export interface SourcePullRequest {
  number: number;
  title: string;
  url: string;
  mergeSha: string;
  author?: string;
}

/** Where the current step stands. */
export type StepProgress =
  | {
      kind: 'setWeight';
      weight: number;
      /** When `sync.delay` has passed since the commit; unset until the commit is made. */
      appliedAt?: number;
      /** The weight commit (null: the files were already in place). */
      sha?: string | null;
      /** Sync gates besides the delay: when to ask them next, and what they said last. */
      nextSyncCheckAt?: number;
      syncDetail?: string;
      /** When the gates said applied (a paused rollout goes on from here at /resume). */
      syncedAt?: number;
    }
  | { kind: 'pause'; until?: number; remainingMs?: number }
  | { kind: 'analysis'; run: AnalysisRun };

export interface CommitRecord {
  kind: CommitKind;
  weight: number;
  step: number | null;
  sha: string | null;
  at: number;
}

export type CommitKind = 'weight' | 'promote' | 'rollback';

export interface HistoryEntry {
  at: number;
  message: string;
  actor?: string;
}

/** A failure that ended or paused the rollout, with what is needed to show the evidence. */
export interface FailureRecord {
  at: number;
  reason: string;
  /** Which analysis failed ('step:2', 'background'), when an analysis did. */
  analysis?: string;
}

export interface RolloutState {
  id: string;
  repo: RepoRef;
  service: string;
  serviceConfig: ServiceConfig;
  from: string;
  to: string;
  source: SourcePullRequest;
  /** Resolved analyses by key: `step:<index>` and `background`. */
  analyses: Record<string, PlannedAnalysis>;
  /** `analysisTemplates` of the config, to read the templates again at the merge commit. */
  templatePaths: string[];
  prometheusAddress?: string;

  phase: RolloutPhase;
  pauseReason?: PauseReason;
  stepIndex: number;
  /** When the current step began (its first entry, or again after /retry): commands written before it are not meant for it. */
  stepStartedAt?: number;
  step?: StepProgress;
  /** Canary weight of the last confirmed commit. */
  weight: number;
  background?: AnalysisRun;
  /** Finished analysis runs, kept for the evidence in comments and the revert PR. */
  finishedRuns: Record<string, AnalysisRun>;

  startedAt: number;
  updatedAt: number;
  finishedAt?: number;
  wakeAt?: number;
  failure?: FailureRecord;
  supersededBy?: string;

  commits: CommitRecord[];
  history: HistoryEntry[];
  /** The revert proposed after a rollback (a pull request, a pushed branch), while it stands. */
  revert?: RevertRef;
  /** The status view as last published; the forge finds it again (and tells unchanged parts) by it. */
  statusRef?: StatusRef;
  /** The config's `notifications` and `github.deployments` at the merge commit (absent: none). */
  notifications?: NotificationsConfig;
  deployments?: { environment: string };
  /** Ids of the last commands applied (comment ids), so a command replayed after a crash does nothing. */
  commandIds?: string[];

  /** Effects decided but not yet confirmed done; replayed after a restart (each is idempotent). */
  outbox: Effect[];
  /** Increments for every effect id, so ids never repeat. */
  effectSeq: number;
}

interface EffectBase {
  id: number;
  /** Failed attempts so far, and the earliest time of the next one. */
  attempts?: number;
  notBefore?: number;
  /**
   * Stored before an effect that may create objects on the forge (a comment, a check run, a pull
   * request) first runs. Only a run that finds it set may look for objects an earlier run made
   * and whose ids were lost (a crash, a failure half-way); a first run creates without looking.
   */
  started?: boolean;
}

export type Effect = EffectBase &
  (
    | { type: 'commit'; kind: CommitKind; weight: number; step: number | null; message: string }
    | { type: 'measure'; analysis: string; metrics: string[] }
    | { type: 'proposeRevert' }
    | { type: 'withdrawRevert'; revert: RevertRef; reason: string }
    | { type: 'checkSync'; step: number; sha: string }
    /**
     * `at`: when the first change this update shows was decided; `urgent`: shown at once (a pause,
     * a hold, a failure, the end), otherwise the engine sends it once changes stop coming in.
     */
    | { type: 'publishStatus'; final: boolean; urgent?: boolean; at?: number }
  );

export type EffectResult =
  | { type: 'commit'; sha: string | null }
  | { type: 'measure'; measurements: { metric: string; measurement: MeasurementInput }[] }
  | { type: 'proposeRevert'; revert: RevertRef }
  | { type: 'withdrawRevert' }
  | { type: 'checkSync'; state: 'applied' | 'pending' | 'failed'; detail: string }
  | { type: 'publishStatus'; statusRef: StatusRef };

export type RolloutCommand =
  /**
   * `step`: the step index the sender saw. A /promote for a step that has ended since does
   * nothing, so two sent together end one step whatever the next step is.
   */
  | {
      name: 'promote';
      full: boolean;
      step?: number;
      /**
       * When the command's comment was written (GitHub's `created_at`, whole seconds): a comment
       * written before the current step started saw an earlier step and does not end this one.
       */
      commentedAt?: number;
    }
  | { name: 'pause' }
  | { name: 'resume' }
  | { name: 'abort' }
  /**
   * Facts the edge looks up: `revertMerged`, the revert pull request was merged meanwhile;
   * `newer`, a later bump of the service started its own rollout since.
   */
  | { name: 'retry'; revertMerged?: boolean; newer?: { to: string; sourceNumber: number } }
  /** Refreshes the status comment. */
  | { name: 'status' }
  /** Only recorded: the answer is a reply. */
  | { name: 'help' };

export type RolloutEvent =
  | { type: 'start' }
  | { type: 'tick' }
  /** An effect that may create objects on the forge is about to run for the first time (see `started`). */
  | { type: 'effectStarted'; effectId: number }
  | { type: 'effectDone'; effectId: number; result: EffectResult }
  | { type: 'effectFailed'; effectId: number; error: string; retryable: boolean }
  /** `commandId` (the comment's id) makes a repeated command a no-op. */
  | { type: 'command'; command: RolloutCommand; actor: string; commandId?: string }
  | { type: 'supersede'; by: string; to: string; sourceNumber: number };

export interface Transition {
  state: RolloutState;
  /** Effects newly added to the outbox by this transition. */
  effects: Effect[];
  /** Set when the event does not apply (e.g. a command in the wrong phase): why, for a reply. */
  rejected?: string;
  /** Set when the command was applied before (same `commandId`): nothing changed. */
  duplicate?: boolean;
}

export type { Step };

/** Failed: rolling back, rolled back, or held after a failure (`onFailure: pause`). */
export function isFailed(state: Pick<RolloutState, 'phase' | 'pauseReason'>): boolean {
  return state.phase === 'Aborting' || state.phase === 'Aborted' || (state.phase === 'Paused' && state.pauseReason === 'failure');
}
