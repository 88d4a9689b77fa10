/**
 * A metric's measured values against its condition's threshold, as the geometry of a small SVG
 * line chart drawn on the server. Values are read the way the Mermaid chart of the comments reads
 * them (report/chart.ts); the template only writes the numbers computed here into `<svg>`.
 */
import { chartNumber, MAX_CHART_POINTS } from '../report/chart.js';
import type { MetricView } from '../report/view.js';
import { formatOffset } from '../report/time-format.js';

export interface SvgChart {
  width: number;
  height: number;
  /** `x,y x,y …` for a `<polyline>`. */
  line: string;
  dots: { x: number; y: number; label: string }[];
  threshold?: { y: number; label: string };
  axis: { top: string; bottom: string; first: string; last: string };
}

const WIDTH = 560;
const HEIGHT = 160;
const PAD = { left: 56, right: 12, top: 12, bottom: 24 };

/** The first number a condition compares against (`result[0] < 0.05` → 0.05), if any. */
export function conditionThreshold(condition: string | undefined): number | undefined {
  const match = condition?.match(/(?:<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)/i) ?? condition?.match(/(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*(?:<=|>=|==|!=|<|>)/i);
  if (!match) return undefined;
  const number = Number(match[1]);
  return Number.isFinite(number) ? number : undefined;
}

const round = (n: number) => Math.round(n * 10) / 10;

function label(n: number): string {
  return Number(n.toPrecision(4)).toString();
}

/** The chart of a metric, or undefined when fewer than two measurements have a number. */
export function metricSvgChart(metric: MetricView, origin: number): SvgChart | undefined {
  const points = metric.measurements
    .map((m) => ({ at: m.finishedAt, value: chartNumber(m.value) }))
    .filter((p): p is { at: number; value: string } => p.value !== undefined)
    .slice(-MAX_CHART_POINTS)
    .map((p) => ({ at: p.at, value: Number(p.value) }));
  if (points.length < 2) return undefined;
  const threshold = conditionThreshold(metric.failureCondition) ?? conditionThreshold(metric.successCondition);
  const values = points.map((p) => p.value).concat(threshold === undefined ? [] : [threshold]);
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (min === max) {
    min -= 1;
    max += 1;
  }
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => round(PAD.left + (plotW * i) / (points.length - 1));
  const y = (v: number) => round(PAD.top + plotH * (1 - (v - min) / (max - min)));
  const dots = points.map((p, i) => ({ x: x(i), y: y(p.value), label: `${formatOffset(p.at, origin)}: ${label(p.value)}` }));
  const chart: SvgChart = {
    width: WIDTH,
    height: HEIGHT,
    line: dots.map((d) => `${d.x},${d.y}`).join(' '),
    dots,
    axis: { top: label(max), bottom: label(min), first: formatOffset(points[0].at, origin), last: formatOffset(points[points.length - 1].at, origin) },
  };
  if (threshold !== undefined) chart.threshold = { y: y(threshold), label: `threshold ${label(threshold)}` };
  return chart;
}
