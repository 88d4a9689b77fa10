/** The preflight check's view as the template reads it: rows with the words already chosen. */
import { formatMeasuredValue } from '../analysis/value-format.js';
import { metricEvidence } from '../analysis/providers/registry.js';
import type { PreflightCheckView } from '../preflight/check.js';
import type { LiveQueryResult } from '../preflight/live-queries.js';
import { problemRows } from './problem-rows.js';

const VERDICTS = { pass: '✅ would pass', fail: '❌ would fail', inconclusive: '⚠️ inconclusive', error: '❌ condition error' } as const;

export function preflightTemplateData(view: PreflightCheckView) {
  return {
    ...view,
    icon: { success: '✅', neutral: '⚠️', failure: '❌' }[view.conclusion],
    problems: problemRows(view.problems, undefined),
    services: view.services.map((service) => ({
      ...service,
      queries: service.queries.map((result) => queryRow(result, service.queryArgs.length > 0, service.requireData)),
    })),
  };
}

function queryRow(result: LiveQueryResult, argsSet: boolean, requireData: boolean) {
  const metric = result.query.metric;
  const base = {
    name: metric.name,
    template: metric.source.template,
    file: metric.source.file,
    usedBy: result.query.usedBy.join(', '),
    query: metricEvidence(metric).query.trim(),
    condition: [metric.successCondition && `success when ${metric.successCondition}`, metric.failureCondition && `failure when ${metric.failureCondition}`]
      .filter(Boolean)
      .join('; '),
  };
  switch (result.kind) {
    case 'data':
      return { ...base, series: String(result.series), value: formatMeasuredValue(result.value), verdict: VERDICTS[result.verdict], message: result.message ?? '' };
    case 'no-data':
      return {
        ...base,
        series: '0',
        value: '',
        verdict: !argsSet ? 'no data (expected: the canary takes no traffic yet)' : requireData ? '❌ no data' : '⚠️ no data',
        message: argsSet ? 'the canary would be judged on no data' : '',
      };
    case 'error':
      return { ...base, series: '', value: '', verdict: '❌ error', message: result.message };
    case 'not-checked':
      return { ...base, series: '', value: '', verdict: 'not checked', message: `only Prometheus metrics are queried before the rollout` };
  }
}
