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
