import { describe, expect, it } from '@jest/globals';
import { conditionThreshold, metricSvgChart } from '../../src/dashboard/svg-chart.js';
import type { MetricView } from '../../src/report/view.js';

function metric(values: (string | undefined)[], failureCondition?: string): MetricView {
  return {
    name: 'error-rate',
    query: 'sum(rate(errors[1m]))',
    failureCondition,
    phase: 'Failed',
    dryRun: false,
    verdict: '❌ Failed',
    measurements: values.map((value, i) => ({ number: i + 1, phase: 'Successful', value, startedAt: i * 60_000, finishedAt: i * 60_000 + 1000, since: '', verdict: '' })),
  };
}

describe('server-side SVG chart of a metric', () => {
  it('reads the threshold a condition compares against', () => {
    expect(conditionThreshold('result[0] > 0.05')).toBe(0.05);
    expect(conditionThreshold('0.99 <= result[0]')).toBe(0.99);
    expect(conditionThreshold('len(result) == 0 || isNaN(result[0])')).toBe(0);
    expect(conditionThreshold(undefined)).toBeUndefined();
    expect(conditionThreshold('isNaN(result[0])')).toBeUndefined();
  });

  it('places the values and the threshold on one scale, higher values higher up', () => {
    const chart = metricSvgChart(metric(['[0.01]', 'NaN', '[0.2]'], 'result[0] > 0.05'), 0)!;
    expect(chart.dots).toHaveLength(2);
    const [low, high] = chart.dots;
    expect(high.y).toBeLessThan(low.y);
    expect(chart.threshold!.y).toBeLessThan(low.y);
    expect(chart.threshold!.y).toBeGreaterThan(high.y);
    expect(chart.line).toBe(`${low.x},${low.y} ${high.x},${high.y}`);
    expect(chart.axis).toMatchObject({ top: '0.2', bottom: '0.01' });
  });

  it('draws nothing with fewer than two numbers', () => {
    expect(metricSvgChart(metric(['[0.01]', '[]', undefined]), 0)).toBeUndefined();
  });
});
