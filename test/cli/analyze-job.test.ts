import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { analyzeCommand, EXIT_CODES } from '../../src/cli/analyze.js';
import { FakeClock } from '../analysis/support.js';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes.js';
import { runCommand } from './support.js';

let kube: FakeKubernetes;
let scratch = '';

beforeAll(async () => {
  kube = await startFakeKubernetes();
  scratch = await mkdtemp(path.join(tmpdir(), 'opsbox-analyze-job-'));
  await writeFile(
    path.join(scratch, 'smoke.yaml'),
    `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: smoke}
spec:
  metrics:
    - name: smoke-test
      provider:
        job:
          spec:
            template:
              spec:
                restartPolicy: Never
                containers: [{name: smoke, image: curlimages/curl:8.11.0}]
`,
  );
});

afterAll(async () => {
  await kube.close();
  await rm(scratch, { recursive: true, force: true });
});

function analyze(env: Record<string, string>) {
  return runCommand(analyzeCommand, ['--template', 'smoke.yaml'], { env, cwd: scratch, clock: new FakeClock(), signal: new AbortController().signal });
}

describe('opsbox analyze runs job metrics', () => {
  it('creates the Job in OPSBOX_JOB_NAMESPACE through KUBECONFIG and passes when it completes', async () => {
    kube.finishJobsAs('Complete');
    const run = await analyze({ KUBECONFIG: kube.kubeconfig, OPSBOX_JOB_NAMESPACE: 'canary-jobs' });
    expect(run.code).toBe(EXIT_CODES.Successful);
    expect(kube.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual(['/apis/batch/v1/namespaces/canary-jobs/jobs']);
  });

  it('fails with what to set when there is no namespace for Jobs', async () => {
    const run = await analyze({ KUBECONFIG: kube.kubeconfig });
    expect(run.code).toBe(EXIT_CODES.Error);
    expect(run.stdout).toContain('OPSBOX_JOB_NAMESPACE is not set');
  });
});
