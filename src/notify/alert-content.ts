/**
 * What an alert says about a failed rollout, in Alertmanager's v2 shape: labels that identify it
 * (and route it), annotations with the evidence and the links.
 */
import type { RolloutState } from '../rollout/types.js';
import type { AlertSeverity } from './alert-decisions.js';
import type { ForgeLinks } from '../forge/forge.js';

export const ALERT_NAME = 'OpsBoxCanaryFailed';

/** A `postableAlert` of Alertmanager's API v2. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

export function alertLabels(state: RolloutState, severity: AlertSeverity): Record<string, string> {
  const extra = state.notifications?.alertmanager?.labels ?? {};
  return {
    ...extra,
    // a configured severity replaces the default of a failure, never the warning of an /abort
    severity: severity === 'warning' ? 'warning' : (extra.severity ?? 'critical'),
    alertname: ALERT_NAME,
    repository: `${state.repo.owner}/${state.repo.repo}`,
    service: state.service,
    to: state.to,
    from: state.from,
  };
}

/** The status comment, or the pull request while the comment is not posted yet. */
export function statusCommentUrl(state: RolloutState, links: ForgeLinks): string {
  return links.threadUrl(state.repo, { number: state.source.number }, state.statusRef);
}

export function alertAnnotations(state: RolloutState, links: ForgeLinks): Record<string, string> {
  const annotations: Record<string, string> = {};
  const failing = failingMetric(state);
  if (failing) {
    annotations.metric = failing.name;
    if (failing.value !== undefined) annotations.value = failing.value;
    if (failing.condition) annotations.condition = failing.condition;
  }
  const reason = state.failure?.reason ?? 'the rollout failed';
  annotations.summary = `Canary ${state.to} of ${state.service} in ${state.repo.owner}/${state.repo.repo} failed: ${reason}`;
  annotations.description = state.phase === 'Paused' ? `The rollout is paused at ${state.weight}% (onFailure: pause).` : `The canary is rolled back to ${state.from}.`;
  annotations.status_comment = statusCommentUrl(state, links);
  annotations.pull_request = state.source.url;
  // a pull request where the forge has them, otherwise a pushed branch
  if (state.revert) annotations[state.revert.thread ? 'revert_pull_request' : 'revert_branch'] = state.revert.url;
  return annotations;
}

/** The first metric that decided the failure, with its last value and the condition it was judged by. */
function failingMetric(state: RolloutState): { name: string; value?: string; condition?: string } | undefined {
  const key = state.failure?.analysis;
  const run = key === undefined ? undefined : key === 'background' ? (state.finishedRuns.background ?? state.background) : state.finishedRuns[key];
  if (!run) return undefined;
  const result = run.results.find((r) => !r.dryRun && (r.phase === 'Failed' || r.phase === 'Error' || r.phase === 'Inconclusive'));
  if (!result) return undefined;
  const spec = run.metrics.find((m) => m.name === result.name);
  const last = result.measurements[result.measurements.length - 1];
  const conditions = [spec?.failureCondition && `failure: ${spec.failureCondition}`, spec?.successCondition && `success: ${spec.successCondition}`].filter(Boolean);
  return { name: result.name, value: last?.value ?? last?.message, condition: conditions.join('; ') || undefined };
}
