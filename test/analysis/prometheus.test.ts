import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from '@jest/globals';
import nock from 'nock';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MeasurementError } from '../../src/analysis/errors.js';
import { createAllowlist } from '../../src/analysis/allowlist.js';
import { PrometheusProvider, prometheusProviderFromEnv } from '../../src/analysis/prometheus.js';
import type { ResolvedMetric } from '../../src/analysis/types.js';
import { makeMetric } from './support.js';
import { describeWithTool } from '../support/required-tool.js';

const PROM = 'http://prom.test:9090';

function provider(options: Partial<ConstructorParameters<typeof PrometheusProvider>[0]> = {}): PrometheusProvider {
  return new PrometheusProvider({ defaultAddress: PROM, allowlist: createAllowlist([PROM]), ...options });
}

function success(resultType: string, result: unknown) {
  return { status: 'success', data: { resultType, result } };
}

async function failure(promise: Promise<unknown>): Promise<MeasurementError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MeasurementError);
    return error as MeasurementError;
  }
  throw new Error('expected a MeasurementError');
}

beforeEach(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('result conversion', () => {
  const measure = async (body: unknown) => {
    nock(PROM).get('/api/v1/query').query(true).reply(200, body as nock.Body);
    return provider().measure(makeMetric());
  };

  it('scalar → number', async () => {
    expect((await measure(success('scalar', [1700000000, '0.25']))).value).toBe(0.25);
  });

  it('vector → array of numbers', async () => {
    const body = success('vector', [
      { metric: { code: '500' }, value: [1700000000, '0.01'] },
      { metric: { code: '502' }, value: [1700000000, '0.02'] },
    ]);
    const result = await measure(body);
    expect(result.value).toEqual([0.01, 0.02]);
    expect(JSON.parse(result.raw)).toEqual(body);
  });

  it('matrix → one flat array of all values', async () => {
    const body = success('matrix', [
      { metric: { pod: 'a' }, values: [[1, '1'], [2, '2']] },
      { metric: { pod: 'b' }, values: [[1, '3']] },
    ]);
    expect((await measure(body)).value).toEqual([1, 2, 3]);
  });

  it('empty → []', async () => {
    expect((await measure(success('vector', []))).value).toEqual([]);
    expect((await measure(success('matrix', []))).value).toEqual([]);
  });

  it('keeps NaN, +Inf and -Inf', async () => {
    const body = success('vector', [
      { metric: {}, value: [1, 'NaN'] },
      { metric: {}, value: [1, '+Inf'] },
      { metric: {}, value: [1, '-Inf'] },
    ]);
    const value = (await measure(body)).value as number[];
    expect(value[0]).toBeNaN();
    expect(value.slice(1)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });

  it('rejects an unsupported result type or native histograms', async () => {
    nock(PROM).get('/api/v1/query').query(true).reply(200, success('streams', []));
    const error = await failure(provider().measure(makeMetric()));
    expect(error.code).toBe('unsupported-result');
    expect(error.message).toContain('result type "streams", which is not supported');
    nock(PROM).get('/api/v1/query').query(true).reply(200, success('vector', [{ metric: {}, histogram: [1, { count: '1' }] }]));
    expect((await failure(provider().measure(makeMetric()))).code).toBe('unsupported-result');
  });

  it('a string result is an Error measurement, as in Argo: metric type not supported', async () => {
    nock(PROM).get('/api/v1/query').query(true).reply(200, success('string', [1, 'healthy']));
    const error = await failure(provider().measure(makeMetric()));
    expect(error.code).toBe('unsupported-result');
    expect(error.message).toContain('Prometheus metric type not supported: the query returned a string ("healthy")');
  });
});

describe('requests', () => {
  it('sends an instant query with GET to the metric address, keeping its path', async () => {
    const scope = nock('http://prom.test:9090')
      .get('/tenant-a/api/v1/query')
      .query({ query: 'sum(rate(x[1m]))' })
      .matchHeader('accept', 'application/json')
      .reply(200, success('vector', [{ metric: {}, value: [1, '3'] }]));
    const metric = makeMetric({ prometheus: { address: 'http://prom.test:9090/tenant-a/', query: 'sum(rate(x[1m]))' } });
    expect((await provider().measure(metric)).value).toEqual([3]);
    scope.done();
  });

  it('sends a long query with POST as a form', async () => {
    const query = `sum(rate(x{a=~"${'y|'.repeat(1500)}z"}[1m]))`;
    const scope = nock(PROM)
      .post('/api/v1/query', (body) => body.query === query)
      .matchHeader('content-type', 'application/x-www-form-urlencoded')
      .reply(200, success('scalar', [1, '1']));
    expect((await provider().measure(makeMetric({ prometheus: { query } }))).value).toBe(1);
    scope.done();
  });

  it('sends a rangeQuery to /api/v1/query_range with evaluated start and end', async () => {
    const now = Date.parse('2025-01-01T12:00:00Z');
    const scope = nock(PROM)
      .get('/api/v1/query_range')
      .query({ query: 'up', start: String((now - 300_000) / 1000) + '.000', end: String(now / 1000) + '.000', step: '60' })
      .reply(200, success('matrix', [{ metric: {}, values: [[1, '1'], [2, '0']] }]));
    const metric = makeMetric({ prometheus: { rangeQuery: { start: 'now() - duration("5m")', end: 'now()', step: '1m' } } });
    expect((await provider({ now: () => now }).measure(metric)).value).toEqual([1, 0]);
    scope.done();
  });

  it('sends headers and basic auth from the template', async () => {
    const scope = nock(PROM)
      .get('/api/v1/query')
      .query(true)
      .matchHeader('x-scope-orgid', 'team-a')
      .matchHeader('authorization', `Basic ${Buffer.from('reader:s3cret').toString('base64')}`)
      .reply(200, success('scalar', [1, '1']));
    const metric = makeMetric({ prometheus: { headers: [{ key: 'X-Scope-OrgID', value: 'team-a' }], basicAuth: { username: 'reader', password: 's3cret' } } });
    await provider({ bearerToken: 'operator-token' }).measure(metric);
    scope.done();
  });

  it('sends one Authorization when a template sets both a header and basic auth', async () => {
    const basic = `Basic ${Buffer.from('reader:s3cret').toString('base64')}`;
    const scope = nock(PROM).get('/api/v1/query').query(true).matchHeader('authorization', basic).reply(200, success('scalar', [1, '1']));
    const metric = makeMetric({ prometheus: { headers: [{ key: 'authorization', value: 'Bearer from-header' }], basicAuth: { username: 'reader', password: 's3cret' } } });
    await provider().measure(metric);
    scope.done();
  });

  it('sends the operator bearer token when the template sets no Authorization', async () => {
    const scope = nock(PROM).get('/api/v1/query').query(true).matchHeader('authorization', 'Bearer operator-token').reply(200, success('scalar', [1, '1']));
    await prometheusProviderFromEnv({ PROMETHEUS_URL: PROM, PROMETHEUS_BEARER_TOKEN: 'operator-token' }).measure(makeMetric());
    scope.done();
  });

  it('turns credentials in the address into basic auth', async () => {
    const scope = nock(PROM)
      .get('/api/v1/query')
      .query(true)
      .matchHeader('authorization', `Basic ${Buffer.from('u:p w').toString('base64')}`)
      .reply(200, success('scalar', [1, '1']));
    await provider().measure(makeMetric({ prometheus: { address: 'http://u:p%20w@prom.test:9090' } }));
    scope.done();
  });
});

describe('allowlist', () => {
  it('refuses an address that is not allowed, without a request, and says how to allow it', async () => {
    const metric = makeMetric({ prometheus: { address: 'http://prom.test.evil.example:9090' } });
    const error = await failure(provider().measure(metric));
    expect(error.code).toBe('address-not-allowed');
    expect(error.message).toBe(
      'Prometheus address http://prom.test.evil.example:9090 is not allowed (allowed prefixes: http://prom.test:9090). An operator can allow it by adding its URL to OPSBOX_PROMETHEUS_ALLOWLIST (comma-separated URL prefixes)',
    );
    // Not even a URL: refused as well.
    expect((await failure(provider().measure(makeMetric({ prometheus: { address: 'http://prom.test:9090.evil' } })))).code).toBe('address-invalid');
  });

  it('checks the default address too', async () => {
    const error = await failure(new PrometheusProvider({ defaultAddress: 'http://other:9090', allowlist: createAllowlist([PROM]) }).measure(makeMetric()));
    expect(error.code).toBe('address-not-allowed');
  });

  it('reports a metric without any address', async () => {
    const error = await failure(new PrometheusProvider({ allowlist: createAllowlist([PROM]) }).measure(makeMetric()));
    expect(error.code).toBe('address-missing');
    expect(error.message).toContain('set prometheus.address in .github/opsbox.yml, PROMETHEUS_URL, or --prometheus');
  });

  it('reports an address that is not a URL', async () => {
    const error = await failure(provider().measure(makeMetric({ prometheus: { address: 'prometheus:9090/x y' } })));
    expect(error.code).toBe('address-invalid');
  });
});

describe('failures', () => {
  const secretMetric = (): ResolvedMetric =>
    makeMetric({ prometheus: { headers: [{ key: 'X-Api-Key', value: 'header-secret' }], basicAuth: { username: 'u', password: 'basic-secret' } } });
  const expectNoSecrets = (message: string) => {
    for (const secret of ['header-secret', 'basic-secret', 'operator-token']) expect(message).not.toContain(secret);
  };

  it('connection refused', async () => {
    const port = await closedPort();
    nock.enableNetConnect('127.0.0.1');
    const address = `http://127.0.0.1:${port}`;
    const p = new PrometheusProvider({ defaultAddress: address, allowlist: createAllowlist([address]), bearerToken: 'operator-token' });
    const error = await failure(p.measure(secretMetric()));
    expect(error.code).toBe('connection');
    expect(error.message).toBe(`cannot connect to Prometheus at ${address}: connection refused (ECONNREFUSED)`);
    expectNoSecrets(error.message);
  });

  it('a host that does not resolve', async () => {
    nock(PROM).get('/api/v1/query').query(true).replyWithError(Object.assign(new Error('getaddrinfo ENOTFOUND prom.test'), { code: 'ENOTFOUND' }));
    const error = await failure(provider().measure(makeMetric()));
    expect(error.code).toBe('connection');
    expect(error.message).toContain('cannot connect to Prometheus at http://prom.test:9090');
  });

  it('timeout', async () => {
    nock(PROM).get('/api/v1/query').query(true).delay(500).reply(200, success('scalar', [1, '1']));
    const error = await failure(provider().measure(makeMetric({ prometheus: { timeoutMs: 50 } })));
    expect(error.code).toBe('timeout');
    expect(error.message).toBe(
      "Prometheus at http://prom.test:9090 did not answer within 50ms (timeout); raise provider.prometheus.timeout or check the query's cost",
    );
  });

  it('cancellation by the caller', async () => {
    nock(PROM).get('/api/v1/query').query(true).delay(500).reply(200, success('scalar', [1, '1']));
    const controller = new AbortController();
    const pending = provider().measure(makeMetric(), controller.signal);
    controller.abort();
    expect((await failure(pending)).code).toBe('aborted');
  });

  it('HTTP status with Prometheus error text', async () => {
    nock(PROM)
      .get('/api/v1/query')
      .query(true)
      .reply(400, { status: 'error', errorType: 'bad_data', error: '1:5: parse error: unexpected end of input' });
    const error = await failure(provider({ bearerToken: 'operator-token' }).measure(secretMetric()));
    expect(error.code).toBe('http-status');
    expect(error.message).toBe('Prometheus at http://prom.test:9090 returned HTTP 400 Bad Request: bad_data: 1:5: parse error: unexpected end of input');
    expectNoSecrets(error.message);
  });

  it('HTTP status with a body that is not Prometheus JSON', async () => {
    nock(PROM).get('/api/v1/query').query(true).reply(502, '<html><body>Bad gateway</body></html>', { 'Content-Type': 'text/html' });
    const error = await failure(provider().measure(makeMetric()));
    expect(error.message).toBe('Prometheus at http://prom.test:9090 returned HTTP 502 Bad Gateway: "<html><body>Bad gateway</body></html>"');
  });

  it('a redirect is not followed', async () => {
    nock(PROM).get('/api/v1/query').query(true).reply(302, '', { Location: 'http://elsewhere.example/' });
    const error = await failure(provider().measure(makeMetric()));
    expect(error.code).toBe('http-status');
    expect(error.message).toContain('HTTP 302');
    expect(error.message).toContain('redirects are not followed');
  });

  it('status "error" in a 200 answer', async () => {
    nock(PROM).get('/api/v1/query').query(true).reply(200, { status: 'error', errorType: 'execution', error: 'query timed out in expression evaluation' });
    const error = await failure(provider().measure(makeMetric()));
    expect(error.code).toBe('prometheus-error');
    expect(error.message).toBe('Prometheus query failed at http://prom.test:9090: execution: query timed out in expression evaluation');
  });

  it('a body that is not JSON', async () => {
    nock(PROM).get('/api/v1/query').query(true).reply(200, 'Grafana login page', { 'Content-Type': 'text/html; charset=utf-8' });
    const error = await failure(provider().measure(makeMetric()));
    expect(error.code).toBe('bad-response');
    expect(error.message).toBe(
      'Prometheus at http://prom.test:9090 answered with a body that is not JSON (content-type text/html; charset=utf-8): "Grafana login page"; is the address a Prometheus server?',
    );
  });

  it('JSON that is not a Prometheus answer', async () => {
    nock(PROM).get('/api/v1/query').query(true).reply(200, { hello: 'world' });
    expect((await failure(provider().measure(makeMetric()))).message).toContain('answered without status "success"');
    nock(PROM).get('/api/v1/query').query(true).reply(200, { status: 'success', data: { resultType: 'vector', result: [{ value: [1, 'abc'] }] } });
    expect((await failure(provider().measure(makeMetric()))).message).toBe('Prometheus response is malformed: sample value "abc" is not a number');
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const openssl = {
  available: spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0,
  missing: 'openssl not found: install the Debian package openssl (it makes the self-signed certificate)',
};

describeWithTool('insecure (self-signed https Prometheus on loopback)', openssl, () => {
  let server: Server | undefined;
  let address = '';
  let certificateDir = '';

  beforeAll(async () => {
    certificateDir = await mkdtemp(path.join(tmpdir(), 'opsbox-tls-'));
    const key = path.join(certificateDir, 'key.pem');
    const cert = path.join(certificateDir, 'cert.pem');
    const generated = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], {
      stdio: 'ignore',
      timeout: 20_000,
    });
    if (generated.status !== 0) throw new Error('openssl could not create a self-signed certificate');
    server = createHttpsServer({ key: await readFile(key), cert: await readFile(cert) }, (_request, response) => {
      response.setHeader('Content-Type', 'application/json');
      response.end(JSON.stringify(success('scalar', [1, '42'])));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    address = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    if (certificateDir) await rm(certificateDir, { recursive: true, force: true });
  });

  it('refuses a self-signed certificate unless insecure is set', async () => {
    nock.enableNetConnect('127.0.0.1');
    const p = new PrometheusProvider({ defaultAddress: address, allowlist: createAllowlist([address]) });
    const error = await failure(p.measure(makeMetric()));
    expect(error.code).toBe('connection');
    expect(error.message).toMatch(/TLS certificate problem \(\w+\); fix the certificate or set insecure: true/);
    expect((await p.measure(makeMetric({ prometheus: { insecure: true } }))).value).toBe(42);
  });
});
