/**
 * `opsbox analyze` against a real Prometheus scraping a synthetic exporter on loopback.
 * Needs the prometheus binary (Debian package `prometheus`); CI must have it.
 */
import { it, expect, beforeAll, afterAll } from '@jest/globals';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeCommand } from '../../src/cli/analyze.js';
import { runCommand } from '../cli/support.js';
import { startExporter, type Exporter } from '../support/exporter.js';
import { describeWithTool } from '../support/required-tool.js';
import { PROMETHEUS_BIN, prometheusAvailable, startPrometheus, waitForSamples, type RunningPrometheus } from '../support/prometheus.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/analysis');
const available = prometheusAvailable();

const analyze = (argv: string[]) => runCommand(analyzeCommand, argv, { env: {}, cwd: fixtures, signal: new AbortController().signal });

describeWithTool('opsbox analyze against a real Prometheus', { available, missing: `${PROMETHEUS_BIN} is missing: apt-get install prometheus, or set PROMETHEUS_BIN` }, () => {
  let exporter: Exporter | undefined;
  let prometheus: RunningPrometheus | undefined;
  const args = (service: string, ...extra: string[]) => ['--template', 'error-rate.yaml', '--prometheus', prometheus!.url, '--arg', `service=${service}`, ...extra];

  beforeAll(async () => {
    exporter = await startExporter({ services: { healthy: 0.01, broken: 0.2 } });
    prometheus = await startPrometheus({ scrapeTargets: [exporter.target], scrapeInterval: '1s' });
    await waitForSamples(prometheus.url, 'sum by (service) (rate(http_requests_total[10s]))', { minSeries: 2, timeoutMs: 40_000 });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.stop();
  });

  it('healthy service (1% errors) → Successful, exit 0', async () => {
    const { code, stdout } = await analyze(args('healthy'));
    expect(stdout).toMatch(/error-rate {2}\[0\.0(09\d*|1|10\d*)\] {2}Successful/);
    expect(stdout).toContain('Result: Successful');
    expect(code).toBe(0);
  });

  it('broken service (20% errors) → Failed, exit 1, with the value', async () => {
    const { code, stdout } = await analyze(args('broken', '--json'));
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.phase).toBe('Failed');
    expect(report.message).toBe('Metric "error-rate" assessed Failed due to failed (1) > failureLimit (0)');
    const [measurement] = report.metrics[0].measurements;
    expect(measurement.phase).toBe('Failed');
    expect(Number(JSON.parse(measurement.value)[0])).toBeCloseTo(0.2, 3);
  });

  it('a query that returns nothing → Error, exit 3, saying no data', async () => {
    const { code, stdout } = await analyze(args('absent', '--arg', 'consecutive-error-limit=1'));
    expect(code).toBe(3);
    expect(stdout).toContain('error-rate  []  Error — successCondition "result[0] < 0.05": index 0 out of range: result is empty (no data returned)');
    expect(stdout).toContain('assessed Error due to consecutiveErrors (2) > consecutiveErrorLimit (1)');
  });

  it('Prometheus stopped → Error, exit 3, after the consecutive error limit', async () => {
    const url = prometheus!.url;
    await prometheus!.stop();
    const { code, stdout } = await analyze(['--template', 'error-rate.yaml', '--prometheus', url, '--arg', 'service=healthy', '--arg', 'consecutive-error-limit=1']);
    expect(code).toBe(3);
    expect(stdout).toContain(`Error — cannot connect to Prometheus at ${url}: connection refused (ECONNREFUSED)`);
    expect(stdout).toContain('Result: Error — Metric "error-rate" assessed Error due to consecutiveErrors (2) > consecutiveErrorLimit (1)');
  });
});
