/**
 * The production entrypoint: `node dist/src/server.js` as `npm start` and the container run it,
 * compiled JavaScript without tsx. CI builds before the tests (`npm run build`); elsewhere the test
 * builds when dist/ has no server yet.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github/index.js';
import { freePort } from '../support/free-port.js';
import { inCi } from '../support/required-tool.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVER = path.join(ROOT, 'dist/src/server.js');

async function compiledServer(): Promise<string> {
  if (existsSync(SERVER)) return SERVER;
  if (inCi()) throw new Error(`${SERVER} is missing: CI runs "npm run build" before the tests`);
  await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT, timeout: 240_000 });
  return SERVER;
}

describe('the compiled server', () => {
  let github: FakeGitHub | undefined;
  let child: ChildProcess | undefined;
  let dataDir: string | undefined;

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await github?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('starts without tsx, answers its probes and /metrics, and exits 0 on SIGTERM', async () => {
    const server = await compiledServer();
    github = await startFakeGitHub();
    dataDir = await mkdtemp(path.join(tmpdir(), 'opsbox-compiled-'));
    const [port, metricsPort] = [await freePort(), await freePort()];
    let output = '';
    child = spawn(process.execPath, [server], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        APP_ID: String(github.app.id),
        PRIVATE_KEY: github.appPrivateKey(),
        WEBHOOK_SECRET: 'compiled-secret',
        GHE_HOST: github.host,
        GHE_PROTOCOL: 'http',
        HOST: '127.0.0.1',
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        OPSBOX_DATA_DIR: dataDir,
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    expect(await statusWhenReady(`http://127.0.0.1:${port}/readyz`, 200)).toBe(200);
    expect(await status(`http://127.0.0.1:${port}/healthz`)).toBe(200);
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(await metrics.text()).toContain('# TYPE opsbox_rollouts_finished_total counter');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('shutdown complete');
  }, 300_000);
});

async function status(url: string): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.text();
    return response.status;
  } catch {
    return 0;
  }
}

async function statusWhenReady(url: string, wanted: number): Promise<number> {
  let last = 0;
  for (let attempt = 0; attempt < 300 && last !== wanted; attempt++) {
    last = await status(url);
    if (last !== wanted) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return last;
}
