import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAllowlist } from '../../../src/analysis/allowlist.js';
import { parseTemplateText } from '../../../src/analysis/templates.js';
import { resolveTemplates } from '../../../src/analysis/resolve.js';
import { createMetricProvider } from '../../../src/analysis/providers/registry.js';
import { WebProvider } from '../../../src/analysis/providers/web.js';
import { runAnalysis, takeMeasurement } from '../../../src/analysis/runner.js';
import type { ResolvedMetric } from '../../../src/analysis/types.js';
import { AnalysisTemplateError } from '../../../src/analysis/errors.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** Routes of the loopback server: path → how it answers. */
const routes: Record<string, (req: IncomingMessage, res: ServerResponse, body: string) => void> = {
  '/ok': (_req, res) => json(res, 200, { data: { ok: true, rate: 0.02, items: [{ v: 3 }], list: [1, 2] } }),
  '/echo': (req, res, body) => json(res, 200, { method: req.method, body, contentType: req.headers['content-type'] ?? null }),
  '/down': (_req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end(`maintenance ${'x'.repeat(400)}`);
  },
  '/leaky': (req, res) => {
    res.writeHead(401, { 'content-type': 'text/plain' });
    res.end(`token ${req.headers['x-api-key']} refused`);
  },
  '/html': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html>hello</html>');
  },
  '/slow': () => {
    // Never answers: the metric's timeout ends the request.
  },
};

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

