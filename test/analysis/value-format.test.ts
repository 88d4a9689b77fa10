import { describe, it, expect } from '@jest/globals';
import { formatMeasuredValue, formatNumber, parseMeasuredValue, parseSampleValue } from '../../src/analysis/value-format.js';

describe('value formatting', () => {
  it('formats values like Argo', () => {
    expect(formatMeasuredValue(10)).toBe('10');
    expect(formatMeasuredValue(0.05)).toBe('0.05');
    expect(formatMeasuredValue([10, 11])).toBe('[10,11]');
    expect(formatMeasuredValue([])).toBe('[]');
    expect(formatMeasuredValue(Number.NaN)).toBe('NaN');
    expect(formatMeasuredValue([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])).toBe('[+Inf,-Inf]');
    expect(formatMeasuredValue('ok')).toBe('ok');
  });

  it('writes numbers without exponents', () => {
    expect(formatNumber(1.5e-7)).toBe('0.00000015');
    expect(formatNumber(-2e-7)).toBe('-0.0000002');
    expect(formatNumber(1e21)).toBe('1000000000000000000000');
    expect(formatNumber(1.25e22)).toBe('12500000000000000000000');
  });

  it('reads Prometheus sample values, NaN and infinities included', () => {
    expect(parseSampleValue('0.5')).toBe(0.5);
    expect(parseSampleValue('NaN')).toBeNaN();
    expect(parseSampleValue('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parseSampleValue('-Inf')).toBe(Number.NEGATIVE_INFINITY);
    expect(() => parseSampleValue('abc')).toThrow('not a sample value');
    expect(() => parseSampleValue('')).toThrow('not a sample value');
  });

  it('reads formatted values back', () => {
    expect(parseMeasuredValue('[0.5,NaN,+Inf]')).toEqual([0.5, Number.NaN, Number.POSITIVE_INFINITY]);
    expect(parseMeasuredValue('[]')).toEqual([]);
    expect(parseMeasuredValue('-Inf')).toBe(Number.NEGATIVE_INFINITY);
    expect(parseMeasuredValue('healthy')).toBe('healthy');
  });
});
