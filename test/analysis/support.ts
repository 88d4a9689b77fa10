/** Builders shared by the analysis tests. */
import type { PrometheusMetric, PrometheusQuerySpec } from '../../src/analysis/types.js';
import type { Clock } from '../../src/analysis/runner.js';

type MetricOverrides = Partial<Omit<PrometheusMetric, 'prometheus'>> & { prometheus?: Partial<PrometheusQuerySpec> };

/** A resolved metric with Argo's defaults; override what a test is about. */
export function makeMetric(overrides: MetricOverrides = {}): PrometheusMetric {
  const { prometheus, ...rest } = overrides;
  return {
    name: 'error-rate',
    failureLimit: 0,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: 4,
    consecutiveSuccessLimit: 0,
    dryRun: false,
    measurementRetention: 10,
    source: { file: 'analysis/error-rate.yaml', template: 'error-rate', kind: 'AnalysisTemplate' },
    ...rest,
    prometheus: { query: 'up', timeoutMs: 30_000, headers: [], insecure: false, ...prometheus },
  };
}

/** The error of `type` that `action` throws; another error is rethrown, and no error fails the test. */
export function thrownBy<E extends Error>(type: abstract new (...args: never[]) => E, action: () => unknown): E {
  try {
    action();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name}`);
}

/** A clock whose sleep advances time at once, so runs with intervals finish without waiting. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];

  constructor(public time = Date.parse('2025-01-01T00:00:00Z')) {}

  now(): number {
    return this.time;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.sleeps.length > 10_000) throw new Error('FakeClock: too many sleeps; the run does not finish');
    this.sleeps.push(ms);
    if (!signal?.aborted) this.time += ms;
  }

  advance(ms: number): void {
    this.time += ms;
  }
}
