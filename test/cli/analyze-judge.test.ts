import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { analyzeCommand } from '../../src/cli/analyze.js';
import { FakeClock } from '../analysis/support.js';
import { SeriesProvider, jitter } from '../analysis/judge/support.js';
import { runCommand } from './support.js';

const JUDGE = `
apiVersion: opsbox.dev/v1alpha1
kind: CanaryJudge
metadata: { name: api-judge }
spec:
  args: [{ name: service }]
  interval: 1m
  count: 2
  provider: { prometheus: { address: http://127.0.0.1:9090 } }
  metrics:
    - name: error-rate
      canary: 'errors{service="{{args.service}}",track="canary"}'
      baseline: 'errors{service="{{args.service}}",track="stable"}'
      critical: true
    - name: latency-p95
      canary: 'latency{track="canary"}'
      baseline: 'latency{track="stable"}'
      test: tail
      direction: increase
`;

let scratch = '';
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'opsbox-judge-'));
  await writeFile(path.join(scratch, 'judge.yaml'), JUDGE);
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const latency = (at: number) => 0.2 + 0.05 * jitter(at, 3);

async function analyze(canaryErrors: (at: number) => number, argv: string[] = []) {
  const provider = new SeriesProvider({
    'errors{service="api",track="canary"}': canaryErrors,
    'errors{service="api",track="stable"}': (at) => 0.004 + 0.001 * jitter(at, 1),
    'latency{track="canary"}': latency,
    'latency{track="stable"}': latency,
  });
  return runCommand(analyzeCommand, ['--template', 'judge.yaml', '--arg', 'service=api', ...argv], {
    env: {},
    cwd: scratch,
    clock: new FakeClock(),
    signal: new AbortController().signal,
    provider,
  });
}

describe('opsbox analyze with a CanaryJudge', () => {
  it('prints one JSON entry per judged metric with the comparison as value, and the score', async () => {
    const run = await analyze((at) => 0.004 + 0.001 * jitter(at, 2), ['--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ phase: 'Successful', score: 100, judge: 'api-judge' });
    expect(report.metrics.map((m: { name: string }) => m.name)).toEqual(['error-rate', 'latency-p95']);
    const measurement = report.metrics[0].measurements[0];
    expect(measurement.phase).toBe('Successful');
    expect(measurement.value).toEqual({
      canary: { n: 21, median: expect.any(Number) },
      baseline: { n: 21, median: expect.any(Number) },
      effect: expect.any(Number),
      relativeEffect: expect.any(Number),
      pValue: expect.any(Number),
      classification: 'Pass',
    });
    expect(report.metrics[0].measurements).toHaveLength(2);
  });

  it('fails with exit code 1 when the canary error rate doubles, and says why', async () => {
    const run = await analyze((at) => 0.008 + 0.001 * jitter(at, 2));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/error-rate {2}canary 0\.008\d* \(n=21\) vs baseline 0\.004\d* \(n=21\)/);
    expect(run.stdout).toMatch(/High/);
    expect(run.stdout).toMatch(/Result: Failed — judgement 1 of 2 failed: critical metric error-rate failed/);
  });

  it('reports a missing argument as a usage error', async () => {
    const run = await runCommand(analyzeCommand, ['--template', 'judge.yaml'], { env: {}, cwd: scratch, clock: new FakeClock(), signal: new AbortController().signal });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/argument "service" was not supplied/);
  });
});
