import { describe, expect, it } from '@jest/globals';
import { parseJudgeText, resolveJudge } from '../../src/analysis/judge/judges.js';
import { judgeSamples } from '../../src/analysis/judge/judgement.js';
import { encodeJudgement } from '../../src/analysis/judge/run-metric.js';
import { renderStatusComment } from '../../src/report/render.js';
import { buildRolloutView } from '../../src/report/view.js';
import { context, errorRateMetric, measurement, progressingAtAnalysis, T0 } from './rollouts.js';

const JUDGE = `
apiVersion: opsbox.dev/v1alpha1
kind: CanaryJudge
metadata: { name: api-judge }
spec:
  metrics:
    - name: error-rate
      canary: canary_errors
      baseline: stable_errors
      critical: true
    - name: latency-p95
      canary: canary_latency
      baseline: stable_latency
      test: tail
`;

const judge = resolveJudge(parseJudgeText(JUDGE, 'judge.yaml')[0]);
const series = (center: number, spread: number) => Array.from({ length: 12 }, (_, i) => center + (spread * ((i * 5) % 12)) / 12);

function judgeMetric(canaryErrors: number[], baselineErrors = series(0.004, 0.001)) {
  const value = encodeJudgement(
    judgeSamples(
      judge,
      new Map([
        ['error-rate', { canary: canaryErrors, baseline: baselineErrors }],
        ['latency-p95', { canary: series(0.2, 0.05), baseline: series(0.2, 0.05) }],
      ]),
    ),
  );
  return errorRateMetric({
    name: 'api-judge',
    query: 'error-rate: canary_errors vs stable_errors',
    successCondition: undefined,
    phase: 'Failed',
    count: 3,
    measurements: [measurement('Failed', value, 60)],
  });
}

describe('status comment of a CanaryJudge', () => {
  const body = renderStatusComment(buildRolloutView(progressingAtAnalysis([judgeMetric(series(0.008, 0.001))]), context(T0 + 200_000)));

  it('shows per metric the medians, effect, p-value and verdict', () => {
    const row = body.split('\n').find((line) => line.startsWith('| `error-rate`'));
    expect(row).toBeDefined();
    const cells = row!.split('|').map((cell) => cell.trim());
    expect(cells[2]).toMatch(/^0\.00\d+ \(n=12\)$/);
    expect(cells[3]).toMatch(/^0\.00\d+ \(n=12\)$/);
    expect(cells[4]).toMatch(/^\+0\.004 \(\+\d+%\)$/);
    expect(cells[5]).toMatch(/^(< 0\.0001|0\.\d+)$/);
    expect(cells[6]).toBe('❌ High');
    expect(body).toContain('| `latency-p95` |');
    expect(body).toMatch(/Judgement: score 50, Failed — critical metric error-rate failed/);
  });

  it('shows the judgement summary instead of raw JSON in the measurements table', () => {
    expect(body).toContain('`score 50 · Failed`');
    expect(body).not.toContain('"classification"');
  });

  it('draws a Mermaid chart with the canary and the baseline series', () => {
    const chart = /```mermaid\nxychart-beta\n {4}title "error-rate: canary vs baseline"\n {4}x-axis \[(.*)\]\n {4}y-axis "value"\n {4}line \[(.*)\]\n {4}line \[(.*)\]\n```/.exec(body);
    expect(chart).not.toBeNull();
    const [, labels, canary, baseline] = chart!;
    expect(labels.split(', ')).toHaveLength(12);
    const expected = series(0.008, 0.001);
    canary.split(', ').map(Number).forEach((value, i) => expect(value).toBeCloseTo(expected[i], 12));
    expect(baseline.split(', ').map(Number)[0]).toBeCloseTo(0.004, 6);
  });

  it('leaves NaN samples out of the chart rather than breaking it', () => {
    const withGaps = series(0.008, 0.001).map((value, i) => (i === 3 ? Number.NaN : value));
    const gapBody = renderStatusComment(buildRolloutView(progressingAtAnalysis([judgeMetric(withGaps)]), context(T0 + 200_000)));
    const line = /title "error-rate: canary vs baseline"\n {4}x-axis \[(.*)\]/.exec(gapBody);
    expect(line![1].split(', ')).toHaveLength(11);
  });

  it('says when the baseline had no samples at all and was read as zero', () => {
    const idle = Array.from({ length: 12 }, () => Number.NaN);
    const idleBody = renderStatusComment(buildRolloutView(progressingAtAnalysis([judgeMetric(series(0.008, 0.001), idle)]), context(T0 + 200_000)));
    const cells = idleBody.split('\n').find((line) => line.startsWith('| `error-rate`'))!.split('|').map((cell) => cell.trim());
    expect(cells[3]).toBe('0 (n=12, no samples: no traffic, read as 0)');
    expect(cells[2]).toMatch(/^0\.00\d+ \(n=12\)$/);
  });
});
