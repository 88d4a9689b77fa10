import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { buildJob, JobProvider, jobAccessFor, jobName, type KubernetesJobs } from '../../../src/analysis/providers/job.js';
import { resolveTemplates } from '../../../src/analysis/resolve.js';
import { runAnalysis, takeMeasurement } from '../../../src/analysis/runner.js';
import { parseTemplateText } from '../../../src/analysis/templates.js';
import type { ResolvedMetric } from '../../../src/analysis/types.js';
import { clusterAccessFromEnv } from '../../../src/sync/kubernetes.js';
import { startFakeKubernetes, type FakeKubernetes } from '../../support/fake-kubernetes.js';

const NAMESPACE = 'canary-jobs';
const RUN = { rollout: 'acme/manifests#42/api', service: 'api', measurement: 'step:1#7' };
let kube: FakeKubernetes;

beforeAll(async () => {
  kube = await startFakeKubernetes();
});

afterAll(async () => {
  await kube.close();
});

beforeEach(() => {
  kube.requests.length = 0;
});

function jobsApi(): KubernetesJobs {
  const access = clusterAccessFromEnv({ KUBECONFIG: kube.kubeconfig });
  if (!access.configured) throw new Error(access.reason);
  return access.jobs(NAMESPACE);
}

function jobMetric(spec = '', name = 'smoke-test'): ResolvedMetric {
  const text = `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: smoke
spec:
  metrics:
    - name: ${name}
      provider:
        job:
          metadata:
            labels: {team: payments}
            annotations: {note: smoke}
          spec:
            backoffLimit: 0${spec}
            template:
              spec:
                restartPolicy: Never
                containers:
                  - name: smoke
                    image: curlimages/curl:8.11.0
                    args: [--fail, http://api.payments/healthz]
`;
  return resolveTemplates(parseTemplateText(text, 'analysis/smoke.yaml')).metrics[0];
}

/** A provider whose waits between reads are the test's moves: `between` runs instead of sleeping. */
function provider(between: (name: string) => void = () => undefined, pollMs = 1000): JobProvider {
  const name = jobName(RUN, 'smoke-test');
  return new JobProvider({ jobs: jobsApi() }, RUN, { pollMs, sleep: async () => between(name) });
}

describe('job provider: templates', () => {
  it('resolves Argo\'s {metadata, spec} and shows the images as evidence', async () => {
    const metric = jobMetric();
    expect(metric.job?.metadata).toEqual({ labels: { team: 'payments' }, annotations: { note: 'smoke' } });
    const state = await runAnalysis([metric], { provider: new JobProvider({ unavailable: 'x' }, RUN), once: true });
    expect(state.metrics[0]).toMatchObject({ provider: 'job', query: 'Job running curlimages/curl:8.11.0' });
  });

  it('refuses a Job without containers or with a restartPolicy Jobs do not allow', () => {
    const template = (podSpec: string) =>
      parseTemplateText(
        `apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: t}\nspec:\n  metrics:\n    - name: m\n      provider:\n        job:\n          spec:\n            template:\n              spec: ${podSpec}\n`,
        't.yaml',
      );
    expect(() => resolveTemplates(template('{containers: []}'))).toThrow('spec.metrics[0].provider.job.spec.template.spec.containers: a Job needs at least one container');
    expect(() => resolveTemplates(template('{containers: [{name: c, image: i}]}'))).toThrow(
      'field spec.metrics[0].provider.job.spec.template.spec.restartPolicy: a Job\'s pods need restartPolicy Never or OnFailure (got null)',
    );
  });

  it('derives a DNS-1123 name of at most 63 characters from rollout and metric, distinct per measurement', () => {
    const long = jobName({ ...RUN, service: 'Payments_API'.repeat(6) }, 'Error.Rate'.repeat(5));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(jobName(RUN, 'smoke-test')).toMatch(/^api-smoke-test-[0-9a-f]{10}$/);
    expect(jobName(RUN, 'smoke-test')).toBe(jobName(RUN, 'smoke-test'));
    expect(jobName({ ...RUN, measurement: 'step:1#8' }, 'smoke-test')).not.toBe(jobName(RUN, 'smoke-test'));
  });
});

