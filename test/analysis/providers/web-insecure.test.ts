import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createAllowlist } from '../../../src/analysis/allowlist.js';
import { WebProvider } from '../../../src/analysis/providers/web.js';
import { resolveTemplates } from '../../../src/analysis/resolve.js';
import { takeMeasurement } from '../../../src/analysis/runner.js';
import { parseTemplateText } from '../../../src/analysis/templates.js';

// A self-signed certificate for 127.0.0.1 (see test/fixtures/tls/README.md).
const TLS = path.join('test', 'fixtures', 'tls');

let server: Server;
let base: string;
let served = 0;

beforeAll(async () => {
  server = createServer({ key: readFileSync(path.join(TLS, 'loopback.key')), cert: readFileSync(path.join(TLS, 'loopback.crt')) }, (_req, res) => {
    served++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { ok: true } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function metric(insecure: boolean) {
  const text = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: health
spec:
  metrics:
    - name: health
      successCondition: result == true
      provider:
        web:
          url: ${base}/health
          jsonPath: "{$.data.ok}"
          insecure: ${insecure}
`;
  return resolveTemplates(parseTemplateText(text, 'analysis/health.yaml')).metrics[0];
}

describe('web provider: insecure', () => {
  const provider = () => new WebProvider({ allowlist: createAllowlist([base]) });

  it('refuses a server whose certificate is self-signed, naming why', async () => {
    const before = served;
    const outcome = await takeMeasurement(provider(), metric(false));
    expect(outcome).toMatchObject({ error: expect.stringMatching(/^cannot reach GET https:\/\/127\.0\.0\.1:\d+\/health: self[- ]signed certificate/) });
    expect(served).toBe(before);
  });

  it('measures the same server with insecure: true', async () => {
    const before = served;
    const outcome = await takeMeasurement(provider(), metric(true));
    expect(outcome).toMatchObject({ value: true });
    expect(served).toBe(before + 1);
  });
});
