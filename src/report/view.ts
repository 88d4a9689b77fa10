/**
 * The view model of a rollout: everything the reports show, as plain data, computed from the
 * rollout state. Templates only lay it out. Analysis runs are opaque in the rollout state; the
 * caller passes `analysisOf`, which turns one into an AnalysisSnapshot.
 */
import type { AnalysisPhase } from '../analysis/types.js';
import type { AnalysisRun } from '../rollout/analysis-port.js';
import type { PauseReason, RolloutPhase, RolloutState } from '../rollout/types.js';
import { TERMINAL_PHASES } from '../rollout/types.js';
import { parseDuration } from '../util/duration.js';
import { metricChart, type ChartSeries } from './chart.js';
import { judgementSummary, judgementView, type JudgementView } from './judgement.js';
import { availableCommands, commandContextOf, stepPosition, type CommandHelp } from './commands.js';
import { commitLink, currentAttempt, type CommitLink } from './commit-links.js';
import { phaseBadge, phaseDetail } from './phase.js';
import { displayAddress, redactCredentials } from './redact.js';
import { buildStepRows, describeStep, type MeasurementSpan, type StepRow } from './step-rows.js';
import { formatOffset, formatSpan, formatTimestamp } from './time-format.js';

export type { ChartSeries } from './chart.js';
export type { CommandHelp } from './commands.js';
export type { CommitLink } from './commit-links.js';
export type { StepRow, StepStatus } from './step-rows.js';

// ---------------------------------------------------------------------------------------------
// what the analysis engine provides

export interface MeasurementSnapshot {
  phase: AnalysisPhase;
  /** Formatted like Argo: `10`, `[10,11]`, `NaN`, `[]`; absent or empty when nothing was measured. */
  value?: string;
  message?: string;
  startedAt: number;
  finishedAt: number;
}

export interface MetricSnapshot {
  name: string;
  query: string;
  address?: string;
  successCondition?: string;
  failureCondition?: string;
  phase: AnalysisPhase;
  message?: string;
  dryRun: boolean;
  count?: number;
  interval?: string;
  measurements: MeasurementSnapshot[];
}

export interface AnalysisSnapshot {
  phase: AnalysisPhase;
  message?: string;
  metrics: MetricSnapshot[];
}

export interface ViewContext {
  /** A link to a commit of the rollout's repository (the forge's). */
  commitUrl(sha: string): string;
  analysisOf(run: AnalysisRun): AnalysisSnapshot;
  now: number;
}

// ---------------------------------------------------------------------------------------------
// the view

export interface MeasurementView extends MeasurementSnapshot {
  /** 1-based position among the metric's kept measurements. */
  number: number;
  /** When it finished, as an offset from the rollout start. */
  since: string;
  /** The phase with its emoji, e.g. `❌ Failed`. */
  verdict: string;
}

export interface MetricView extends Omit<MetricSnapshot, 'measurements'> {
  verdict: string;
  measurements: MeasurementView[];
  /** The value of the most recent measurement that has one. */
  lastValue?: string;
  chart?: ChartSeries;
  /** Set for a CanaryJudge: the latest judgement, per judged metric. */
  judgement?: JudgementView;
}

export interface AnalysisView {
  /** `step:<index>` or `background`. */
  key: string;
  /** `Step 2 analysis`, `Background analysis`. */
  label: string;
  templates: string[];
  /** Still measuring (not yet in the finished runs). */
  running: boolean;
  phase: AnalysisPhase;
  verdict: string;
  message?: string;
  metrics: MetricView[];
}

export interface FailureView {
  reason: string;
  at: number;
  time: string;
  since: string;
  /** The analysis that failed, when one did. */
  analysis?: { key: string; label: string };
  /** The metrics that decided the failure, with their evidence. */
  metrics: MetricView[];
}

export interface HistoryRow {
  at: number;
  time: string;
  since: string;
  actor?: string;
  message: string;
}

export interface RolloutView {
  id: string;
  service: string;
  from: string;
  to: string;
  source: { number: number; title: string; url: string };
  canaryFile: string;

  phase: RolloutPhase;
  phaseLabel: string;
  phaseEmoji: string;
  /** A plain-text sentence on where the rollout stands. */
  phaseDetail: string;
  pauseReason?: PauseReason;
  terminal: boolean;
  /** Current canary weight in percent. */
  weight: number;

  /** 1-based current step (the last one once every step ran) and the number of steps. */
  stepNumber: number;
  totalSteps: number;
  steps: StepRow[];

  started: string;
  updated: string;
  finished?: string;
  /** How long it ran (until now, while it runs). */
  elapsed: string;

  commits: CommitLink[];
  promotionCommit?: CommitLink;
  rollbackCommit?: CommitLink;

