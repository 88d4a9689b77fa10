import { describe, it, expect } from '@jest/globals';
import { parseJudgeText, resolveJudge } from '../../../src/analysis/judge/judges.js';
import { judgeSamples } from '../../../src/analysis/judge/judgement.js';
import { decodeJudgement, encodeJudgement, WARMING_UP } from '../../../src/analysis/judge/run-metric.js';
import { resolveAnalysis } from '../../../src/analysis/resolve.js';
import { assessRun, createRun, recordMeasurement } from '../../../src/analysis/run.js';
import { parseTemplateText, catalogOf } from '../../../src/analysis/templates.js';

const JUDGE = `
apiVersion: opsbox.dev/v1alpha1
kind: CanaryJudge
metadata: { name: api-judge }
spec:
  args: [{ name: service }]
  interval: 1m
  count: 2
  provider: { prometheus: { address: http://127.0.0.1:9090 } }
  metrics:
    - name: error-rate
      canary: 'errors{service="{{args.service}}",track="canary"}'
      baseline: 'errors{service="{{args.service}}",track="stable"}'
      critical: true
`;

const TEMPLATE = `
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: { name: success-rate }
spec:
  metrics:
    - name: success
      successCondition: result[0] > 0.95
      provider: { prometheus: { address: http://127.0.0.1:9090, query: up } }
`;

const judges = parseJudgeText(JUDGE, 'analysis/judge.yaml');
const catalog = catalogOf(parseTemplateText(TEMPLATE, 'analysis/success.yaml'));
const args = [{ name: 'service', value: 'api' }];
const START = Date.parse('2025-01-01T00:00:00Z');
const at = (seconds: number) => START + seconds * 1000;

const series = (center: number) => Array.from({ length: 20 }, (_, i) => center + (0.001 * ((i * 7) % 20)) / 20);

function judgementValue(canaryCenter: number): string {
  const judge = resolveJudge(judges[0], { args });
  return encodeJudgement(judgeSamples(judge, new Map([['error-rate', { canary: series(canaryCenter), baseline: series(0.004) }]])));
}

describe('a step analysis that names a CanaryJudge', () => {
  it('resolves the judge into one run metric beside the templates', () => {
    const resolved = resolveAnalysis(catalog, { templates: [{ templateName: 'success-rate' }, { templateName: 'api-judge' }], args }, judges);
    expect(resolved.metrics.map((m) => [m.name, m.judge])).toEqual([
      ['success', undefined],
      ['api-judge', 'api-judge'],
    ]);
    const judgeMetric = resolved.metrics[1];
    expect(judgeMetric).toMatchObject({ intervalMs: 60_000, count: 2, failureLimit: 0, source: { kind: 'CanaryJudge', file: 'analysis/judge.yaml' } });
    expect(judgeMetric.prometheus!.query).toContain('errors{service="api",track="canary"}');
    expect(resolved.templates.map((t) => t.kind)).toEqual(['AnalysisTemplate', 'CanaryJudge']);
  });

  it('still says a name is unknown when it is neither a template nor a judge', () => {
    expect(() => resolveAnalysis(catalog, { templates: [{ templateName: 'nope' }], args }, judges)).toThrow(/AnalysisTemplate "nope" not found/);
  });

  it('fails the run with the judgement of a doubled error rate', () => {
    const resolved = resolveAnalysis(catalog, { templates: [{ templateName: 'api-judge' }], args }, judges);
    let run = createRun(resolved.metrics, { startedAt: at(0) });
    run = recordMeasurement(run, 'api-judge', { value: judgementValue(0.008), startedAt: at(60), finishedAt: at(60) });
    expect(assessRun(run).phase).toBe('Failed');
    const stored = decodeJudgement(run.results[0].measurements[0].value);
    expect(stored?.metrics[0].value.classification).toBe('High');
    expect(stored?.metrics[0].samples.canary).toHaveLength(20);
  });

  it('passes after count healthy judgements, with warm-up retries in between that do not end the run', () => {
    const resolved = resolveAnalysis(catalog, { templates: [{ templateName: 'api-judge' }], args }, judges);
    let run = createRun(resolved.metrics, { startedAt: at(0) });
    for (let i = 0; i < 6; i++) run = recordMeasurement(run, 'api-judge', { error: `${WARMING_UP}: waiting`, startedAt: at(60 + i * 10), finishedAt: at(60 + i * 10) });
    expect(assessRun(run).phase).toBe('Running');
    run = recordMeasurement(run, 'api-judge', { value: judgementValue(0.004), startedAt: at(120), finishedAt: at(120) });
    run = recordMeasurement(run, 'api-judge', { value: judgementValue(0.004), startedAt: at(180), finishedAt: at(180) });
    expect(assessRun(run).phase).toBe('Successful');
  });
});
