/**
 * The rollout state machine: `transition(state, event, now, deps)` returns the next state and the
 * effects to carry out. No I/O, no clock: the engine feeds it events and executes its effects.
 *
 * Effects are put in the state's outbox before they run and leave it when their result comes back,
 * so a restarted process replays exactly the effects that were not confirmed. Each effect is
 * idempotent at its edge (a commit whose files already match is skipped, the revert PR and the
 * status comment are found again), which is what makes the replay safe.
 */
import { configuredGates } from '../sync/gate.js';
import { parseDuration } from '../util/duration.js';
import type { AnalysisPort } from './analysis-port.js';
import { commitMessage } from './messages.js';
import {
  TERMINAL_PHASES,
  type CommitKind,
  type Effect,
  type EffectResult,
  type RevertRef,
  type RolloutCommand,
  type RolloutEvent,
  type RolloutState,
  type StepProgress,
  type Transition,
} from './types.js';

export interface MachineDeps {
  analysis: AnalysisPort;
}

/** How long to wait before retrying an effect that failed for a passing reason. */
export const EFFECT_RETRY_MS = 15_000;
/** Effects that keep failing are given up after this many attempts. */
export const MAX_EFFECT_ATTEMPTS = 5;

type Draft = { s: RolloutState; effects: Effect[]; now: number; rejected?: string; duplicate?: boolean };

export function transition(state: RolloutState, event: RolloutEvent, now: number, deps: MachineDeps): Transition {
  const draft: Draft = { s: structuredClone(state), effects: [], now };
  draft.s.updatedAt = now;
  switch (event.type) {
    case 'start':
      onStart(draft, now, deps);
      break;
    case 'tick':
      onTick(draft, now, deps);
      break;
    case 'effectStarted':
      onEffectStarted(draft, event.effectId);
      break;
    case 'effectDone':
      onEffectDone(draft, event.effectId, event.result, now, deps);
      break;
    case 'effectFailed':
      onEffectFailed(draft, event.effectId, event.error, event.retryable, now, deps);
      break;
    case 'command':
      onCommand(draft, event, now, deps);
      break;
    case 'supersede':
      onSupersede(draft, event, now, deps);
      break;
  }
  scheduleWake(draft.s, now, deps);
  const result: Transition = { state: draft.s, effects: draft.effects };
  if (draft.rejected !== undefined) result.rejected = draft.rejected;
  if (draft.duplicate) result.duplicate = true;
  return result;
}

export function isTerminal(state: Pick<RolloutState, 'phase'>): boolean {
  return TERMINAL_PHASES.includes(state.phase);
}

/**
 * Whether running the effect may create an object on the forge whose reference the state learns
 * only from the effect's result: such an effect is marked `started` (and stored) before it first
 * runs, so a run after a lost result knows to look for what the earlier one made.
 */
export function mayCreateObjects(state: RolloutState, effect: Effect): boolean {
  if (effect.type === 'proposeRevert') return true;
  if (effect.type !== 'publishStatus') return false;
  if (state.statusRef === undefined) return true;
  // The failure notice of the current failure is a new object the first time.
  return effect.final && state.phase === 'Aborted' && state.statusRef.failureNoticeAt !== (state.failure?.at ?? 0);
}

// ---------------------------------------------------------------------------------------------
// events

function onStart(d: Draft, now: number, deps: MachineDeps): void {
  if (d.s.history.length > 0) return; // already started: a replayed start changes nothing
  log(d, now, `rollout ${d.s.from} → ${d.s.to} started`);
  d.s.phase = 'Progressing';
  enterStep(d, 0, now, deps);
  // The first update creates the comment and the check run, after the first commit so it shows
  // it, and at once: people see that the rollout started.
  report(d, { urgent: true });
}