let server: Server;
let base: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      // `/ok/anything` is answered by `/ok`.
      const route = routes[`/${(req.url ?? '').split('?')[0].split('/')[1]}`];
      if (route) route(req, res, body);
      else json(res, 404, { error: 'no such route' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const SECRET_HEADER = 'key-3f9a77c2e1';

function webTemplate(provider: string, extra = '', args = ''): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: health
spec:
${args}  metrics:
    - name: health
${extra}      provider:
        web:
${provider
  .split('\n')
  .map((line) => `          ${line}`)
  .join('\n')}
`;
}

function resolveWeb(provider: string, options: { extra?: string; args?: string; env?: Record<string, string> } = {}): ResolvedMetric {
  const parsed = parseTemplateText(webTemplate(provider, options.extra, options.args), 'analysis/health.yaml');
  return resolveTemplates(parsed, options.env ? { env: options.env } : {}).metrics[0];
}

const allowed = () => new WebProvider({ allowlist: createAllowlist([base]) });

describe('web provider: templates', () => {
  it('resolves Argo fields with their defaults', () => {
    const metric = resolveWeb(`url: ${base}/ok\njsonPath: "{$.data.ok}"`);
    expect(metric.web).toEqual({ url: `${base}/ok`, method: 'GET', headers: [], jsonBody: false, timeoutMs: 10_000, jsonPath: '{$.data.ok}', insecure: false });
  });

  it('refuses a body with GET, body beside jsonBody, an unsupported jsonPath and a bad URL, naming the field', () => {
    const error = (provider: string) => {
      try {
        resolveWeb(provider);
      } catch (thrown) {
        expect(thrown).toBeInstanceOf(AnalysisTemplateError);
        return (thrown as Error).message;
      }
      throw new Error('expected the template to be refused');
    };
    expect(error(`url: ${base}/echo\nbody: hi`)).toContain('field spec.metrics[0].provider.web.method: a body needs method POST or PUT');
    expect(error(`url: ${base}/echo\nmethod: POST\nbody: hi\njsonBody: {a: 1}`)).toContain('body and jsonBody are both set; keep one');
    expect(error(`url: ${base}/ok\njsonPath: "{$.items[?(@.v>1)]}"`)).toContain('field spec.metrics[0].provider.web.jsonPath: jsonPath "{$.items[?(@.v>1)]}" is not supported');
    expect(error('url: ftp://example.com/x')).toContain('url must start with http:// or https://');
    expect(error(`url: ${base}/ok\nmethod: DELETE`)).toContain('provider.web.method');
  });
});

describe('web provider: measuring against a loopback server', () => {
  it('takes the value at jsonPath, keeping booleans and numbers for the conditions', async () => {
    const provider = allowed();
    expect((await provider.measure(resolveWeb(`url: ${base}/ok\njsonPath: "{$.data.ok}"`))).value).toBe(true);
    expect((await provider.measure(resolveWeb(`url: ${base}/ok\njsonPath: "{.data.rate}"`))).value).toBe(0.02);
    expect((await provider.measure(resolveWeb(`url: ${base}/ok\njsonPath: "{$.data.items[0].v}"`))).value).toBe(3);
    expect((await provider.measure(resolveWeb(`url: ${base}/ok\njsonPath: "{$.data.list}"`))).value).toEqual([1, 2]);
    expect((await provider.measure(resolveWeb(`url: ${base}/ok`))).value).toBe('{"data":{"ok":true,"rate":0.02,"items":[{"v":3}],"list":[1,2]}}');
  });

  it('judges the value with the metric conditions', async () => {
    const metric = resolveWeb(`url: ${base}/ok\njsonPath: "{$.data.ok}"`, { extra: '      successCondition: result == true\n' });
    const state = await runAnalysis([metric], { provider: allowed() });
    expect(state.phase).toBe('Successful');
    expect(state.results[0].measurements[0].value).toBe('true');
  });

  it('sends the method, headers and a JSON body with its content type', async () => {
    const metric = resolveWeb(`url: ${base}/echo\nmethod: PUT\nheaders: [{key: X-Api-Key, value: ${SECRET_HEADER}}]\njsonBody: {check: deploy}`);
    const { value } = await allowed().measure(metric);
    expect(JSON.parse(value as string)).toEqual({ method: 'PUT', body: '{"check":"deploy"}', contentType: 'application/json' });
    expect(seen.at(-1)?.headers['x-api-key']).toBe(SECRET_HEADER);
  });

  it('makes a non-2xx status an Error with the status and the first 200 bytes of the body', async () => {
    const outcome = await takeMeasurement(allowed(), resolveWeb(`url: ${base}/down`));
    expect('error' in outcome && outcome.error).toBe(`GET ${base}/down returned HTTP 503 Service Unavailable: "maintenance ${'x'.repeat(188)}…"`);
  });

  it('makes a body that is not JSON, and a jsonPath that matches nothing, an Error', async () => {
    const html = await takeMeasurement(allowed(), resolveWeb(`url: ${base}/html`));
    expect('error' in html && html.error).toBe(`GET ${base}/html answered with a body that is not JSON (content-type text/html): "<html>hello</html>"`);
    const miss = await takeMeasurement(allowed(), resolveWeb(`url: ${base}/ok\njsonPath: "{$.data.missing}"`));
    expect('error' in miss && miss.error).toContain('jsonPath {$.data.missing} matches nothing in the answer of GET');
  });

  it('ends a request at timeoutSeconds', async () => {
    const outcome = await takeMeasurement(allowed(), resolveWeb(`url: ${base}/slow\ntimeoutSeconds: 1`));
    expect('error' in outcome && outcome.error).toBe(`GET ${base}/slow did not answer within 1s (timeout); raise provider.web.timeoutSeconds`);
  });

  it('refuses a URL the operator did not allow: OPSBOX_WEB_ALLOWLIST is empty by default', async () => {
    const before = seen.length;
    const denied = await takeMeasurement(createMetricProvider({}), resolveWeb(`url: ${base}/ok`));
    expect('error' in denied && denied.error).toBe(
      `web metric URL ${base}/ok is not allowed (allowed prefixes: none). An operator can allow it by adding its URL to OPSBOX_WEB_ALLOWLIST (comma-separated URL prefixes)`,
    );
    const elsewhere = await takeMeasurement(createMetricProvider({ OPSBOX_WEB_ALLOWLIST: `${base}/other` }), resolveWeb(`url: ${base}/ok`));
    expect('error' in elsewhere && elsewhere.error).toContain('is not allowed');
    expect(seen.length).toBe(before);
    const ok = await takeMeasurement(createMetricProvider({ OPSBOX_WEB_ALLOWLIST: base }), resolveWeb(`url: ${base}/ok\njsonPath: "{$.data.ok}"`));
    expect(ok).toMatchObject({ value: true });
  });

  it('never shows a header value, even when the server echoes it', async () => {
    const outcome = await takeMeasurement(allowed(), resolveWeb(`url: ${base}/leaky\nheaders: [{key: X-Api-Key, value: ${SECRET_HEADER}}]`));
    expect('error' in outcome && outcome.error).toBe(`GET ${base}/leaky returned HTTP 401 Unauthorized: "token [redacted] refused"`);
  });
});

describe('web provider: secret arguments', () => {
  const args = '  args:\n    - name: token\n      valueFrom:\n        secretKeyRef: {name: status-api, key: api.token}\n';
  const provider = () => `url: ${base}/leaky\nheaders: [{key: X-Api-Key, value: "{{args.token}}"}]`;

  it('reads OPSBOX_SECRET_<NAME>_<KEY> and keeps the value out of errors and the stored run', async () => {
    const secret = 'sek-7d1c0b55aa';
    const metric = resolveWeb(provider(), { args, env: { OPSBOX_SECRET_STATUS_API_API_TOKEN: secret } });
    expect(metric.web?.headers[0].value).toBe(secret);
    // One measurement: the Error ends the run at once instead of being retried.
    const state = await runAnalysis([metric], { provider: allowed(), once: true });
    expect(seen.at(-1)?.headers['x-api-key']).toBe(secret);
    const stored = JSON.stringify(state);
    expect(stored).not.toContain(secret);
    expect(stored).toContain('token [redacted] refused');
  });

  it('redacts a secret argument used in the URL from the evidence', async () => {
    const secret = 'pathsecret-91';
    const metric = resolveWeb(`url: ${base}/ok/{{args.token}}`, { args, env: { OPSBOX_SECRET_STATUS_API_API_TOKEN: secret } });
    const state = await runAnalysis([metric], { provider: allowed() });
    expect(state.metrics[0]).toMatchObject({ provider: 'web', query: `GET ${base}/ok/[redacted]`, address: `${base}/ok/[redacted]` });
    expect(JSON.stringify(state)).not.toContain(secret);
  });

  it('names the variable to set when the secret is missing', () => {
    expect(() => resolveWeb(provider(), { args, env: {} })).toThrow(
      'argument "token" reads key "api.token" of Secret "status-api" (valueFrom.secretKeyRef), but OPSBOX_SECRET_STATUS_API_API_TOKEN is not set',
    );
  });
});
