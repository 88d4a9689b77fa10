/**
 * `opsbox analyze` as a user runs it, in a child process: Ctrl-C (SIGINT) before a verdict must not
 * look like a pass.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin/opsbox.js');

let server: Server;
let address = '';
let scratch = '';

beforeAll(async () => {
  server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '0.01'] }] } }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  scratch = await mkdtemp(path.join(tmpdir(), 'opsbox-interrupt-'));
});

afterAll(async () => {
  server.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('opsbox analyze stopped with Ctrl-C', () => {
  it('exits 130 with phase Running in --json when stopped before a verdict', async () => {
    const file = path.join(scratch, 'slow.yaml');
    await writeFile(
      file,
      'apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: slow}\nspec:\n  metrics:\n    - name: slow\n      interval: 1h\n      count: 3\n      successCondition: result[0] < 0.05\n      provider: {prometheus: {query: up}}\n',
    );
    const child = spawn(process.execPath, [BIN, 'analyze', '--template', file, '--prometheus', address, '--json'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Wait (bounded) for the first measurement, then press Ctrl-C while the run sleeps.
    const measured = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 30_000);
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        if (/slow {2}\[0\.01\] {2}Successful/.test(stderr)) {
          clearTimeout(timer);
          resolve(true);
        }
      });
    });
    expect(await measured).toBe(true);
    child.kill('SIGINT');
    const code = await exited;
    expect({ code, stderr }).toMatchObject({ code: 130 });
    const report = JSON.parse(stdout);
    expect(report.phase).toBe('Running');
    expect(report.metrics[0]).toMatchObject({ name: 'slow', phase: 'Running', measurements: [{ phase: 'Successful', value: '[0.01]' }] });
  }, 60_000);
});
