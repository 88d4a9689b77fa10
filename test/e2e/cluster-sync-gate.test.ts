import { afterEach, describe, expect, it } from '@jest/globals';
import { AppHarness, FULL_NAME, bumpApi, fixtureFiles } from '../support/app-harness.js';
import { argoApplication, fluxKustomization, startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes.js';

const CANARY = 'apps/api/canary.yaml';

/** The fixture with `gate` (YAML under `sync:`) on the api service. */
async function gatedFiles(gate: string): Promise<Record<string, string>> {
  const files = await fixtureFiles();
  files['.github/opsbox.yml'] = files['.github/opsbox.yml'].replace('      delay: 30s', `      delay: 30s\n      ${gate}`);
  return files;
}

describe('waiting for Argo CD or Flux, read from the cluster, before measuring', () => {
  let h: AppHarness;
  let kube: FakeKubernetes;

  afterEach(async () => {
    await h.close();
    await kube?.close();
  });

  async function start(gate: string, withCluster = true): Promise<void> {
    kube = await startFakeKubernetes();
    h = await AppHarness.start({ files: await gatedFiles(gate), env: withCluster ? { KUBECONFIG: kube.kubeconfig } : {} });
  }

  const bump = () => h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), 'v2') }, { title: 'Bump api to v2' });

  it('holds the weight step until the Application is Synced and Healthy at the weight commit, then measures', async () => {
    await start('argocd: { application: api }');
    h.prometheus.answer([0.01]);
    const { mergeSha } = await bump();
    kube.put(argoApplication('api', { sync: 'Synced', revision: mergeSha, health: 'Healthy' }));
    const [weight10] = h.appCommits();
    const short = weight10.sha.slice(0, 7);

    await h.advance(30_000);
    let [state] = await h.rollouts();
    expect(state.step).toMatchObject({ kind: 'setWeight', syncDetail: `Application argocd/api is Synced at ${mergeSha.slice(0, 7)}, Healthy` });

    kube.put(argoApplication('api', { sync: 'OutOfSync', revision: weight10.sha, health: 'Healthy' }));
    await h.advance(15_000);
    kube.put(argoApplication('api', { sync: 'Synced', revision: weight10.sha, health: 'Progressing', operation: { phase: 'Running' } }));
    await h.advance(15_000, 2);
    [state] = await h.rollouts();
    expect(state.stepIndex).toBe(0);
    expect(state.step).toMatchObject({ kind: 'setWeight', syncDetail: `Application argocd/api is Synced at ${short}, Progressing, sync Running` });
    expect(h.prometheus.queries).toHaveLength(0);

    kube.put(argoApplication('api', { sync: 'Synced', revision: weight10.sha, health: 'Healthy' }));
    await h.advance(15_000);
    [state] = await h.rollouts();
    expect(state.step?.kind).toBe('analysis');
    expect(state.history.map((e) => e.message)).toContain(`weight 10% applied: Application argocd/api is Synced and Healthy at ${short}`);
    await h.advanceUntil(() => h.prometheus.queries.length > 0, 30_000, 5);
    expect(kube.requests.every((r) => r.method === 'GET' && r.path === '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/api' && r.authorized)).toBe(true);
  });

  it('rolls back when the Application is Degraded at the weight commit', async () => {
    await start('argocd: { application: api }');
    await bump();
    const [weight10] = h.appCommits();
    kube.put(argoApplication('api', { sync: 'Synced', revision: weight10.sha, health: 'Degraded', healthMessage: 'Deployment "api-canary" exceeded its progress deadline' }));
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Aborted', 15_000);
    const [state] = await h.rollouts();
    expect(state.failure?.reason).toBe(
      `the weight 10% commit was not applied: Application argocd/api is Degraded at ${weight10.sha.slice(0, 7)}: Deployment "api-canary" exceeded its progress deadline`,
    );
    expect(h.appCommits().map((c) => c.message.split('\n')[0])).toEqual([
      'canary(api): weight 10% → v2',
      'canary(api): roll back v2, weight 0% (traffic to stable v1)',
    ]);
  });

  it('counts a Flux Kustomization that applied a later commit containing the weight commit', async () => {
    await start('flux: { kustomization: api }');
    await bump();
    const [weight10] = h.appCommits();
    const later = h.github.commitFiles(FULL_NAME, 'main', { 'README.md': 'docs\n' }, { message: 'docs' });
    kube.put(fluxKustomization('api', { applied: `main@sha1:${later}`, ready: 'True', reason: 'ReconciliationSucceeded' }));
    await h.advance(30_000);
    const [state] = await h.rollouts();
    expect(state.step?.kind).toBe('analysis');
    expect(state.history.map((e) => e.message)).toContain(
      `weight 10% applied: Kustomization flux-system/api applied ${later.slice(0, 7)} (which contains ${weight10.sha.slice(0, 7)}) and is Ready`,
    );
  });

  it('refuses the gate, saying what to do, when the app was given no cluster to read', async () => {
    await start('argocd: { application: api }', false);
    const pr = await bump();
    expect(await h.rollouts()).toEqual([]);
    expect(h.appCommits()).toEqual([]);
    const [comment] = h.github.comments(FULL_NAME, pr.number).map((c) => String(c.body));
    expect(comment).toContain('services.api.sync.argocd');
    expect(comment).toContain('neither KUBECONFIG nor an in-cluster service account is set');
    expect(comment).toContain('Set KUBECONFIG for the app to a kubeconfig file, or run it in the cluster with a service account allowed to get applications.argoproj.io in namespace argocd');
    expect(kube.requests).toEqual([]);
  });
});
