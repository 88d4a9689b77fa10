import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from '@jest/globals';
import nock from 'nock';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeCommand } from '../../src/cli/analyze.js';
import { FakeClock } from '../analysis/support.js';
import { runCommand, type CliRun } from './support.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/analysis');
const PROM = 'http://prom.test:9090';

async function analyze(argv: string[], env: Record<string, string> = {}): Promise<CliRun & { clock: FakeClock }> {
  const clock = new FakeClock();
  const run = await runCommand(analyzeCommand, argv, { env, cwd: fixtures, clock, signal: new AbortController().signal });
  return { ...run, clock };
}

function vector(...values: string[]) {
  return { status: 'success', data: { resultType: 'vector', result: values.map((v) => ({ metric: {}, value: [1700000000, v] })) } };
}

/** Prometheus answers each query with the next body (the last one repeats); a number is an HTTP error. */
function prometheus(...bodies: unknown[]): { queries: () => number } {
  let call = 0;
  nock(PROM)
    .get('/api/v1/query')
    .query(true)
    .times(50)
    .reply(() => {
      const body = bodies[Math.min(call++, bodies.length - 1)];
      return typeof body === 'number' ? [body, { status: 'error', errorType: 'unavailable', error: 'storage is starting' }] : [200, body];
    });
  return { queries: () => call };
}

const errorRate = ['--template', 'error-rate.yaml', '--prometheus', PROM, '--arg', 'service=api'];

let scratch = '';

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'opsbox-analyze-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