function onTick(d: Draft, now: number, deps: MachineDeps): void {
  const s = d.s;
  if (isTerminal(s) || s.phase === 'Aborting' || s.phase === 'Promoting') return;
  if (s.background) measureIfDue(d, 'background', s.background, now, deps);
  if (s.phase !== 'Progressing' || !s.step) return;
  const step = s.step;
  if (step.kind === 'setWeight') {
    if (step.appliedAt !== undefined && now >= step.appliedAt) awaitSync(d, step, now, deps);
  } else if (step.kind === 'pause') {
    if (step.until !== undefined && now >= step.until) {
      log(d, now, `pause of step ${s.stepIndex + 1} ended`);
      enterStep(d, s.stepIndex + 1, now, deps);
    }
  } else {
    measureIfDue(d, stepKey(s.stepIndex), step.run, now, deps);
  }
}

function onEffectStarted(d: Draft, effectId: number): void {
  const effect = d.s.outbox.find((e) => e.id === effectId);
  if (effect) effect.started = true;
}

function onEffectDone(d: Draft, effectId: number, result: EffectResult, now: number, deps: MachineDeps): void {
  const effect = takeFromOutbox(d.s, effectId);
  if (!effect) return; // already applied: a duplicate confirmation
  const s = d.s;
  switch (effect.type) {
    case 'commit': {
      const sha = result.type === 'commit' ? result.sha : null;
      s.commits.push({ kind: effect.kind, weight: effect.weight, step: effect.step, sha, at: now });
      s.weight = effect.weight;
      log(d, now, commitLog(effect.kind, effect.weight, sha));
      if (effect.kind === 'weight') {
        if (s.step?.kind === 'setWeight' && s.stepIndex === effect.step) {
          s.step.sha = sha;
          s.step.appliedAt = now + parseDuration(s.serviceConfig.sync.delay);
        }
        report(d);
      } else if (effect.kind === 'promote') {
        s.phase = 'Succeeded';
        s.finishedAt = now;
        log(d, now, `promoted ${s.to} to stable`);
        report(d, { final: true });
      } else {
        addEffect(d, { type: 'proposeRevert' });
      }
      break;
    }
    case 'measure': {
      if (result.type !== 'measure') break;
      const run = runFor(s, effect.analysis);
      if (!run) break;
      setRun(s, effect.analysis, deps.analysis.record(run, result.measurements));
      judge(d, effect.analysis, now, deps);
      break;
    }
    case 'proposeRevert':
      if (result.type === 'proposeRevert') {
        s.revert = result.revert;
        log(d, now, `revert ${describeRevert(result.revert)} opened`);
      }
      s.phase = 'Aborted';
      s.finishedAt = now;
      report(d, { final: true });
      break;
    case 'checkSync':
      if (result.type === 'checkSync') onSyncChecked(d, effect.step, result, now, deps);
      break;
    case 'withdrawRevert':
      if (d.s.revert && sameRevert(d.s.revert, effect.revert)) {
        log(d, now, `revert ${describeRevert(effect.revert)} closed`);
        d.s.revert = undefined;
      }
      break;
    case 'publishStatus':
      if (result.type === 'publishStatus') s.statusRef = result.statusRef;
      break;
  }
}

function onEffectFailed(d: Draft, effectId: number, error: string, retryable: boolean, now: number, deps: MachineDeps): void {
  const effect = d.s.outbox.find((e) => e.id === effectId);
  if (!effect) return;
  const attempts = (effect.attempts ?? 0) + 1;
  if (retryable && attempts < MAX_EFFECT_ATTEMPTS) {
    effect.attempts = attempts;
    effect.notBefore = now + EFFECT_RETRY_MS * attempts;
    log(d, now, `${describeEffect(effect)} failed (${error}); retrying`);
    return;
  }
  takeFromOutbox(d.s, effectId);
  log(d, now, `${describeEffect(effect)} failed: ${error}`);
  if (effect.type === 'commit' && effect.kind !== 'rollback') {
    fail(d, `could not commit ${describeEffect(effect)}: ${error}`, now, deps, { forceRollback: false });
  } else if (effect.type === 'commit' || effect.type === 'proposeRevert') {
    // The rollback itself could not be written: stop here and say so; a person must act.
    d.s.phase = 'Aborted';
    d.s.finishedAt = now;
    d.s.failure = { at: now, reason: `${d.s.failure?.reason ?? 'rollback'}; then ${describeEffect(effect)} failed: ${error}. Set the canary weight to 0 by hand.` };
    report(d, { final: true });
  }
}

