/**
 * Measurement values as Argo Rollouts shows them: `0.05`, `[0.05,0.07]`, `NaN`, `+Inf`, `[]`.
 * Stored runs keep this text (JSON cannot hold NaN or infinities); parseMeasuredValue reads it back.
 */
import type { MeasuredValue } from './types.js';

/** Prometheus' sample value text → number (`NaN`, `+Inf`, `-Inf` included). */
export function parseSampleValue(text: string): number {
  switch (text) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    default: {
      const value = Number(text);
      if (text.trim() === '' || Number.isNaN(value)) throw new Error(`not a sample value: ${JSON.stringify(text)}`);
      return value;
    }
  }
}

/** A number the way Prometheus writes samples: no exponent, `NaN`, `+Inf`, `-Inf`. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  const text = String(value);
  return text.includes('e') ? expandExponent(text) : text;
}

export function formatMeasuredValue(value: MeasuredValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return String(value);
  return `[${value.map(formatNumber).join(',')}]`;
}

/** Reads a formatted value back: `[1,2]` → [1, 2], `NaN` → NaN, other text stays text. */
export function parseMeasuredValue(text: string): MeasuredValue {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') && trimmed.endsWith(']')) {
    const inner = trimmed.slice(1, -1).trim();
    if (inner === '') return [];
    try {
      return inner.split(',').map((part) => parseSampleValue(part.trim()));
    } catch {
      return text;
    }
  }
  try {
    return parseSampleValue(trimmed);
  } catch {
    return text;
  }
}

/** `1.5e-7` → `0.00000015`, `1e+21` → `1000000000000000000000`. */
function expandExponent(text: string): string {
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign, lead, fraction = '', exponentText] = match;
  const digits = lead + fraction;
  const exponent = Number(exponentText);
  const pointAt = 1 + exponent;
  if (pointAt <= 0) return `${sign}0.${'0'.repeat(-pointAt)}${digits}`;
  if (pointAt >= digits.length) return `${sign}${digits}${'0'.repeat(pointAt - digits.length)}`;
  return `${sign}${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
}
