/**
 * The preflight's live queries: each Prometheus metric of a service's analyses run once, now,
 * with the args the config gives for the preflight (a canary-scoped query has no data while the
 * canary takes no traffic, so `track: stable`, say, asks about the version running today).
 */
import { judgeValue } from '../analysis/conditions.js';
import { resolveAnalysis } from '../analysis/resolve.js';
import { metricEvidence } from '../analysis/providers/registry.js';
import type { TemplateCatalog } from '../analysis/templates.js';
import type { MeasuredValue, MetricProvider, ResolvedMetric } from '../analysis/types.js';
import type { RolloutAnalysis, ServiceConfig } from '../config/opsbox.schema.js';

/** One query waits at most this long, whatever the template's own timeout. */
export const LIVE_QUERY_TIMEOUT_MS = 10_000;
/** Queries run at once, at most. */
export const LIVE_QUERY_CONCURRENCY = 4;

export interface LiveQuery {
  /** Where the metric is used: `step 2`, `background`. */
  usedBy: string[];
  metric: ResolvedMetric;
}

export type LiveQueryResult =
  | { kind: 'data'; query: LiveQuery; series: number; value: MeasuredValue; verdict: 'pass' | 'fail' | 'inconclusive' | 'error'; message?: string }
  | { kind: 'no-data'; query: LiveQuery }
  | { kind: 'error'; query: LiveQuery; message: string }
  /** A metric of another provider than Prometheus: calling it before the rollout could have effects. */
  | { kind: 'not-checked'; query: LiveQuery };

/**
 * The metrics of every analysis of the service, with `preflight.args` replacing (or adding) args;
 * a metric used by several steps is queried once. Throws what resolveAnalysis throws.
 */
export function liveQueriesOf(catalog: TemplateCatalog, service: ServiceConfig): LiveQuery[] {
  const overrides = Object.entries(service.preflight?.args ?? {});
  const analyses: [string, RolloutAnalysis][] = [];
  service.steps.forEach((step, index) => {
    if ('analysis' in step) analyses.push([`step ${index + 1}`, step.analysis]);
  });
  if (service.analysis) analyses.push(['background', service.analysis]);
  const byKey = new Map<string, LiveQuery>();
  for (const [usedBy, analysis] of analyses) {
    const args = [
      ...analysis.args.filter((arg) => !overrides.some(([name]) => name === arg.name)),
      ...overrides.map(([name, value]) => ({ name, value })),
    ];
    for (const metric of resolveAnalysis(catalog, { templates: analysis.templates, args, env: 'not-read' }).metrics) {
      const evidence = metricEvidence(metric);
      const key = JSON.stringify([metric.source.file, metric.source.template, metric.name, evidence.address ?? '', evidence.query]);
      const known = byKey.get(key);
      if (known) known.usedBy.push(usedBy);
      else byKey.set(key, { usedBy: [usedBy], metric });
    }
  }
  return [...byKey.values()];
}

/** Runs each query once, a few at a time, each bounded by a timeout; never throws. */
export async function runLiveQueries(
  queries: readonly LiveQuery[],
  provider: MetricProvider,
  options: { timeoutMs?: number; concurrency?: number } = {},
): Promise<LiveQueryResult[]> {
  const timeoutMs = options.timeoutMs ?? LIVE_QUERY_TIMEOUT_MS;
  const results: LiveQueryResult[] = new Array(queries.length);
  let next = 0;
  const worker = async () => {
    while (next < queries.length) {
      const index = next++;
      results[index] = await runOne(queries[index], provider, timeoutMs);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? LIVE_QUERY_CONCURRENCY, queries.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}

async function runOne(query: LiveQuery, provider: MetricProvider, timeoutMs: number): Promise<LiveQueryResult> {
  if (!query.metric.prometheus) return { kind: 'not-checked', query };
  const metric = { ...query.metric, prometheus: { ...query.metric.prometheus, timeoutMs: Math.min(query.metric.prometheus.timeoutMs, timeoutMs) } };
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const { value } = await provider.measure(metric, signal);
    const series = Array.isArray(value) ? value.length : 1;
    if (series === 0) return { kind: 'no-data', query };
    const judged = judgeValue(metric, value);
    const verdict = ({ Successful: 'pass', Failed: 'fail', Inconclusive: 'inconclusive', Error: 'error' } as const)[judged.phase];
    return { kind: 'data', query, series, value, verdict, ...(judged.message ? { message: judged.message } : {}) };
  } catch (error) {
    const message = signal.aborted ? `no answer within ${timeoutMs / 1000}s` : error instanceof Error ? error.message : String(error);
    return { kind: 'error', query, message };
  }
}