/** How many applied command ids a rollout remembers; replays come soon after the original. */
const REMEMBERED_COMMANDS = 50;

function onCommand(d: Draft, event: Extract<RolloutEvent, { type: 'command' }>, now: number, deps: MachineDeps): void {
  const s = d.s;
  const { command, actor, commandId } = event;
  if (commandId !== undefined && s.commandIds?.includes(commandId)) {
    d.duplicate = true;
    return;
  }
  const reject = (why: string) => {
    d.rejected = why;
  };
  const accept = (what: string) => {
    log(d, now, what, actor);
    if (commandId !== undefined) s.commandIds = [...(s.commandIds ?? []), commandId].slice(-REMEMBERED_COMMANDS);
  };
  switch (command.name) {
    case 'promote': {
      if (isTerminal(s) || s.phase === 'Promoting' || s.phase === 'Aborting') return reject(`the rollout is ${s.phase}`);
      if (command.full) {
        accept('/promote --full: skipping the remaining steps');
        stopRun(d, stepKey(s.stepIndex), now, deps);
        promote(d, now, deps);
      } else {
        // A weight step ends on its own once applied; ending it by hand would let two /promote
        // sent together skip two steps.
        if (s.phase === 'Progressing' && s.step?.kind === 'setWeight') {
          return reject(`step ${s.stepIndex + 1} (weight ${s.step.weight}%) is being applied; /promote ends a pause or an analysis, /promote --full skips to promotion`);
        }
        if (command.step !== undefined && command.step !== s.stepIndex) {
          return reject(`step ${command.step + 1} has ended already and the rollout is at step ${s.stepIndex + 1}; send /promote again to end that one too`);
        }
        if (command.commentedAt !== undefined && s.stepStartedAt !== undefined && command.commentedAt < s.stepStartedAt) {
          return reject(
            `it was written before step ${s.stepIndex + 1} started (${new Date(s.stepStartedAt).toISOString().replace(/\.\d{3}Z$/, 'Z')}), so it was meant for an earlier step; send /promote again to end step ${s.stepIndex + 1}`,
          );
        }
        accept(`/promote: step ${s.stepIndex + 1} ended by hand`);
        s.phase = 'Progressing';
        s.pauseReason = undefined;
        stopRun(d, stepKey(s.stepIndex), now, deps);
        enterStep(d, s.stepIndex + 1, now, deps);
      }
      report(d);
      return;
    }
    case 'pause': {
      if (s.phase !== 'Progressing') return reject(`/pause applies to a progressing rollout; this one is ${s.phase}`);
      accept(`/pause at ${s.weight}%`);
      s.phase = 'Paused';
      s.pauseReason = 'command';
      if (s.step?.kind === 'pause' && s.step.until !== undefined) {
        s.step.remainingMs = Math.max(0, s.step.until - now);
        s.step.until = undefined;
      }
      report(d, { urgent: true });
      return;
    }
    case 'resume': {
      if (s.phase !== 'Paused') return reject(`/resume applies to a paused rollout; this one is ${s.phase}`);
      accept('/resume');
      const reason = s.pauseReason;
      s.phase = 'Progressing';
      s.pauseReason = undefined;
      if (reason === 'command') {
        if (s.step?.kind === 'pause' && s.step.remainingMs !== undefined) {
          s.step.until = now + s.step.remainingMs;
          s.step.remainingMs = undefined;
        }
      } else {
        stopRun(d, stepKey(s.stepIndex), now, deps);
        enterStep(d, s.stepIndex + 1, now, deps);
      }
      report(d);
      return;
    }
    case 'abort': {
      if (isTerminal(s) || s.phase === 'Aborting') return reject(`the rollout is already ${s.phase}`);
      accept('/abort');
      fail(d, `aborted by @${actor}`, now, deps, { forceRollback: true });
      return;
    }
    case 'retry': {
      if (s.phase !== 'Aborted') return reject(`/retry applies to an aborted rollout; this one is ${s.phase}`);
      if (command.newer) {
        return reject(`${command.newer.to} from #${command.newer.sourceNumber} has been rolled out since; merge a new bump to try ${s.to} again`);
      }
      if (command.revertMerged) {
        const revert = s.revert ? `revert ${describeRevert(s.revert)}` : 'revert';
        return reject(`the ${revert} was merged, so the canary runs ${s.from} again; merge a new bump to try ${s.to} again`);
      }
      accept('/retry: starting again from the first step');
      if (s.revert) {
        addEffect(d, { type: 'withdrawRevert', revert: s.revert, reason: `/retry by @${actor} runs the canary of ${s.to} again` });
      }
      s.phase = 'Progressing';
      s.pauseReason = undefined;
      s.failure = undefined;
      s.finishedAt = undefined;
      s.background = undefined;
      s.finishedRuns = {};
      report(d);
      enterStep(d, 0, now, deps);
      return;
    }
    case 'status': {
      accept('/status');
      report(d, { final: isTerminal(s), urgent: true });
      return;
    }
    case 'help': {
      accept('/help');
      return;
    }
  }
}

