import { describe, it, expect } from '@jest/globals';
import { parseJudgeText, resolveJudge } from '../../../src/analysis/judge/judges.js';
import { isWarmingUp, judgeSamples } from '../../../src/analysis/judge/judgement.js';

const JUDGE = `
apiVersion: opsbox.dev/v1alpha1
kind: CanaryJudge
metadata: { name: api-judge }
spec:
  lookback: 5m
  step: 15s
  provider: { prometheus: { address: http://127.0.0.1:9090 } }
  metrics:
    - { name: error-rate, canary: c, baseline: b, critical: true, minSamples: 10 }
`;

const judge = resolveJudge(parseJudgeText(JUDGE, 'analysis/judge.yaml')[0]);
const series = (count: number, at: (index: number) => number) => Array.from({ length: count }, (_, index) => at(index));
const twoMinutes = 120_000;

describe('a judgement against a stable version that served nothing', () => {
  const idleBaseline = series(12, () => Number.NaN);
  const failingCanary = series(12, (i) => 0.02 + i * 0.001);

  it('does not wait for baseline samples that will never come: the NaN timestamps are enough', () => {
    const samples = new Map([['error-rate', { canary: failingCanary, baseline: idleBaseline }]]);
    expect(isWarmingUp(judge, samples, twoMinutes)).toBe(false);
  });

  it('fails the canary on its critical error rate', () => {
    const result = judgeSamples(judge, new Map([['error-rate', { canary: failingCanary, baseline: idleBaseline }]]));
    expect(result).toMatchObject({ phase: 'Failed', metrics: [{ name: 'error-rate', phase: 'Failed', value: { classification: 'High' } }] });
  });

  it('still waits while the baseline series has too few timestamps, or the canary too few finite samples', () => {
    expect(isWarmingUp(judge, new Map([['error-rate', { canary: failingCanary, baseline: series(5, () => Number.NaN) }]]), twoMinutes)).toBe(true);
    expect(isWarmingUp(judge, new Map([['error-rate', { canary: series(12, () => Number.NaN), baseline: idleBaseline }]]), twoMinutes)).toBe(true);
  });
});

describe('confidence is that of the whole judgement', () => {
  const judgeWith = (dryRun: string) =>
    resolveJudge(
      parseJudgeText(
        `
apiVersion: opsbox.dev/v1alpha1
kind: CanaryJudge
metadata: { name: two-metrics }
spec:
  confidence: 0.98
  dryRun: [${dryRun}]
  provider: { prometheus: { address: http://127.0.0.1:9090 } }
  metrics:
    - { name: error-rate, canary: c, baseline: b, tolerance: 0.05, critical: true }
    - { name: latency-p95, canary: c, baseline: b, tolerance: 0.1, critical: true }
`,
        'analysis/judge.yaml',
      )[0],
    );
  const baseline = series(12, (i) => 0.004 + 0.0001 * i);
  // Exact Mann-Whitney p = 0.0100: significant at 98%, not at 99%.
  const canary = baseline.map((value) => value + 0.00045);
  const latency = series(12, (i) => 0.25 + 0.001 * i);
  const samples = new Map([
    ['error-rate', { canary, baseline }],
    ['latency-p95', { canary: latency, baseline: latency }],
  ]);

  it('tests each of two counted metrics at 1 − (1 − confidence) ÷ 2 (Bonferroni)', () => {
    const judge = judgeWith('');
    expect(judge.confidence).toBe(0.98);
    expect(judge.metrics.map((metric) => metric.rule.confidence)).toEqual([0.99, 0.99]);
    const result = judgeSamples(judge, samples);
    expect(result.metrics[0].value.pValue).toBeCloseTo(0.01004, 5);
    expect(result.metrics[0].value.classification).toBe('Pass');
    expect(result.phase).toBe('Successful');
  });

  it('gives a single counted metric the whole confidence (dry-run metrics do not count)', () => {
    const judge = judgeWith('{ metricName: latency-p95 }');
    expect(judge.metrics.map((metric) => metric.rule.confidence)).toEqual([0.98, 0.98]);
    const result = judgeSamples(judge, samples);
    expect(result.metrics[0].value.classification).toBe('High');
    expect(result.phase).toBe('Failed');
  });
});
