/**
 * The dashboard's data, as served by `/api/rollouts` and `/api/rollouts/<id>` and laid out by the
 * HTML pages. Times are ISO 8601 in UTC; the shape is documented in README.md ("Dashboard").
 */
import type { ForgeLinks, RepoRef } from '../forge/forge.js';
import { snapshotOf } from '../rollout/analysis-snapshot.js';
import { TERMINAL_PHASES, type RolloutPhase, type RolloutState } from '../rollout/types.js';
import { stepPosition } from '../report/commands.js';
import { phaseBadge } from '../report/phase.js';
import { formatSpan } from '../report/time-format.js';
import { buildRolloutView, type MetricView } from '../report/view.js';
import type { RolloutPage } from '../state/rollout-listing.js';
import { metricSvgChart, type SvgChart } from './svg-chart.js';

export interface RolloutSummary {
  id: string;
  /** `owner/repo`. */
  repository: string;
  service: string;
  from: string;
  to: string;
  /** The bump pull request's title. */
  title: string;
  phase: RolloutPhase;
  phaseLabel: string;
  /** Not ended yet. */
  active: boolean;
  /** Canary weight in percent, as last committed. */
  weight: number;
  step: { number: number; total: number };
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** How long it ran (until now, while it runs), e.g. `4m10s`. */
  runningFor: string;
  links: { pullRequest: string; statusComment?: string; revertPullRequest?: string; dashboard: string };
}

export interface RolloutListJson {
  rollouts: RolloutSummary[];
  total: number;
  offset: number;
  limit: number;
}

export interface StepJson {
  number: number;
  description: string;
  status: string;
  weight?: number;
  startedAt?: string;
  finishedAt?: string;
  note?: string;
  commit?: { sha: string; url?: string };
}

export interface MeasurementJson {
  number: number;
  at: string;
  value?: string;
  verdict: string;
  message?: string;
}

export interface MetricJson {
  analysis: string;
  name: string;
  query: string;
  successCondition?: string;
  failureCondition?: string;
  verdict: string;
  dryRun: boolean;
  measurements: MeasurementJson[];
}

export interface RolloutDetailJson extends RolloutSummary {
  /** A sentence on where the rollout stands. */
  phaseDetail: string;
  steps: StepJson[];
  metrics: MetricJson[];
  commits: { kind: string; weight: number; step?: number; sha?: string; url?: string; at: string }[];
  /** Commands and events, oldest first, with who sent each command. */
  history: { at: string; actor?: string; message: string }[];
  failure?: { at: string; reason: string; analysis?: string; metrics: MetricJson[] };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The links of a rollout's repository (its forge's). */
export type LinksOf = (repo: RepoRef) => ForgeLinks;

export function dashboardPath(id: string): string {
  return `/rollouts/${encodeURIComponent(id)}`;
}

export function rolloutSummary(state: Readonly<RolloutState>, linksOf: LinksOf, now: number): RolloutSummary {
  const { stepNumber, totalSteps } = stepPosition(state);
  const repository = `${state.repo.owner}/${state.repo.repo}`;
  const links = linksOf(state.repo);
  const thread = { number: state.source.number };
  const pullRequest = links.threadUrl(state.repo, thread);
  const summary: RolloutSummary = {
    id: state.id,
    repository,
    service: state.service,
    from: state.from,
    to: state.to,
    title: state.source.title,
    phase: state.phase,
    phaseLabel: phaseBadge(state.phase).label,
    active: !TERMINAL_PHASES.includes(state.phase),
    weight: state.weight,
    step: { number: stepNumber, total: totalSteps },
    startedAt: iso(state.startedAt),
    updatedAt: iso(state.updatedAt),
    runningFor: formatSpan((state.finishedAt ?? now) - state.startedAt),
    links: { pullRequest, dashboard: dashboardPath(state.id) },
  };
  if (state.finishedAt !== undefined) summary.finishedAt = iso(state.finishedAt);
  if (state.statusRef) summary.links.statusComment = links.threadUrl(state.repo, thread, state.statusRef);
  if (state.revert) summary.links.revertPullRequest = state.revert.url;
  return summary;
}

export function rolloutListJson(page: RolloutPage, linksOf: LinksOf, now: number): RolloutListJson {
  return { rollouts: page.rollouts.map((state) => rolloutSummary(state, linksOf, now)), total: page.total, offset: page.offset, limit: page.limit };
}

/** The detail, and a chart per metric for the HTML page (not part of the JSON). */
export function rolloutDetail(state: RolloutState, linksOf: LinksOf, now: number): { json: RolloutDetailJson; charts: Map<string, SvgChart> } {
  const links = linksOf(state.repo);
  const view = buildRolloutView(state, { commitUrl: (sha) => links.commitUrl(state.repo, sha), analysisOf: snapshotOf, now });
  const charts = new Map<string, SvgChart>();
  const metrics: MetricJson[] = [];
  for (const analysis of view.analyses) {
    for (const metric of analysis.metrics) {
      const json = metricJson(analysis.label, metric);
      metrics.push(json);
      const chart = metricSvgChart(metric, state.startedAt);
      if (chart) charts.set(`${analysis.label}/${metric.name}`, chart);
    }
  }
  const json: RolloutDetailJson = {
    ...rolloutSummary(state, linksOf, now),
    phaseDetail: view.phaseDetail,
    steps: view.steps.map((row) => {
      const step: StepJson = { number: row.number, description: row.description, status: row.status };
      const weight = (state.serviceConfig.steps[row.number - 1] as { setWeight?: number } | undefined)?.setWeight;
      if (weight !== undefined) step.weight = weight;
      if (row.startedAt !== undefined) step.startedAt = iso(row.startedAt);
      if (row.finishedAt !== undefined) step.finishedAt = iso(row.finishedAt);
      if (row.note) step.note = row.note;
      if (row.commit?.sha) step.commit = { sha: row.commit.sha, url: row.commit.url };
      return step;
    }),
    metrics,
    commits: view.commits.map((c) => ({ kind: c.kind, weight: c.weight, step: c.step, sha: c.sha, url: c.url, at: iso(c.at) })),
    history: state.history.map((entry) => ({ at: iso(entry.at), actor: entry.actor, message: entry.message })),
  };
  if (view.failure) {
    json.failure = {
      at: iso(view.failure.at),
      reason: view.failure.reason,
      analysis: view.failure.analysis?.label,
      metrics: view.failure.metrics.map((metric) => metricJson(view.failure!.analysis?.label ?? '', metric)),
    };
  }
  return { json, charts };
}

function metricJson(analysis: string, metric: MetricView): MetricJson {
  return {
    analysis,
    name: metric.name,
    query: metric.query,
    successCondition: metric.successCondition,
    failureCondition: metric.failureCondition,
    verdict: metric.phase,
    dryRun: metric.dryRun,
    measurements: metric.measurements.map((m) => ({ number: m.number, at: iso(m.finishedAt), value: m.value, verdict: m.phase, message: m.message })),
  };
}