  analyses: AnalysisView[];
  failure?: FailureView;
  /** The proposed revert: `label` as people name it (`#43`), `url` where to look at it. */
  revert?: { label: string; url: string };
  supersededBy?: string;

  /** The most recent entries, oldest first. */
  history: HistoryRow[];
  historyOmitted: number;

  commands: CommandHelp[];
}

/** History entries kept in the view. */
export const HISTORY_LIMIT = 20;

const VERDICT_EMOJI: Record<AnalysisPhase, string> = {
  Pending: '⏳',
  Running: '⏳',
  Successful: '✅',
  Failed: '❌',
  Inconclusive: '❔',
  Error: '⚠️',
};

function verdictOf(phase: AnalysisPhase): string {
  return `${VERDICT_EMOJI[phase] ?? '•'} ${phase}`;
}

export function buildRolloutView(state: RolloutState, ctx: ViewContext): RolloutView {
  const origin = state.startedAt;
  const steps = state.serviceConfig.steps;
  const { stepNumber, totalSteps } = stepPosition(state);

  const commits = state.commits.map((record) => commitLink(record, ctx.commitUrl, origin));
  const attempt = currentAttempt(commits, state.failure?.at);
  const weightCommits = new Map<number, CommitLink>();
  for (const commit of attempt) if (commit.kind === 'weight' && commit.step !== undefined) weightCommits.set(commit.step - 1, commit);
  const promotionCommit = lastOf(attempt, 'promote');
  const rollbackCommit = lastOf(attempt, 'rollback');

  const analyses = collectAnalyses(state, ctx, origin);
  const analysisSpans = new Map<number, MeasurementSpan>();
  for (const analysis of analyses) {
    const index = stepIndexOf(analysis.key);
    const span = measurementSpan(analysis);
    if (index !== undefined && span) analysisSpans.set(index, span);
  }

  const rows = buildStepRows({
    steps,
    phase: state.phase,
    pauseReason: state.pauseReason,
    stepIndex: state.stepIndex,
    progress: state.step,
    origin,
    attemptStart: attempt.length === commits.length ? state.startedAt : undefined,
    syncDelayMs: parseDuration(state.serviceConfig.sync.delay),
    weightCommits,
    analysisSpans,
    promotionAt: promotionCommit?.at,
    endedAt: state.failure?.at ?? state.finishedAt,
    now: ctx.now,
  });

  const badge = phaseBadge(state.phase);
  const currentStep = steps[stepNumber - 1];
  const view: RolloutView = {
    id: state.id,
    service: state.service,
    from: state.from,
    to: state.to,
    source: { number: state.source.number, title: state.source.title, url: state.source.url },
    canaryFile: state.serviceConfig.canary.file,
    phase: state.phase,
    phaseLabel: badge.label,
    phaseEmoji: badge.emoji,
    phaseDetail: phaseDetail({
      phase: state.phase,
      pauseReason: state.pauseReason,
      stepNumber,
      totalSteps,
      stepDescription: currentStep ? describeStep(currentStep) : undefined,
      weight: state.weight,
      from: state.from,
      to: state.to,
      rolledBack: rollbackCommit !== undefined,
      supersededBy: state.supersededBy,
    }),
    terminal: TERMINAL_PHASES.includes(state.phase),
    weight: state.weight,
    stepNumber,
    totalSteps,
    steps: rows,
    started: formatTimestamp(state.startedAt),
    updated: formatTimestamp(state.updatedAt),
    elapsed: formatSpan((state.finishedAt ?? ctx.now) - state.startedAt),
    commits,
    analyses,
    history: state.history.slice(-HISTORY_LIMIT).map((entry) => historyRow(entry, origin)),
    historyOmitted: Math.max(0, state.history.length - HISTORY_LIMIT),
    commands: availableCommands(commandContextOf(state)),
  };
  if (state.pauseReason) view.pauseReason = state.pauseReason;
  if (state.finishedAt !== undefined) view.finished = formatTimestamp(state.finishedAt);
  if (promotionCommit) view.promotionCommit = promotionCommit;
  if (rollbackCommit) view.rollbackCommit = rollbackCommit;
  if (state.failure) view.failure = failureView(state.failure, analyses, origin);
  if (state.revert) view.revert = { label: state.revert.label, url: state.revert.url };
  if (state.supersededBy) view.supersededBy = state.supersededBy;
  return view;
}

/** `step:1` → `Step 2 analysis`; `background` → `Background analysis`. */
export function analysisLabel(key: string): string {
  const index = stepIndexOf(key);
  if (index !== undefined) return `Step ${index + 1} analysis`;
  return key === 'background' ? 'Background analysis' : `Analysis ${key}`;
}

function stepIndexOf(key: string): number | undefined {
  const match = /^step:(\d+)$/.exec(key);
  return match ? Number(match[1]) : undefined;
}