beforeEach(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

async function templateFile(name: string, metrics: string): Promise<string> {
  const file = path.join(scratch, `${name}.yaml`);
  const [first, ...rest] = metrics.split('\n');
  const items = [`    - ${first}`, ...rest.map((line) => `      ${line}`)].join('\n');
  await writeFile(file, `apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n  name: ${name}\nspec:\n  metrics:\n${items}\n`);
  return file;
}

describe('opsbox analyze', () => {
  it('prints usage for --help', async () => {
    const { code, stdout } = await analyze(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: opsbox analyze --template FILE');
    expect(stdout).toContain('Exit codes: 0 Successful, 1 Failed, 2 Inconclusive, 3 Error, 4 bad usage or invalid template,\n130 stopped');
  });

  it('exits 0 when the run is Successful, printing each measurement', async () => {
    const server = prometheus(vector('0.01'), vector('0.02'), vector('0.01'));
    const { code, stdout, clock } = await analyze(errorRate);
    expect(code).toBe(0);
    expect(server.queries()).toBe(3);
    expect(clock.sleeps).toEqual([1000, 1000]);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('Analyzing AnalysisTemplate "error-rate" (error-rate.yaml)');
    expect(lines[1]).toBe('  error-rate: every 1s, count 3; success: result[0] < 0.05');
    expect(lines[2]).toBe('2025-01-01T00:00:00Z  error-rate  [0.01]  Successful');
    expect(lines[3]).toBe('2025-01-01T00:00:01Z  error-rate  [0.02]  Successful');
    expect(lines[4]).toBe('2025-01-01T00:00:02Z  error-rate  [0.01]  Successful  [metric Successful: count (3) reached]');
    expect(lines[5]).toBe('Result: Successful');
  });

  it('exits 1 when the run Failed, with the value in the output', async () => {
    prometheus(vector('0.2'));
    const { code, stdout } = await analyze(errorRate);
    expect(code).toBe(1);
    expect(stdout).toContain('error-rate  [0.2]  Failed  [metric Failed: failed (1) > failureLimit (0)]');
    expect(stdout).toContain('Result: Failed — Metric "error-rate" assessed Failed due to failed (1) > failureLimit (0)');
  });

  it('exits 2 when the run is Inconclusive', async () => {
    const file = await templateFile('band', 'name: band\nsuccessCondition: result[0] < 0.05\nfailureCondition: result[0] > 0.1\nprovider:\n  prometheus: {query: up}');
    prometheus(vector('0.07'));
    const { code, stdout } = await analyze(['--template', file, '--prometheus', PROM]);
    expect(code).toBe(2);
    expect(stdout).toContain('band  [0.07]  Inconclusive');
  });

  it('exits 3 on Error after the consecutive error limit, with Prometheus\'s error', async () => {
    prometheus(503);
    const { code, stdout, clock } = await analyze([...errorRate, '--arg', 'consecutive-error-limit=1']);
    expect(code).toBe(3);
    expect(clock.sleeps).toEqual([1000]);
    expect(stdout).toContain('error-rate  -  Error — Prometheus at http://prom.test:9090 returned HTTP 503 Service Unavailable: unavailable: storage is starting');
    expect(stdout).toContain('Result: Error — Metric "error-rate" assessed Error due to consecutiveErrors (2) > consecutiveErrorLimit (1)');
  });

  it('exits 3 saying no data when the query returns nothing', async () => {
    prometheus(vector());
    const { code, stdout } = await analyze([...errorRate, '--arg', 'consecutive-error-limit=0']);
    expect(code).toBe(3);
    expect(stdout).toContain('error-rate  []  Error — successCondition "result[0] < 0.05": index 0 out of range: result is empty (no data returned)');
  });

  it('prints both metrics of a template without interval when the first fails, and exits 1', async () => {
    const file = await templateFile('pair', 'name: errors\nsuccessCondition: result[0] < 0.05\nprovider:\n  prometheus: {query: errors}');
    await writeFile(file, `${await readFile(file, 'utf8')}    - {name: latency, successCondition: 'result[0] < 0.5', provider: {prometheus: {query: latency}}}\n`);
    nock(PROM).get('/api/v1/query').query({ query: 'errors' }).reply(200, vector('0.2'));
    nock(PROM).get('/api/v1/query').query({ query: 'latency' }).reply(200, vector('0.1'));
    const { code, stdout } = await analyze(['--template', file, '--prometheus', PROM]);
    expect(code).toBe(1);
    expect(stdout).toContain('errors  [0.2]  Failed  [metric Failed: failed (1) > failureLimit (0)]');
    expect(stdout).toContain('latency  [0.1]  Successful  [metric Successful: count (1) reached]');
    expect(stdout).toContain('  latency: Successful — count (1) reached (1 measured, 1 successful');
  });

  it('stopped before a verdict: exits 130, phase Running, never Successful', async () => {
    const controller = new AbortController();
    let calls = 0;
    nock(PROM)
      .get('/api/v1/query')
      .query(true)
      .times(5)
      .reply(() => {
        if (++calls === 2) controller.abort();
        return [200, vector('0.01')];
      });
    const run = await runCommand(analyzeCommand, [...errorRate, '--json'], { env: {}, cwd: fixtures, clock: new FakeClock(), signal: controller.signal });
    expect(run.code).toBe(130);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ phase: 'Running', message: null });
    expect(report.metrics[0]).toMatchObject({ phase: 'Running', measurements: [{ phase: 'Successful', value: '[0.01]' }] });

    const plain = new AbortController();
    plain.abort();
    nock(PROM).get('/api/v1/query').query(true).reply(200, vector('0.01'));
    const text = await runCommand(analyzeCommand, errorRate, { env: {}, cwd: fixtures, clock: new FakeClock(), signal: plain.signal });
    expect(text.code).toBe(130);
    expect(text.stdout).toContain('Result: Running — stopped before a verdict');
  });

  it('exits 3 on no data when all(result, …) would pass on an empty result, unless the template opts into Argo\'s verdict', async () => {
    const file = await templateFile('range', 'name: range\nsuccessCondition: "all(result, # < 0.05)"\nconsecutiveErrorLimit: 0\nprovider:\n  prometheus: {query: up}');
    prometheus(vector());
    const strict = await analyze(['--template', file, '--prometheus', PROM]);
    expect(strict.code).toBe(3);
    expect(strict.stdout).toContain('range  []  Error — no data: the query returned no series');

    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('  name: range\n', '  name: range\n  annotations:\n    opsbox.dev/empty-result: evaluate\n'));
    const argo = await analyze(['--template', file, '--prometheus', PROM]);
    expect(argo.code).toBe(0);
    expect(argo.stdout).toContain('range  []  Successful');
  });

  it('never prints credentials a server echoes back (template headers, basic auth, bearer tokens)', async () => {
    const file = await templateFile(
      'guarded',
      'name: guarded\nconsecutiveErrorLimit: 0\nprovider:\n  prometheus:\n    query: up\n    headers: [{key: X-Api-Key, value: key-secret-456}]\n    authentication: {basicAuth: {username: opsbox, password: pw-secret-000}}',
    );
    nock(PROM)
      .get('/api/v1/query')
      .query(true)
      .reply(function () {
        const { authorization, 'x-api-key': key } = this.req.headers;
        return [403, `forbidden: got ${authorization} and ${key}; also saw Bearer tok-elsewhere-1`];
      });
    const { code, stdout } = await analyze(['--template', file, '--prometheus', PROM, '--json']);
    expect(code).toBe(3);
    for (const secret of ['key-secret-456', 'pw-secret-000', Buffer.from('opsbox:pw-secret-000').toString('base64'), 'tok-elsewhere-1']) {
      expect(stdout).not.toContain(secret);
    }
    expect(JSON.parse(stdout).metrics[0].measurements[0].message).toContain('forbidden: got Basic [redacted] and [redacted]; also saw Bearer [redacted]');
  });

  it('runs the metrics of the templates a template includes (spec.templates)', async () => {
    const folder = path.join(scratch, 'composite');
    await mkdir(folder, { recursive: true });
    const header = (name: string) => `apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: ${name}}\nspec:\n`;
    await writeFile(path.join(folder, 'checks.yaml'), `${header('checks')}  templates: [{templateName: errors}]\n  metrics: [{name: up, provider: {prometheus: {query: up}}}]\n`);
    await writeFile(path.join(folder, 'errors.yaml'), `${header('errors')}  metrics: [{name: errors, provider: {prometheus: {query: errors}}}]\n`);
    await writeFile(path.join(folder, 'broken.yaml'), `${header('broken')}  metricz: []\n`);
    nock(PROM).get('/api/v1/query').query({ query: 'up' }).reply(200, vector('1'));
    nock(PROM).get('/api/v1/query').query({ query: 'errors' }).reply(200, vector('0'));
    const { code, stdout } = await analyze(['--template', folder, '--name', 'checks', '--prometheus', PROM]);
    expect(code).toBe(0);
    expect(stdout).toContain('Analyzing AnalysisTemplate "checks"');
    expect(stdout).toContain('AnalysisTemplate "errors"');
    expect(stdout).toContain('up  [1]  Successful');
    expect(stdout).toContain('errors  [0]  Successful');

    const all = await analyze(['--template', folder, '--prometheus', PROM]);
    expect(all.code).toBe(4);
    expect(all.stderr).toContain('template "broken": spec.metricz: unknown field "metricz"');
  });

  it('--json prints one JSON object at the end, progress on stderr', async () => {
    prometheus(vector('0.01'), vector('0.2'));
    const { code, stdout, stderr } = await analyze([...errorRate, '--json']);
    expect(code).toBe(1);
    expect(stderr).toContain('error-rate  [0.2]  Failed');
    expect(JSON.parse(stdout)).toEqual({
      phase: 'Failed',
      message: 'Metric "error-rate" assessed Failed due to failed (1) > failureLimit (0)',
      once: false,
      metrics: [
        {
          name: 'error-rate',
          phase: 'Failed',
          message: 'failed (1) > failureLimit (0)',
          dryRun: false,
          query: 'sum(rate(http_requests_total{service="api",code=~"5.."}[10s]))\n/\nsum(rate(http_requests_total{service="api"}[10s]))',
          address: 'http://prom.test:9090',
          templateAddress: null,
          successCondition: 'result[0] < 0.05',
          failureCondition: null,
          limits: { interval: '1s', initialDelay: null, count: 3, failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 2, consecutiveSuccessLimit: 0 },
          measurements: [
            { phase: 'Successful', value: '[0.01]', message: null, startedAt: '2025-01-01T00:00:00.000Z', finishedAt: '2025-01-01T00:00:00.000Z' },
            { phase: 'Failed', value: '[0.2]', message: null, startedAt: '2025-01-01T00:00:01.000Z', finishedAt: '2025-01-01T00:00:01.000Z' },
          ],
        },
      ],
    });
  });

  it('--once reports the template\'s own schedule and limits while measuring each metric once', async () => {
    prometheus(vector('0.01'));
    const { code, stdout, stderr } = await analyze([...errorRate, '--once', '--json', '--arg', 'count=5', '--arg', 'interval=1m']);
    expect(code).toBe(0);
    expect(stderr).toContain('  error-rate: once now (the template: every 1m, count 5, failureLimit 0, inconclusiveLimit 0, consecutiveErrorLimit 2); success: result[0] < 0.05');
    const report = JSON.parse(stdout);
    expect(report.once).toBe(true);
    expect(report.metrics[0].limits).toEqual({ interval: '1m', initialDelay: null, count: 5, failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 2, consecutiveSuccessLimit: 0 });
    expect(report.metrics[0].measurements).toHaveLength(1);
  });

  it('--prometheus replaces a template\'s in-cluster address, and says so', async () => {
    const file = await templateFile('in-cluster', 'name: in-cluster\nprovider:\n  prometheus: {address: "http://prometheus.monitoring.svc:9090", query: up}');
    const server = prometheus(vector('1'));
    const { code, stdout } = await analyze(['--template', file, '--prometheus', PROM]);
    expect(code).toBe(0);
    expect(server.queries()).toBe(1);
    expect(stdout).toContain("Querying http://prom.test:9090 (--prometheus) instead of the templates' http://prometheus.monitoring.svc:9090");
    const json = await analyze(['--template', file, '--prometheus', PROM, '--json']);
    expect(JSON.parse(json.stdout).metrics[0]).toMatchObject({ query: 'up', address: 'http://prom.test:9090', templateAddress: 'http://prometheus.monitoring.svc:9090' });
  });

  it('--prometheus is still subject to the operator\'s allowlist', async () => {
    const { code, stderr } = await analyze([...errorRate], { OPSBOX_PROMETHEUS_ALLOWLIST: 'http://prometheus.monitoring:9090' });
    expect(code).toBe(4);
    expect(stderr).toContain('--prometheus http://prom.test:9090 is not allowed by OPSBOX_PROMETHEUS_ALLOWLIST (http://prometheus.monitoring:9090)');
    prometheus(vector('0.01'));
    const allowed = await analyze([...errorRate, '--once'], { OPSBOX_PROMETHEUS_ALLOWLIST: `http://prometheus.monitoring:9090,${PROM}` });
    expect(allowed.code).toBe(0);
  });

  it('--once takes one measurement per metric', async () => {
    const server = prometheus(vector('0.01'));
    const { code, stdout, clock } = await analyze([...errorRate, '--once']);
    expect(code).toBe(0);
    expect(clock.sleeps).toEqual([]);
    expect(stdout).toContain('one measurement per metric');
    expect(stdout.match(/ {2}error-rate {2}\[0\.01\] {2}Successful/g)).toHaveLength(1);
    expect(server.queries()).toBe(1);
  });

  it('uses PROMETHEUS_URL as the default address', async () => {
    prometheus(vector('0.01'));
    const { code } = await analyze(['--template', 'error-rate.yaml', '--arg', 'service=api', '--arg', 'count=1'], { PROMETHEUS_URL: PROM });
    expect(code).toBe(0);
  });

  it('reports an address the operator does not allow, as an Error', async () => {
    const file = await templateFile('elsewhere', 'name: elsewhere\nprovider:\n  prometheus: {address: "http://metadata.internal", query: up}');
    const { code, stdout } = await analyze(['--template', file], { PROMETHEUS_URL: PROM });
    expect(code).toBe(3);
    expect(stdout).toContain('Prometheus address http://metadata.internal is not allowed (allowed prefixes: http://prom.test:9090)');
  });

  it('runs only the templates named, from files and folders, at their own allowed address', async () => {
    const scope = nock('http://prometheus.monitoring:9090')
      .get('/api/v1/query')
      .query({ query: 'max(rate(process_cpu_seconds_total[1m]))' })
      .reply(200, vector('0.3'));
    const { code, stdout } = await analyze(['--template', 'library', '--name', 'saturation'], { PROMETHEUS_URL: PROM, OPSBOX_PROMETHEUS_ALLOWLIST: 'http://prometheus.monitoring:9090' });
    expect(code).toBe(0);
    expect(stdout).toContain('Analyzing AnalysisTemplate "saturation" (library/nested/saturation.yml)');
    expect(stdout).toContain('cpu  [0.3]  Successful');
    scope.done();
  });
});