function onSupersede(d: Draft, event: Extract<RolloutEvent, { type: 'supersede' }>, now: number, deps: MachineDeps): void {
  const s = d.s;
  if (isTerminal(s)) return;
  stopRun(d, stepKey(s.stepIndex), now, deps);
  stopRun(d, 'background', now, deps);
  // Pending commits of this rollout would fight the new one; its status still gets a last update.
  s.outbox = s.outbox.filter((e) => e.type === 'publishStatus');
  s.phase = 'Superseded';
  s.supersededBy = event.by;
  s.finishedAt = now;
  log(d, now, `superseded by ${event.to} from #${event.sourceNumber}`);
  report(d, { final: true });
}

// ---------------------------------------------------------------------------------------------
// steps

function enterStep(d: Draft, index: number, now: number, deps: MachineDeps): void {
  const s = d.s;
  const steps = s.serviceConfig.steps;
  s.stepIndex = index;
  s.stepStartedAt = now;
  if (index >= steps.length) {
    promote(d, now, deps);
    return;
  }
  const step = steps[index];
  if ('setWeight' in step) {
    s.step = { kind: 'setWeight', weight: step.setWeight };
    addCommit(d, 'weight', step.setWeight, index);
    if (step.setWeight > 0) startBackground(d, now, deps);
  } else if ('pause' in step) {
    if (step.pause.duration === undefined) {
      s.step = { kind: 'pause' };
      s.phase = 'Paused';
      s.pauseReason = 'step';
      log(d, now, `paused at step ${index + 1}: waiting for /promote or /resume`);
      report(d, { urgent: true });
    } else {
      s.step = { kind: 'pause', until: now + parseDuration(step.pause.duration) };
    }
  } else {
    const resolved = s.analyses[stepKey(index)];
    if (!resolved || resolved.metrics.length === 0) {
      fail(d, `the analysis of step ${index + 1} has no metrics to run`, now, deps, { forceRollback: false });
      return;
    }
    // Not an update of its own: the step table shows it with the next visible change.
    s.step = { kind: 'analysis', run: deps.analysis.start(resolved.metrics, now) };
    measureIfDue(d, stepKey(index), s.step.run, now, deps);
  }
}

/** How often sync gates are asked again while a commit is not applied yet. */
export const SYNC_POLL_MS = 15_000;

