import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAllowlist } from '../../src/analysis/allowlist.js';
import { PrometheusProvider } from '../../src/analysis/prometheus.js';
import { MeasurementError } from '../../src/analysis/errors.js';
import { assessRun, metricResult } from '../../src/analysis/run.js';
import { measureOnceMetrics, runAnalysis, systemClock, takeMeasurement, type MeasurementEvent } from '../../src/analysis/runner.js';
import type { MeasuredValue, MetricProvider, ProviderResult, ResolvedMetric } from '../../src/analysis/types.js';
import { FakeClock, makeMetric } from './support.js';

/** Answers each metric from a script of values or errors, one per call; the last answer repeats. */
class ScriptedProvider implements MetricProvider {
  readonly calls: { metric: string; at: number }[] = [];

  constructor(
    private readonly script: Record<string, (MeasuredValue | Error)[]>,
    private readonly clock: FakeClock,
  ) {}

  async measure(metric: ResolvedMetric): Promise<ProviderResult> {
    const answers = this.script[metric.name];
    const answer = answers[Math.min(this.calls.filter((c) => c.metric === metric.name).length, answers.length - 1)];
    this.calls.push({ metric: metric.name, at: this.clock.now() });
    if (answer instanceof Error) throw answer;
    return { value: answer, raw: JSON.stringify(answer) };
  }
}

describe('runAnalysis', () => {
  it('measures count times at the interval and reports each measurement', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const provider = new ScriptedProvider({ 'error-rate': [[0.01], [0.02], [0.01]] }, clock);
    const events: MeasurementEvent[] = [];
    const metric = makeMetric({ successCondition: 'result[0] < 0.05', interval: '1m', intervalMs: 60_000, count: 3 });
    const state = await runAnalysis([metric], { provider, clock, onMeasurement: (event) => events.push(event) });
    expect(assessRun(state).phase).toBe('Successful');
    expect(provider.calls.map((c) => (c.at - start) / 1000)).toEqual([0, 60, 120]);
    expect(events.map((e) => [e.metric.name, e.measurement.value, e.measurement.phase, e.result.phase])).toEqual([
      ['error-rate', '[0.01]', 'Successful', 'Running'],
      ['error-rate', '[0.02]', 'Successful', 'Running'],
      ['error-rate', '[0.01]', 'Successful', 'Successful'],
    ]);
  });

  it('retries errors after the error retry interval and ends in Error after the limit', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const provider = new ScriptedProvider({ 'error-rate': [new MeasurementError('connection', 'cannot connect to Prometheus at http://prom:9090: connection refused (ECONNREFUSED)')] }, clock);
    const metric = makeMetric({ successCondition: 'result[0] < 0.05', interval: '1m', intervalMs: 60_000, count: 3, consecutiveErrorLimit: 2 });
    const state = await runAnalysis([metric], { provider, clock });
    expect(provider.calls.map((c) => (c.at - start) / 1000)).toEqual([0, 10, 20]);
    expect(assessRun(state)).toMatchObject({ phase: 'Error', message: expect.stringContaining('consecutiveErrors (3) > consecutiveErrorLimit (2)') });
    expect(metricResult(state, 'error-rate')!.measurements[0].message).toBe('cannot connect to Prometheus at http://prom:9090: connection refused (ECONNREFUSED)');
  });

  it('measures due metrics together and stops the others when one fails', async () => {
    const clock = new FakeClock();
    const provider = new ScriptedProvider({ a: [0.01], b: [0.01, 0.5] }, clock);
    const a = makeMetric({ name: 'a', successCondition: 'result < 0.05', interval: '30s', intervalMs: 30_000 });
    const b = makeMetric({ name: 'b', successCondition: 'result < 0.05', interval: '1m', intervalMs: 60_000, count: 5 });
    const state = await runAnalysis([a, b], { provider, clock });
    expect(assessRun(state).phase).toBe('Failed');
    expect(metricResult(state, 'a')).toMatchObject({ phase: 'Successful', message: 'run terminated', count: 3 });
  });

  it('keeps the measurement of a second metric taken in the round where the first one failed', async () => {
    const clock = new FakeClock();
    const provider = new ScriptedProvider({ errors: [[0.2]], latency: [[0.1]] }, clock);
    const errors = makeMetric({ name: 'errors', successCondition: 'result[0] < 0.05' });
    const latency = makeMetric({ name: 'latency', successCondition: 'result[0] < 0.5' });
    const events: MeasurementEvent[] = [];
    const state = await runAnalysis([errors, latency], { provider, clock, onMeasurement: (event) => events.push(event) });
    expect(assessRun(state).phase).toBe('Failed');
    expect(events.map((e) => [e.metric.name, e.measurement.value, e.measurement.phase, e.result.phase])).toEqual([
      ['errors', '[0.2]', 'Failed', 'Failed'],
      ['latency', '[0.1]', 'Successful', 'Successful'],
    ]);
    expect(metricResult(state, 'latency')).toMatchObject({ count: 1, message: 'count (1) reached' });
  });

  it('stops where it stands when aborted: the run stays Running, it is not a pass', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const provider = new ScriptedProvider({ 'error-rate': [0] }, clock);
    const metric = makeMetric({ interval: '1m', intervalMs: 60_000 });
    const state = await runAnalysis([metric], {
      provider,
      clock,
      signal: controller.signal,
      onMeasurement: (event) => {
        if (event.result.count === 2) controller.abort();
      },
    });
    expect(assessRun(state)).toEqual({ phase: 'Running', completed: false });
    expect(metricResult(state, 'error-rate')).toMatchObject({ phase: 'Running', count: 2 });
    expect(provider.calls).toHaveLength(2);
  });

  it('--once: one measurement per metric, now, judged alone', async () => {
    const clock = new FakeClock();
    const provider = new ScriptedProvider({ 'error-rate': [[0.2]] }, clock);
    const metric = makeMetric({ successCondition: 'result[0] < 0.05', initialDelay: '5m', initialDelayMs: 300_000, interval: '1m', intervalMs: 60_000, count: 10, failureLimit: 3 });
    const state = await runAnalysis([metric], { provider, clock, once: true });
    expect(provider.calls).toEqual([{ metric: 'error-rate', at: clock.now() }]);
    expect(clock.sleeps).toEqual([]);
    expect(assessRun(state)).toMatchObject({ phase: 'Failed', message: 'Metric "error-rate" assessed Failed due to failed (1) > failureLimit (0)' });

    const erroring = new ScriptedProvider({ 'error-rate': [new Error('boom')] }, clock);
    const errored = await runAnalysis([metric], { provider: erroring, clock, once: true });
    expect(assessRun(errored).phase).toBe('Error');
    expect(erroring.calls).toHaveLength(1);
  });
});

