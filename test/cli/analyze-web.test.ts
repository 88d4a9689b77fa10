import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { analyzeCommand } from '../../src/cli/analyze.js';
import { FakeClock } from '../analysis/support.js';
import { runCommand } from './support.js';

const TOKEN = 'tok-5e8b1d20c4';
let server: Server;
let base = '';
let scratch = '';
const keys: (string | undefined)[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    keys.push(req.headers['x-api-key'] as string | undefined);
    const ok = req.headers['x-api-key'] === TOKEN;
    res.writeHead(ok ? 200 : 403, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ok ? { checks: { healthy: true } } : { error: `key ${String(req.headers['x-api-key'])} rejected` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  scratch = await mkdtemp(path.join(tmpdir(), 'opsbox-analyze-web-'));
  await writeFile(
    path.join(scratch, 'health.yaml'),
    `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: health}
spec:
  args:
    - name: token
      valueFrom:
        secretKeyRef: {name: status-api, key: token}
  metrics:
    - name: healthy
      successCondition: result == true
      provider:
        web:
          url: ${base}/status
          headers: [{key: X-Api-Key, value: "{{args.token}}"}]
          jsonPath: "{$.checks.healthy}"
`,
  );
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(scratch, { recursive: true, force: true });
});

function analyze(env: Record<string, string>, extra: string[] = []) {
  return runCommand(analyzeCommand, ['--template', 'health.yaml', ...extra], { env, cwd: scratch, clock: new FakeClock(), signal: new AbortController().signal });
}

describe('opsbox analyze runs web metrics', () => {
  it('passes with the secret read from OPSBOX_SECRET_STATUS_API_TOKEN, which it never prints', async () => {
    const run = await analyze({ OPSBOX_WEB_ALLOWLIST: base, OPSBOX_SECRET_STATUS_API_TOKEN: TOKEN }, ['--json']);
    expect(run.code).toBe(0);
    expect(keys.at(-1)).toBe(TOKEN);
    const report = JSON.parse(run.stdout);
    expect(report.phase).toBe('Successful');
    expect(report.metrics[0]).toMatchObject({ name: 'healthy', query: `GET ${base}/status {$.checks.healthy}`, address: `${base}/status` });
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
  });

  it('shows the refusal without the key the server echoed', async () => {
    const wrong = 'wrong-key-77aa';
    const run = await analyze({ OPSBOX_WEB_ALLOWLIST: base, OPSBOX_SECRET_STATUS_API_TOKEN: wrong }, ['--once']);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain(`GET ${base}/status returned HTTP 403 Forbidden: "{\\"error\\":\\"key [redacted] rejected\\"}"`);
    expect(run.stdout + run.stderr).not.toContain(wrong);
  });

  it('refuses the URL unless OPSBOX_WEB_ALLOWLIST allows it', async () => {
    const before = keys.length;
    const run = await analyze({ OPSBOX_SECRET_STATUS_API_TOKEN: TOKEN }, ['--once']);
    expect(run.stdout).toContain('is not allowed (allowed prefixes: none). An operator can allow it by adding its URL to OPSBOX_WEB_ALLOWLIST');
    expect(keys.length).toBe(before);
  });

  it('names the variable to set when the secret is missing', async () => {
    const run = await analyze({ OPSBOX_WEB_ALLOWLIST: base });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('OPSBOX_SECRET_STATUS_API_TOKEN is not set');
  });
});