/**
 * After `sync.delay`: the next step, or first the configured sync gates. A commit that changed
 * nothing (sha null) was applied before, so it waits for nothing more.
 */
function awaitSync(d: Draft, step: Extract<StepProgress, { kind: 'setWeight' }>, now: number, deps: MachineDeps): void {
  const s = d.s;
  if (configuredGates(s.serviceConfig.sync).length === 0 || !step.sha || step.syncedAt !== undefined) {
    enterStep(d, s.stepIndex + 1, now, deps);
    return;
  }
  const deadline = syncDeadline(s, step);
  if (deadline !== undefined && now >= deadline) {
    fail(d, `commit ${step.sha.slice(0, 7)} was not applied within ${s.serviceConfig.sync.timeout} (${step.syncDetail ?? 'no report yet'})`, now, deps, {
      forceRollback: false,
    });
    return;
  }
  if (step.nextSyncCheckAt !== undefined && now < step.nextSyncCheckAt) return;
  if (d.s.outbox.some((e) => e.type === 'checkSync')) return;
  addEffect(d, { type: 'checkSync', step: s.stepIndex, sha: step.sha });
}

function onSyncChecked(d: Draft, index: number, result: Extract<EffectResult, { type: 'checkSync' }>, now: number, deps: MachineDeps): void {
  const s = d.s;
  const step = s.step;
  if (s.stepIndex !== index || step?.kind !== 'setWeight' || isTerminal(s)) return; // the rollout moved on meanwhile
  step.syncDetail = result.detail;
  if (result.state === 'failed') {
    fail(d, `the weight ${step.weight}% commit was not applied: ${result.detail}`, now, deps, { forceRollback: false });
  } else if (result.state === 'applied') {
    log(d, now, `weight ${step.weight}% applied: ${result.detail}`);
    step.syncedAt = now;
    if (s.phase === 'Progressing') enterStep(d, s.stepIndex + 1, now, deps);
  } else {
    step.nextSyncCheckAt = now + SYNC_POLL_MS;
  }
}

function syncDeadline(s: RolloutState, step: Extract<StepProgress, { kind: 'setWeight' }>): number | undefined {
  if (step.appliedAt === undefined) return undefined;
  return step.appliedAt - parseDuration(s.serviceConfig.sync.delay) + parseDuration(s.serviceConfig.sync.timeout);
}

function startBackground(d: Draft, now: number, deps: MachineDeps): void {
  const resolved = d.s.analyses.background;
  if (!resolved || d.s.background) return;
  d.s.background = deps.analysis.start(resolved.metrics, now);
  log(d, now, 'background analysis started');
}

function promote(d: Draft, now: number, deps: MachineDeps): void {
  const s = d.s;
  stopRun(d, 'background', now, deps);
  s.step = undefined;
  s.phase = 'Promoting';
  s.pauseReason = undefined;
  // A weight commit not made yet would only be undone by the promotion.
  s.outbox = s.outbox.filter((e) => e.type !== 'measure' && !(e.type === 'commit' && e.kind === 'weight'));
  addCommit(d, 'promote', 0, null);
}

/** A failure: roll back (weight 0 now, then the revert PR), or hold when `onFailure: pause`. */
function fail(d: Draft, reason: string, now: number, deps: MachineDeps, options: { forceRollback: boolean; analysis?: string }): void {
  const s = d.s;
  s.failure = { at: now, reason, analysis: options.analysis };
  log(d, now, `failed: ${reason}`);
  if (s.serviceConfig.onFailure === 'pause' && !options.forceRollback) {
    s.phase = 'Paused';
    s.pauseReason = 'failure';
    report(d, { urgent: true });
    return;
  }
  stopRun(d, stepKey(s.stepIndex), now, deps);
  stopRun(d, 'background', now, deps);
  s.phase = 'Aborting';
  s.pauseReason = undefined;
  s.outbox = s.outbox.filter((e) => e.type !== 'measure' && e.type !== 'commit');
  addCommit(d, 'rollback', 0, null);
  report(d, { urgent: true });
}

