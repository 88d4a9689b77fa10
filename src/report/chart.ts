/**
 * The data of a Mermaid `xychart-beta` line chart of one metric's measurements. Mermaid's chart
 * grammar is narrow (numbers without exponents, quoted labels without `"`), so values and labels
 * are brought into that form here and the template only lays them out.
 */
import { formatOffset } from './time-format.js';

export interface ChartSeries {
  /** Chart title, safe inside Mermaid's double quotes. */
  title: string;
  /** One x-axis label per point, safe inside double quotes, all distinct. */
  labels: string[];
  /** One number per point, written the way Mermaid's grammar accepts. */
  values: string[];
}

export interface ChartPoint {
  at: number;
  /** Formatted like Argo: `0.05`, `[0.05,0.07]`, `NaN`, `[]`; absent when nothing was measured. */
  value?: string;
}

/** Older points are left off so a long background analysis keeps a readable chart. */
export const MAX_CHART_POINTS = 60;
/** A single point draws no line; the table shows it. */
const MIN_CHART_POINTS = 2;

const PLAIN_DECIMAL = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)$/;

/**
 * The number a measured value contributes to a chart: the value itself, or the first element of
 * an array; nothing for NaN, infinities, `[]`, text or a missing value.
 */
export function chartNumber(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let text = value.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1).split(',')[0].trim();
  if (text === '') return undefined;
  if (PLAIN_DECIMAL.test(text)) return text.replace(/^\+/, '');
  const number = Number(text);
  if (!Number.isFinite(number)) return undefined;
  // Mermaid cannot read `1.5e-7`; write it out in full.
  return number.toLocaleString('en-US', { useGrouping: false, maximumSignificantDigits: 15 });
}

/** The chart of a metric's measurements, or undefined when fewer than two of them are numbers. */
export function metricChart(title: string, points: readonly ChartPoint[], origin: number): ChartSeries | undefined {
  const numeric = points
    .map((point, index) => ({ number: index + 1, at: point.at, value: chartNumber(point.value) }))
    .filter((point): point is { number: number; at: number; value: string } => point.value !== undefined)
    .slice(-MAX_CHART_POINTS);
  if (numeric.length < MIN_CHART_POINTS) return undefined;
  const times = numeric.map((point) => formatOffset(point.at, origin));
  // Mermaid merges equal categories, which would misalign the line; fall back to measurement numbers.
  const labels = new Set(times).size === times.length ? times : numeric.map((point) => `#${point.number}`);
  return { title: mermaidText(title), labels, values: numeric.map((point) => point.value) };
}

/** Text for a quoted Mermaid string: no quotes, no `%%` comment starts, no line breaks. */
function mermaidText(text: string): string {
  return text.replace(/["%\r\n`]/g, ' ').replace(/\s+/g, ' ').trim() || 'values';
}
