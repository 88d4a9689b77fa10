/** A provider that answers range queries from functions of time, keyed by the query text. */
import { parseDuration } from '../../../src/util/duration.js';
import type { MetricProvider, ResolvedMetric } from '../../../src/analysis/types.js';

export type Series = (atMs: number) => number;

export class SeriesProvider implements MetricProvider {
  readonly ranges: { query: string; startMs: number; endMs: number }[] = [];
  failing = false;

  constructor(private readonly series: Record<string, Series>) {}

  async measure(metric: ResolvedMetric) {
    const range = metric.prometheus!.rangeQuery;
    if (!range) throw new Error('expected a range query');
    if (this.failing) throw new Error('Prometheus at 127.0.0.1 answered HTTP 503');
    const startMs = Date.parse(range.start);
    const endMs = Date.parse(range.end);
    const stepMs = parseDuration(range.step);
    this.ranges.push({ query: metric.prometheus!.query, startMs, endMs });
    const series = this.series[metric.prometheus!.query];
    const values: number[] = [];
    // Prometheus returns a sample at start, start + step, ... up to end.
    for (let at = startMs; at <= endMs && values.length < 10_000; at += stepMs) values.push(series(at));
    return { value: values, raw: '' };
  }
}

/** Deterministic jitter in [0, 1) from a sample time, so the series look noisy but repeat. */
export function jitter(atMs: number, salt = 0): number {
  const x = Math.sin((atMs / 1000 + salt) * 12.9898) * 43758.5453;
  return x - Math.floor(x);
}