// ---------------------------------------------------------------------------------------------
// analysis

function measureIfDue(d: Draft, key: string, run: AnalysisRunRef, now: number, deps: MachineDeps): void {
  if (d.s.outbox.some((e) => e.type === 'measure' && e.analysis === key)) return;
  const metrics = deps.analysis.due(run, now);
  if (metrics.length > 0) addEffect(d, { type: 'measure', analysis: key, metrics });
}

/** After new measurements: decide whether the analysis moves the rollout. */
function judge(d: Draft, key: string, now: number, deps: MachineDeps): void {
  const s = d.s;
  const run = runFor(s, key);
  if (!run) return;
  const { phase, message } = deps.analysis.outcome(run);
  if (phase === 'Running' || phase === 'Pending') return;
  const label = key === 'background' ? 'background analysis' : `analysis of step ${s.stepIndex + 1}`;
  if (phase === 'Failed' || phase === 'Error') {
    s.finishedRuns[key] = run;
    if (key === 'background') s.background = undefined;
    fail(d, `${label} ${phase === 'Failed' ? 'failed' : 'errored'}${message ? `: ${message}` : ''}`, now, deps, {
      forceRollback: false,
      analysis: key,
    });
    return;
  }
  if (key === 'background') return; // background runs until promotion
  s.finishedRuns[key] = run;
  if (phase === 'Inconclusive') {
    s.phase = 'Paused';
    s.pauseReason = 'inconclusive';
    log(d, now, `${label} was inconclusive${message ? ` (${message})` : ''}: holding at ${s.weight}%, waiting for /promote or /abort`);
    report(d, { urgent: true });
    return;
  }
  log(d, now, `${label} succeeded`);
  report(d); // a verdict is shown, whatever the next step is
  enterStep(d, s.stepIndex + 1, now, deps);
}

type AnalysisRunRef = NonNullable<RolloutState['background']>;

function runFor(s: RolloutState, key: string): AnalysisRunRef | undefined {
  if (key === 'background') return s.background;
  if (s.step?.kind === 'analysis' && key === stepKey(s.stepIndex)) return s.step.run;
  return undefined;
}

function setRun(s: RolloutState, key: string, run: AnalysisRunRef): void {
  if (key === 'background') s.background = run;
  else if (s.step?.kind === 'analysis') s.step.run = run;
}

/** Ends a running analysis (keeping it as evidence) when the rollout leaves it behind. */
function stopRun(d: Draft, key: string, now: number, deps: MachineDeps): void {
  const run = runFor(d.s, key);
  if (!run) return;
  d.s.finishedRuns[key] = deps.analysis.terminate(run, now);
  if (key === 'background') d.s.background = undefined;
  d.s.outbox = d.s.outbox.filter((e) => !(e.type === 'measure' && e.analysis === key));
}

export function stepKey(index: number): string {
  return `step:${index}`;
}

// ---------------------------------------------------------------------------------------------
// effects and bookkeeping

function addEffect(d: Draft, effect: DistributiveOmit<Effect, 'id' | 'attempts' | 'notBefore'>): void {
  d.s.effectSeq += 1;
  const withId = { ...effect, id: d.s.effectSeq } as Effect;
  d.s.outbox.push(withId);
  d.effects.push(withId);
}

function addCommit(d: Draft, kind: CommitKind, weight: number, step: number | null): void {
  const s = d.s;
  const total = s.serviceConfig.steps.length;
  const message = commitMessage({
    service: s.service,
    kind,
    weight,
    to: s.to,
    from: s.from,
    rolloutId: s.id,
    step: step === null ? undefined : { number: step + 1, total },
    sourceNumber: s.source.number,
  });
  addEffect(d, { type: 'commit', kind, weight, step, message });
}

/**
 * One pending status update at a time: a later change joins the one not sent yet. `urgent` asks
 * for it at once (a pause, a hold, a failure; a final update always is); otherwise the engine may
 * hold it briefly so that changes close together go out as one update.
 */