describe('measureOnceMetrics', () => {
  it('keeps a disabled failure limit disabled', () => {
    const [metric] = measureOnceMetrics([makeMetric({ failureLimit: -1, interval: '1m', intervalMs: 60_000 })]);
    expect(metric).toMatchObject({ count: 1, failureLimit: -1, consecutiveErrorLimit: 0, inconclusiveLimit: 0, consecutiveSuccessLimit: 0 });
    expect(metric.intervalMs).toBeUndefined();
  });
});

describe('credentials echoed by a server', () => {
  let server: Server;
  let address = '';
  beforeAll(async () => {
    // Answers 401 quoting every credential it was sent, as some proxies and gateways do.
    server = createServer((request, response) => {
      response.statusCode = 401;
      response.setHeader('content-type', 'text/plain');
      response.end(`unauthorized: got ${request.headers.authorization}, key ${request.headers['x-api-key']}, tenant ${request.headers['x-scope-orgid']}`);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
  });

  const measureError = async (metric: ResolvedMetric, bearerToken?: string) => {
    const provider = new PrometheusProvider({ defaultAddress: address, allowlist: createAllowlist([address]), bearerToken });
    const state = await runAnalysis([metric], { provider, clock: new FakeClock() });
    return metricResult(state, metric.name)!.measurements[0].message ?? '';
  };

  it('never reach the measurement: bearer tokens, basic credentials and configured header values are redacted', async () => {
    const headers = [
      { key: 'Authorization', value: 'Bearer tok-template-123' },
      { key: 'X-Api-Key', value: 'key-secret-456' },
      { key: 'X-Scope-OrgID', value: 'tenant-789' },
    ];
    const withHeaders = await measureError(makeMetric({ consecutiveErrorLimit: 0, prometheus: { headers } }));
    expect(withHeaders).toContain('returned HTTP 401 Unauthorized');
    for (const secret of ['tok-template-123', 'key-secret-456', 'tenant-789']) expect(withHeaders).not.toContain(secret);
    expect(withHeaders).toContain('got [redacted], key [redacted], tenant [redacted]');

    const basic = await measureError(makeMetric({ consecutiveErrorLimit: 0, prometheus: { basicAuth: { username: 'opsbox', password: 'pw-secret-000' } } }));
    expect(basic).not.toContain(Buffer.from('opsbox:pw-secret-000').toString('base64'));
    expect(basic).toContain('got Basic [redacted]');

    const operator = await measureError(makeMetric({ consecutiveErrorLimit: 0 }), 'operator-token-abc');
    expect(operator).not.toContain('operator-token-abc');
    expect(operator).toContain('got Bearer [redacted]');
  });

  it('are redacted from any provider\'s error, not only Prometheus\'s', async () => {
    const metric = makeMetric({ prometheus: { headers: [{ key: 'X-Api-Key', value: 'key-secret-456' }] } });
    const leaky: MetricProvider = { measure: async () => Promise.reject(new Error('denied for key-secret-456 (Bearer abc.def)')) };
    const outcome = await takeMeasurement(leaky, metric);
    expect(outcome).toMatchObject({ error: 'denied for [redacted] (Bearer [redacted])' });
  });
});

describe('takeMeasurement', () => {
  it('turns any provider failure into an error outcome with its message', async () => {
    const provider: MetricProvider = {
      measure: async () => {
        throw new TypeError('unexpected');
      },
    };
    const outcome = await takeMeasurement(provider, makeMetric());
    expect(outcome).toMatchObject({ error: 'unexpected' });
  });
});

describe('systemClock', () => {
  it('sleep resolves early when aborted', async () => {
    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    controller.abort();
    await expect(sleeping).resolves.toBeUndefined();
  });
});