describe('opsbox analyze: bad usage and invalid templates exit 4 with the reason', () => {
  const cases: [string, string[], string][] = [
    ['no template', ['--prometheus', PROM], '--template FILE is required'],
    ['an unknown option', ['--template', 'x.yaml', '--bogus'], "Unknown option '--bogus'"],
    ['a malformed --arg', ['--template', 'error-rate.yaml', '--arg', 'service'], '--arg must look like NAME=VALUE (got "service")'],
    ['a --prometheus that is not a URL', ['--template', 'error-rate.yaml', '--prometheus', 'prom:9090'], '--prometheus must be an http:// or https:// URL'],
    ['a missing argument', ['--template', 'error-rate.yaml', '--prometheus', PROM], 'error-rate.yaml, template "error-rate": argument "service" was not supplied'],
    ['a missing file', ['--template', 'nope.yaml'], 'template path "nope.yaml" does not exist'],
    ['an unknown --name', ['--template', 'library', '--name', 'nope'], 'template "nope" not found in library; found "saturation", "success-rate", "latency"'],
    ['no address anywhere', ['--template', 'error-rate.yaml', '--arg', 'service=api'], 'metric "error-rate" has no prometheus.address; pass --prometheus URL or set PROMETHEUS_URL'],
  ];

  it.each(cases)('%s', async (_name, argv, reason) => {
    const { code, stderr, stdout } = await analyze(argv);
    expect(code).toBe(4);
    expect(stderr).toContain(reason);
    expect(stdout).toBe('');
  });

  it('an invalid template', async () => {
    const file = await templateFile('dd', 'name: dd\nprovider:\n  datadog: {query: "avg:errors"}');
    const { code, stderr } = await analyze(['--template', file, '--prometheus', PROM]);
    expect(code).toBe(4);
    expect(stderr).toContain('template "dd", metric "dd", field spec.metrics[0].provider.datadog: provider "datadog" is not supported; supported providers: prometheus, web');
  });
});
