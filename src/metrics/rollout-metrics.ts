/**
 * Feeds the metrics from what the engine does: every stored transition and every effect run.
 * Only counters and histograms live here; the gauges read the store when scraped.
 */
import type { EngineObserver } from '../app/engine.js';
import { TERMINAL_PHASES, type RolloutEvent, type RolloutState } from '../rollout/types.js';
import type { FinishResult, OpsboxMetrics } from './metrics.js';

/** The `/abort` command fails a rollout with this reason (see the machine's abort). */
const ABORT_REASON = /^aborted by @/;

export function rolloutMetrics(metrics: OpsboxMetrics): EngineObserver {
  /** When each rollout entered its current step, for the steps this process saw begin. */
  const stepStarts = new Map<string, { index: number; kind: string; at: number }>();

  return {
    transition(before, event, after) {
      const at = after.updatedAt;
      const seen = stepStarts.get(after.id);
      const stepEnded = seen && (seen.index !== after.stepIndex || (!isActive(after) && isActive(before)));
      if (seen && stepEnded) {
        metrics.stepDuration.observe({ kind: seen.kind }, Math.max(0, at - seen.at) / 1000);
        stepStarts.delete(after.id);
      }
      const stepBegan = event.type === 'start' || before.stepIndex !== after.stepIndex;
      if (stepBegan && after.step && isActive(after)) stepStarts.set(after.id, { index: after.stepIndex, kind: after.step.kind, at });
      if (!isActive(after)) stepStarts.delete(after.id);

      if (event.type === 'effectDone' && event.result.type === 'measure') countMeasurements(metrics, before, after, event);

      const finished = !isTerminal(before) && isTerminal(after);
      if (finished) {
        const result = finishResult(after);
        metrics.rolloutsFinished.inc({ repository: `${after.repo.owner}/${after.repo.repo}`, service: after.service, result });
        metrics.rolloutDuration.observe({ result }, Math.max(0, (after.finishedAt ?? at) - after.startedAt) / 1000);
      }
    },
    effect(_state, effect, seconds) {
      metrics.effectDuration.observe({ effect: effect.type }, seconds);
    },
  };
}

export function finishResult(state: Pick<RolloutState, 'phase' | 'failure'>): FinishResult {
  if (state.phase === 'Succeeded') return 'promoted';
  if (state.phase === 'Superseded') return 'superseded';
  return ABORT_REASON.test(state.failure?.reason ?? '') ? 'aborted' : 'rolled_back';
}

function isTerminal(state: Pick<RolloutState, 'phase'>): boolean {
  return TERMINAL_PHASES.includes(state.phase);
}

/** Still running its steps (a rollback or promotion in progress is past them). */
function isActive(state: Pick<RolloutState, 'phase'>): boolean {
  return state.phase === 'Progressing' || state.phase === 'Paused';
}

/** One count per metric measured, with the phase the analysis gave the new measurement. */
function countMeasurements(
  metrics: OpsboxMetrics,
  before: RolloutState,
  after: RolloutState,
  event: Extract<RolloutEvent, { type: 'effectDone' }>,
): void {
  const effect = before.outbox.find((e) => e.id === event.effectId);
  if (effect?.type !== 'measure' || event.result.type !== 'measure') return;
  const run = runOf(after, effect.analysis);
  const template = after.analyses[effect.analysis]?.templates.join(',') ?? '';
  for (const { metric } of event.result.measurements) {
    const result = run?.results.find((r) => r.name === metric);
    const phase = result?.measurements.at(-1)?.phase ?? 'Error';
    metrics.measurements.inc({ template, metric, phase });
  }
}

function runOf(state: RolloutState, key: string) {
  if (key === 'background' && state.background) return state.background;
  if (state.step?.kind === 'analysis' && key === `step:${state.stepIndex}`) return state.step.run;
  return state.finishedRuns[key];
}