describe('job provider: measuring through the Kubernetes API', () => {
  it('creates the Job (no ownerReferences, a TTL), and is Successful once it completes', async () => {
    const metric = jobMetric();
    const name = jobName(RUN, 'smoke-test');
    let reads = 0;
    const state = await runAnalysis([metric], {
      provider: provider(() => {
        if (++reads === 2) kube.finishJob(NAMESPACE, name, 'Complete');
      }),
      once: true,
    });
    expect(state.phase).toBe('Successful');
    expect(state.metrics[0]).toMatchObject({ provider: 'job' });
    expect(kube.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /apis/batch/v1/namespaces/${NAMESPACE}/jobs`,
      `GET /apis/batch/v1/namespaces/${NAMESPACE}/jobs/${name}`,
      `GET /apis/batch/v1/namespaces/${NAMESPACE}/jobs/${name}`,
      `GET /apis/batch/v1/namespaces/${NAMESPACE}/jobs/${name}`,
    ]);
    expect(kube.requests[0].body).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: NAMESPACE,
        labels: { team: 'payments', 'app.kubernetes.io/managed-by': 'opsbox-canary' },
        annotations: { note: 'smoke', 'opsbox.dev/rollout': RUN.rollout, 'opsbox.dev/metric': 'smoke-test' },
      },
      spec: {
        backoffLimit: 0,
        ttlSecondsAfterFinished: 3600,
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'smoke', image: 'curlimages/curl:8.11.0', args: ['--fail', 'http://api.payments/healthz'] }] },
        },
      },
    });
    expect(kube.requests.every((r) => r.authorized)).toBe(true);
  });

  it('is Failed when the Job fails; the template\'s own ttlSecondsAfterFinished is kept', async () => {
    const run = { ...RUN, measurement: 'step:1#9' };
    const state = await runAnalysis([jobMetric('\n            ttlSecondsAfterFinished: 60')], {
      provider: new JobProvider({ jobs: jobsApi() }, run, { sleep: async () => kube.finishJob(NAMESPACE, jobName(run, 'smoke-test'), 'Failed') }),
      once: true,
    });
    expect(state.phase).toBe('Failed');
    expect(state.results[0].measurements.at(-1)).toMatchObject({ phase: 'Failed', value: 'Failed', message: 'the Job failed' });
    expect(kube.job(NAMESPACE, jobName(run, 'smoke-test'))?.spec).toMatchObject({ ttlSecondsAfterFinished: 60 });
  });

  it('finds its own Job again when a measurement is replayed (409 from create)', async () => {
    const run = { ...RUN, measurement: 'step:3#1' };
    const name = jobName(run, 'smoke-test');
    kube.put(buildJob(jobMetric().job!, 'smoke-test', run, NAMESPACE) as never);
    kube.finishJob(NAMESPACE, name, 'Complete');
    kube.requests.length = 0;
    const outcome = await takeMeasurement(new JobProvider({ jobs: jobsApi() }, run, { sleep: async () => undefined }), jobMetric());
    expect(outcome).toMatchObject({ value: 'Successful' });
    expect(kube.requests.map((r) => r.method)).toEqual(['POST', 'GET']);
  });

  it('deletes a Job it stops waiting for, with propagationPolicy Background', async () => {
    const run = { ...RUN, measurement: 'step:4#1' };
    const name = jobName(run, 'smoke-test');
    // activeDeadlineSeconds 1: the wait ends after 31 s, one poll of 31 s here.
    const metric = jobMetric('\n            activeDeadlineSeconds: 1');
    const outcome = await takeMeasurement(new JobProvider({ jobs: jobsApi() }, run, { pollMs: 31_000, sleep: async () => undefined }), metric);
    expect(outcome).toMatchObject({ error: `Job ${NAMESPACE}/${name} did not finish within 31s; it was deleted. Set spec.activeDeadlineSeconds to allow longer` });
    const deletion = kube.requests.find((r) => r.method === 'DELETE');
    expect(deletion).toMatchObject({ path: `/apis/batch/v1/namespaces/${NAMESPACE}/jobs/${name}` });
    expect(`${deletion?.query} ${JSON.stringify(deletion?.body ?? {})}`).toContain('Background');
    expect(kube.job(NAMESPACE, name)).toBeUndefined();
  });

  it('deletes the Job when the measurement is cancelled (the rollout ended)', async () => {
    const run = { ...RUN, measurement: 'step:5#1' };
    const name = jobName(run, 'smoke-test');
    const cancel = new AbortController();
    const outcome = await takeMeasurement(new JobProvider({ jobs: jobsApi() }, run, { sleep: async () => cancel.abort() }), jobMetric(), undefined, cancel.signal);
    expect(outcome).toMatchObject({ error: `the measurement was cancelled; Job ${NAMESPACE}/${name} was deleted` });
    expect(kube.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([`/apis/batch/v1/namespaces/${NAMESPACE}/jobs/${name}`]);
  });

  it('names the grant to add when RBAC forbids creating Jobs', async () => {
    kube.forbid('jobs', 'locked-jobs');
    const access = clusterAccessFromEnv({ KUBECONFIG: kube.kubeconfig });
    if (!access.configured) throw new Error(access.reason);
    const outcome = await takeMeasurement(new JobProvider({ jobs: access.jobs('locked-jobs') }, RUN), jobMetric());
    expect(outcome).toMatchObject({ error: expect.stringContaining("forbidden (403)") });
    expect(outcome).toMatchObject({ error: expect.stringContaining("grant the app's account create on jobs.batch in namespace locked-jobs") });
  });
});

describe('job provider: where Jobs may run', () => {
  it('has no default namespace and says what to set', () => {
    const access = clusterAccessFromEnv({ KUBECONFIG: kube.kubeconfig });
    expect(jobAccessFor(access, {})).toEqual({
      unavailable: "OPSBOX_JOB_NAMESPACE is not set; the operator sets it to the namespace job metrics may create Jobs in (not the app's own namespace, which holds its private key)",
    });
  });

  it('needs cluster access, and says how to give it', async () => {
    expect(jobAccessFor({ configured: false, reason: 'neither KUBECONFIG nor an in-cluster service account is set' }, { OPSBOX_JOB_NAMESPACE: 'canary-jobs' })).toEqual({
      unavailable:
        'the app has no cluster access (neither KUBECONFIG nor an in-cluster service account is set); set KUBECONFIG for the app, or run it in the cluster with a service account allowed to create, get and delete jobs.batch in namespace canary-jobs',
    });
    const outcome = await takeMeasurement(new JobProvider({ unavailable: 'OPSBOX_JOB_NAMESPACE is not set' }, RUN), jobMetric());
    expect(outcome).toMatchObject({ error: 'job metric "smoke-test" cannot run: OPSBOX_JOB_NAMESPACE is not set' });
  });
});