function report(d: Draft, options: { final?: boolean; urgent?: boolean } = {}): void {
  const final = options.final ?? false;
  const urgent = final || (options.urgent ?? false);
  const pending = d.s.outbox.find((e) => e.type === 'publishStatus');
  if (pending && pending.type === 'publishStatus') {
    // Move it to the end so it reflects everything decided before it runs.
    d.s.outbox = d.s.outbox.filter((e) => e !== pending);
    d.s.outbox.push({ ...pending, final: pending.final || final, urgent: pending.urgent || urgent, at: Math.min(pending.at ?? d.now, d.now) });
    return;
  }
  addEffect(d, { type: 'publishStatus', final, urgent, at: d.now });
}

function takeFromOutbox(s: RolloutState, effectId: number): Effect | undefined {
  const index = s.outbox.findIndex((e) => e.id === effectId);
  if (index < 0) return undefined;
  const [effect] = s.outbox.splice(index, 1);
  return effect;
}

/** An ended rollout has no run and no step to wait on: only its outbox, retries included, wakes it. */
function scheduleWake(s: RolloutState, now: number, deps: MachineDeps): void {
  const candidates: number[] = [];
  for (const effect of s.outbox) candidates.push(effect.notBefore ?? now);
  // A wake that would only ask for an effect already in the outbox waits for that effect's time.
  const measuring = (key: string) => s.outbox.some((e) => e.type === 'measure' && e.analysis === key);
  if (s.background && !measuring('background')) pushDefined(candidates, deps.analysis.nextWakeAt(s.background, now));
  if (s.phase === 'Progressing' && s.step) {
    if (s.step.kind === 'setWeight' && s.step.appliedAt !== undefined && !s.outbox.some((e) => e.type === 'checkSync')) {
      candidates.push(Math.max(s.step.appliedAt, s.step.nextSyncCheckAt ?? 0));
    }
    if (s.step.kind === 'pause' && s.step.until !== undefined) candidates.push(s.step.until);
    if (s.step.kind === 'analysis' && !measuring(stepKey(s.stepIndex))) pushDefined(candidates, deps.analysis.nextWakeAt(s.step.run, now));
  }
  s.wakeAt = candidates.length > 0 ? Math.min(...candidates) : undefined;
}

function pushDefined(list: number[], value: number | undefined): void {
  if (value !== undefined) list.push(value);
}

function log(d: Draft, at: number, message: string, actor?: string): void {
  d.s.history.push(actor ? { at, message, actor } : { at, message });
}

function commitLog(kind: CommitKind, weight: number, sha: string | null): string {
  const what = kind === 'weight' ? `weight ${weight}%` : kind === 'promote' ? 'promotion' : 'rollback to weight 0%';
  return sha ? `committed ${what} (${sha.slice(0, 7)})` : `${what} was already in place; nothing to commit`;
}

/** `pull request #43` on GitHub, `branch opsbox/revert/api-v2` where the revert is a branch. */
function describeRevert(revert: RevertRef): string {
  return revert.thread ? `pull request ${revert.label}` : `branch ${revert.label}`;
}

function sameRevert(a: RevertRef, b: RevertRef): boolean {
  return a.branch === b.branch && a.url === b.url;
}

function describeEffect(effect: Effect): string {
  switch (effect.type) {
    case 'commit':
      return effect.kind === 'weight' ? `the weight ${effect.weight}% commit` : `the ${effect.kind} commit`;
    case 'proposeRevert':
      return 'opening the revert pull request';
    case 'withdrawRevert':
      return `closing revert ${describeRevert(effect.revert)}`;
    case 'checkSync':
      return `checking whether ${effect.sha.slice(0, 7)} was applied`;
    case 'measure':
      return `measuring ${effect.metrics.join(', ')}`;
    case 'publishStatus':
      return 'updating the status comment and check run';
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
