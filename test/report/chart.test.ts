import { describe, expect, it } from '@jest/globals';
import { chartNumber, MAX_CHART_POINTS, metricChart } from '../../src/report/chart.js';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

describe('chartNumber', () => {
  it('keeps plain numbers as written', () => {
    expect(chartNumber('0.05')).toBe('0.05');
    expect(chartNumber('-3')).toBe('-3');
    expect(chartNumber('+1.5')).toBe('1.5');
  });

  it('takes the first element of an array', () => {
    expect(chartNumber('[0.012,0.02]')).toBe('0.012');
  });

  it('writes exponents out, since Mermaid cannot read them', () => {
    expect(chartNumber('1.5e-7')).toBe('0.00000015');
    expect(chartNumber('2e+21')).toBe('2000000000000000000000');
  });

  it('skips what cannot be plotted', () => {
    for (const value of ['NaN', '+Inf', '-Inf', '[]', '[NaN,1]', 'text', '', undefined]) expect(chartNumber(value)).toBeUndefined();
  });
});

describe('metricChart', () => {
  it('plots numeric measurements at their offsets from the rollout start', () => {
    const chart = metricChart(
      'error-rate',
      [
        { at: T0 + 60_000, value: '0.01' },
        { at: T0 + 120_000, value: 'NaN' },
        { at: T0 + 180_000, value: '[0.2,0.3]' },
        { at: T0 + 240_000 },
      ],
      T0,
    );
    expect(chart).toEqual({ title: 'error-rate', labels: ['+1m', '+3m'], values: ['0.01', '0.2'] });
  });

  it('needs two points to draw a line', () => {
    expect(metricChart('m', [{ at: T0, value: '1' }, { at: T0 + 1000, value: '[]' }], T0)).toBeUndefined();
  });

  it('numbers the points when two times would give the same label', () => {
    const chart = metricChart('m', [{ at: T0 + 1000, value: '1' }, { at: T0 + 1200, value: '2' }, { at: T0 + 5000, value: '3' }], T0);
    expect(chart?.labels).toEqual(['#1', '#2', '#3']);
  });

  it('keeps the most recent points of a long series', () => {
    const points = Array.from({ length: MAX_CHART_POINTS + 5 }, (_, i) => ({ at: T0 + i * 60_000, value: String(i) }));
    const chart = metricChart('m', points, T0);
    expect(chart?.values).toHaveLength(MAX_CHART_POINTS);
    expect(chart?.values[0]).toBe('5');
    expect(chart?.values.at(-1)).toBe(String(MAX_CHART_POINTS + 4));
  });

  it('makes the title safe inside Mermaid quotes', () => {
    const chart = metricChart('say "hi" %% now', [{ at: T0, value: '1' }, { at: T0 + 60_000, value: '2' }], T0);
    expect(chart?.title).toBe('say hi now');
  });
});
