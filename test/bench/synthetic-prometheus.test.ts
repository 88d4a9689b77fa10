import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAllowlist } from '../../src/analysis/allowlist.js';
import { PrometheusProvider } from '../../src/analysis/prometheus.js';
import type { ResolvedMetric } from '../../src/analysis/types.js';
import { startSyntheticPrometheus, type SyntheticPrometheus } from '../../bench/support/synthetic-prometheus.js';

const T0 = Date.UTC(2026, 0, 1);
const errorRatio = (service: string, track: string, window: string) =>
  `sum(rate(http_requests_total{service="${service}",track="${track}",code=~"5.."}[${window}])) / sum(rate(http_requests_total{service="${service}",track="${track}"}[${window}]))`;
const p95 = (service: string, track: string) =>
  `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="${service}",track="${track}"}[5s])))`;

let prometheus: SyntheticPrometheus;
let provider: PrometheusProvider;

function metric(query: string, range?: { startS: number; endS: number }): ResolvedMetric {
  return {
    name: 'm',
    failureLimit: 0,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: 0,
    consecutiveSuccessLimit: 0,
    dryRun: false,
    measurementRetention: 1,
    source: { file: 'test', template: 't', kind: 'AnalysisTemplate' },
    prometheus: {
      address: prometheus.url,
      query,
      headers: [],
      insecure: false,
      timeoutMs: 5000,
      ...(range ? { rangeQuery: { start: new Date(T0 + range.startS * 1000).toISOString(), end: new Date(T0 + range.endS * 1000).toISOString(), step: '5s' } } : {}),
    },
  };
}

beforeAll(async () => {
  prometheus = await startSyntheticPrometheus();
  provider = new PrometheusProvider({ allowlist: createAllowlist([prometheus.url]) });
  // Three 5 s buckets: [0,5), [5,10), [10,15).
  prometheus.services.set('svc', {
    startMs: T0,
    stepMs: 5000,
    canary: [
      { requests: 10, errors: 1, p95: 0.3 },
      { requests: 0, errors: 0, p95: Number.NaN },
      { requests: 20, errors: 4, p95: 0.4 },
    ],
    stable: [
      { requests: 10, errors: 0, p95: 0.2 },
      { requests: 10, errors: 1, p95: 0.25 },
      { requests: 20, errors: 2, p95: 0.2 },
    ],
    nowMs: T0 + 15_000,
  });
});

afterAll(() => prometheus.close());

describe('synthetic Prometheus for the judgment benchmark', () => {
  it('answers a range query with one sample per bucket ending in the range, NaN where nothing was requested', async () => {
    const { value } = await provider.measure(metric(errorRatio('svc', 'canary', '5s'), { startS: 0, endS: 15 }));
    // t=0 has no bucket ending at it: no sample, as Prometheus leaves gaps.
    expect(value).toEqual([0.1, Number.NaN, 0.2]);
  });

  it('answers p95 per bucket', async () => {
    const { value } = await provider.measure(metric(p95('svc', 'stable'), { startS: 5, endS: 15 }));
    expect(value).toEqual([0.2, 0.25, 0.2]);
  });

  it('evaluates an instant query at the service clock over the rate window', async () => {
    const { value } = await provider.measure(metric(errorRatio('svc', 'canary', '15s')));
    expect(value).toEqual([5 / 30]);
  });

  it('divides two error ratios, +Inf over a zero baseline', async () => {
    prometheus.services.get('svc')!.nowMs = T0 + 5000;
    const { value } = await provider.measure(metric(`(${errorRatio('svc', 'canary', '5s')}) / (${errorRatio('svc', 'stable', '5s')})`));
    expect(value).toEqual([Number.POSITIVE_INFINITY]);
  });

  it('returns no series for a service it does not know', async () => {
    const { value } = await provider.measure(metric(errorRatio('other', 'canary', '5s'), { startS: 0, endS: 15 }));
    expect(value).toEqual([]);
  });

  it('refuses a query it cannot evaluate with a Prometheus bad_data error', async () => {
    await expect(provider.measure(metric('up{service="svc"}'))).rejects.toThrow(/HTTP 400.*bad_data: unsupported query/);
  });
});
