import { afterEach, describe, expect, it } from '@jest/globals';
import { AppHarness, bumpApi, fixtureFiles } from '../support/app-harness.js';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes.js';

const CANARY = 'apps/api/canary.yaml';
const NAMESPACE = 'canary-jobs';

const SMOKE = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: smoke
spec:
  metrics:
    - name: smoke-test
      provider:
        job:
          spec:
            backoffLimit: 0
            template:
              spec:
                restartPolicy: Never
                containers: [{name: smoke, image: curlimages/curl:8.11.0, args: [--fail, "http://api-canary/healthz"]}]
`;

describe('a rollout judged by a job metric, through the Kubernetes API', () => {
  let h: AppHarness;
  let kube: FakeKubernetes;

  afterEach(async () => {
    await h.close();
    await kube.close();
  });

  async function start(env: (kube: FakeKubernetes) => Record<string, string>) {
    kube = await startFakeKubernetes();
    const files = await fixtureFiles();
    files['analysis/smoke.yaml'] = SMOKE;
    files['.github/opsbox.yml'] = files['.github/opsbox.yml'].replace(
      '      - analysis: { templates: [{ templateName: error-rate }], args: [{ name: service, value: api }] }\n      - setWeight: 50',
      '      - analysis: { templates: [{ templateName: smoke }] }\n      - setWeight: 50',
    );
    h = await AppHarness.start({ files, env: env(kube) });
  }

  const bump = () => h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), 'v2') }, { title: 'Bump api to v2' });

  it('creates a Job in OPSBOX_JOB_NAMESPACE at the analysis step and goes on when it completes', async () => {
    await start((k) => ({ KUBECONFIG: k.kubeconfig, OPSBOX_JOB_NAMESPACE: NAMESPACE }));
    kube.finishJobsAs('Complete');
    h.prometheus.answer([0.01]);
    await bump();
    await h.advanceUntil(async () => (await h.rollouts())[0].stepIndex >= 2, 30_000);
    const [rollout] = await h.rollouts();
    const created = kube.requests.filter((r) => r.method === 'POST');
    expect(created.map((r) => r.path)).toEqual([`/apis/batch/v1/namespaces/${NAMESPACE}/jobs`]);
    const job = created[0].body as { metadata: { name: string; annotations: Record<string, string>; ownerReferences?: unknown }; spec: { ttlSecondsAfterFinished: number } };
    expect(job.metadata.name).toMatch(/^api-smoke-test-[0-9a-f]{10}$/);
    expect(job.metadata.annotations).toMatchObject({ 'opsbox.dev/rollout': rollout.id, 'opsbox.dev/metric': 'smoke-test' });
    expect(job.metadata.ownerReferences).toBeUndefined();
    expect(job.spec.ttlSecondsAfterFinished).toBe(3600);
    expect(rollout.finishedRuns['step:1']?.phase).toBe('Successful');
  });

  it('rolls back when the Job fails', async () => {
    await start((k) => ({ KUBECONFIG: k.kubeconfig, OPSBOX_JOB_NAMESPACE: NAMESPACE }));
    kube.finishJobsAs('Failed');
    h.prometheus.answer([0.01]);
    await bump();
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Aborted', 30_000);
    expect((await h.rollouts())[0].failure?.analysis).toBe('step:1');
  });

  it('an /abort while the measurement waits for its Job deletes the Job (propagationPolicy Background) and rolls back at once', async () => {
    await start((k) => ({ KUBECONFIG: k.kubeconfig, OPSBOX_JOB_NAMESPACE: NAMESPACE }));
    h.github.setPermission('acme/manifests', 'alice', 'write');
    h.prometheus.answer([0.01]);
    const pr = await bump();
    // The analysis step's measurement waits for a Job nobody finishes; the clock moves meanwhile.
    const advancing = h.advanceUntil(async () => kube.requests.some((r) => r.method === 'POST'), 30_000);
    for (let i = 0; i < 200 && !kube.requests.some((r) => r.method === 'GET' && r.path.includes('/jobs/')); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const created = kube.requests.find((r) => r.method === 'POST')!;
    const name = (created.body as { metadata: { name: string } }).metadata.name;
    await h.comment(pr.number, '/abort');
    await advancing;
    const deletion = kube.requests.find((r) => r.method === 'DELETE');
    expect(deletion?.path).toBe(`/apis/batch/v1/namespaces/${NAMESPACE}/jobs/${name}`);
    expect(`${deletion?.query} ${JSON.stringify(deletion?.body ?? {})}`).toContain('Background');
    expect(kube.job(NAMESPACE, name)).toBeUndefined();
    expect((await h.rollouts())[0]).toMatchObject({ phase: 'Aborted', failure: { reason: 'aborted by @alice' } });
  });

  it('refuses the template at the start without OPSBOX_JOB_NAMESPACE, saying what to set', async () => {
    await start((k) => ({ KUBECONFIG: k.kubeconfig }));
    const pr = await bump();
    expect(await h.rollouts()).toEqual([]);
    const comments = h.github.comments('acme/manifests', pr.number).map((c) => String(c.body));
    expect(comments.join('\n')).toContain('OPSBOX_JOB_NAMESPACE is not set');
    expect(kube.requests).toEqual([]);
  });
});