/** Step analyses in step order, then the background analysis; finished runs win over live ones. */
function collectAnalyses(state: RolloutState, ctx: ViewContext, origin: number): AnalysisView[] {
  const runs = new Map<string, { run: AnalysisRun; running: boolean }>();
  if (state.step?.kind === 'analysis') runs.set(`step:${state.stepIndex}`, { run: state.step.run, running: true });
  if (state.background) runs.set('background', { run: state.background, running: true });
  for (const [key, run] of Object.entries(state.finishedRuns)) runs.set(key, { run, running: false });
  const order = (key: string) => stepIndexOf(key) ?? Number.MAX_SAFE_INTEGER;
  return [...runs.entries()]
    .sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))
    .map(([key, { run, running }]) => {
      const snapshot = ctx.analysisOf(run);
      const view: AnalysisView = {
        key,
        label: analysisLabel(key),
        templates: state.analyses[key]?.templates ?? [],
        running,
        phase: snapshot.phase,
        verdict: verdictOf(snapshot.phase),
        metrics: snapshot.metrics.map((metric) => metricView(metric, origin)),
      };
      if (snapshot.message) view.message = redactCredentials(snapshot.message);
      return view;
    });
}

function metricView(metric: MetricSnapshot, origin: number): MetricView {
  const measurements = metric.measurements.map((m, index): MeasurementView => {
    const view: MeasurementView = {
      phase: m.phase,
      startedAt: m.startedAt,
      finishedAt: m.finishedAt,
      number: index + 1,
      since: formatOffset(m.finishedAt, origin),
      verdict: verdictOf(m.phase),
    };
    if (m.value !== undefined && m.value !== '') view.value = judgementSummary(m.value) ?? m.value;
    if (m.message) view.message = redactCredentials(m.message);
    return view;
  });
  const view: MetricView = {
    name: metric.name,
    query: metric.query,
    phase: metric.phase,
    verdict: verdictOf(metric.phase),
    dryRun: metric.dryRun,
    measurements,
  };
  if (metric.address) view.address = displayAddress(metric.address);
  if (metric.successCondition) view.successCondition = metric.successCondition;
  if (metric.failureCondition) view.failureCondition = metric.failureCondition;
  if (metric.message) view.message = redactCredentials(metric.message);
  if (metric.count !== undefined) view.count = metric.count;
  if (metric.interval) view.interval = metric.interval;
  const lastValue = [...measurements].reverse().find((m) => m.value !== undefined)?.value;
  if (lastValue !== undefined) view.lastValue = lastValue;
  const chart = metricChart(
    metric.name,
    measurements.map((m) => ({ at: m.finishedAt, value: m.value })),
    origin,
  );
  if (chart) view.chart = chart;
  const judgement = judgementView(metric.measurements.map((m) => m.value));
  if (judgement) view.judgement = judgement;
  return view;
}

function measurementSpan(analysis: AnalysisView): MeasurementSpan | undefined {
  const all = analysis.metrics.flatMap((metric) => metric.measurements);
  if (all.length === 0) return undefined;
  return {
    first: Math.min(...all.map((m) => m.startedAt)),
    last: Math.max(...all.map((m) => m.finishedAt)),
  };
}

function failureView(failure: NonNullable<RolloutState['failure']>, analyses: AnalysisView[], origin: number): FailureView {
  const view: FailureView = {
    reason: redactCredentials(failure.reason),
    at: failure.at,
    time: formatTimestamp(failure.at),
    since: formatOffset(failure.at, origin),
    metrics: [],
  };
  if (failure.analysis) {
    view.analysis = { key: failure.analysis, label: analysisLabel(failure.analysis) };
    const analysis = analyses.find((a) => a.key === failure.analysis);
    if (analysis) view.metrics = decisiveMetrics(analysis);
  }
  return view;
}

/** The metrics that made an analysis fail: failed or errored ones that are not dry runs. */
function decisiveMetrics(analysis: AnalysisView): MetricView[] {
  const bad = analysis.metrics.filter((m) => !m.dryRun && (m.phase === 'Failed' || m.phase === 'Error'));
  if (bad.length > 0) return bad;
  const unsuccessful = analysis.metrics.filter((m) => !m.dryRun && m.phase !== 'Successful');
  return unsuccessful.length > 0 ? unsuccessful : analysis.metrics;
}

function historyRow(entry: RolloutState['history'][number], origin: number): HistoryRow {
  const row: HistoryRow = {
    at: entry.at,
    time: formatTimestamp(entry.at),
    since: formatOffset(entry.at, origin),
    message: redactCredentials(entry.message),
  };
  if (entry.actor) row.actor = entry.actor;
  return row;
}

function lastOf(commits: CommitLink[], kind: CommitLink['kind']): CommitLink | undefined {
  return commits.filter((c) => c.kind === kind).at(-1);
}
