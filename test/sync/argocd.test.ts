import { describe, expect, it } from '@jest/globals';
import { argoCdGate } from '../../src/sync/argocd.js';
import type { SyncTarget } from '../../src/sync/gate.js';
import { KubernetesApiError } from '../../src/sync/kubernetes.js';
import { argoApplication } from '../support/fake-kubernetes.js';
import { gateTarget, LATER, OLDER, SHA, useCluster } from './cluster-fixture.js';

describe('the Argo CD gate', () => {
  const cluster = useCluster();
  const { asked } = cluster;
  const target = (argocd: Record<string, string> = { application: 'api' }): SyncTarget => gateTarget({ argocd });
  const check = (t = target()) => argoCdGate(cluster.objects, cluster.contains).check(t);

  it('waits while the Application is out of sync or not healthy yet, saying what it saw', async () => {
    cluster.kube.put(argoApplication('api', { sync: 'OutOfSync', revision: SHA, health: 'Progressing' }));
    expect(await check()).toEqual({ state: 'pending', detail: 'Application argocd/api is OutOfSync at 1a2b3c4, Progressing' });
    cluster.kube.put(argoApplication('api', { sync: 'Synced', revision: SHA, health: 'Progressing', operation: { phase: 'Running', message: 'waiting for healthy state' } }));
    expect(await check()).toEqual({ state: 'pending', detail: 'Application argocd/api is Synced at 1a2b3c4, Progressing, sync Running' });
    cluster.kube.put(argoApplication('api', { sync: 'Synced', revision: OLDER, health: 'Healthy' }));
    expect(await check()).toEqual({ state: 'pending', detail: 'Application argocd/api is Synced at 0f0f0f0, Healthy' });
    cluster.kube.put({ ...argoApplication('api', {}), status: {} });
    expect(await check()).toEqual({ state: 'pending', detail: 'Application argocd/api is Unknown at no revision, health Unknown' });
  });

  it('counts the commit applied once the Application is Synced and Healthy at it', async () => {
    cluster.kube.put(argoApplication('api', { sync: 'Synced', revision: SHA, health: 'Healthy' }));
    expect(await check()).toEqual({ state: 'applied', detail: 'Application argocd/api is Synced and Healthy at 1a2b3c4' });
    expect(asked).toEqual([]); // the commit itself needs no question to GitHub
  });

  it('counts a later commit of the branch that contains it', async () => {
    cluster.kube.put(argoApplication('api', { sync: 'Synced', revision: LATER, health: 'Healthy' }));
    expect(await check()).toEqual({ state: 'applied', detail: 'Application argocd/api is Synced and Healthy at 2b3c4d5 (which contains 1a2b3c4)' });
    expect(asked).toEqual([LATER]);
  });

  it('reads the revisions of a multi-source Application, asking GitHub only about commits', async () => {
    cluster.kube.put(argoApplication('api', { sync: 'Synced', revisions: ['4.2.0', SHA], health: 'Healthy' }));
    expect(await check()).toEqual({ state: 'applied', detail: 'Application argocd/api is Synced and Healthy at 1a2b3c4' });
    cluster.kube.put(argoApplication('api', { sync: 'Synced', revisions: ['4.2.0', OLDER], health: 'Healthy' }));
    expect(await check()).toEqual({ state: 'pending', detail: 'Application argocd/api is Synced at 4.2.0, 0f0f0f0, Healthy' });
    expect(asked).toEqual([OLDER]);
  });

  it('asks GitHub nothing while the state would not decide anyway', async () => {
    cluster.kube.put(argoApplication('api', { sync: 'OutOfSync', revision: LATER, health: 'Missing' }));
    expect((await check()).state).toBe('pending');
    expect(asked).toEqual([]);
  });

  it('fails when the Application is Degraded at the commit, with the health message', async () => {
    cluster.kube.put(argoApplication('api', { sync: 'Synced', revision: SHA, health: 'Degraded', healthMessage: 'Deployment "api-canary" exceeded its progress deadline' }));
    expect(await check()).toEqual({
      state: 'failed',
      detail: 'Application argocd/api is Degraded at 1a2b3c4: Deployment "api-canary" exceeded its progress deadline',
    });
  });

  it('does not blame the commit for a Degraded state at an older revision', async () => {
    cluster.kube.put(argoApplication('api', { sync: 'OutOfSync', revision: OLDER, health: 'Degraded' }));
    expect(await check()).toEqual({ state: 'pending', detail: 'Application argocd/api is OutOfSync at 0f0f0f0, Degraded' });
  });

  it('fails when the sync operation of the commit (or a later one) Failed or Errored, with its message', async () => {
    const message = 'one or more objects failed to apply, reason: admission webhook "validate.nginx.ingress.kubernetes.io" denied the request';
    cluster.kube.put(argoApplication('api', { sync: 'OutOfSync', revision: SHA, health: 'Healthy', operation: { phase: 'Failed', message, operation: { sync: { revision: SHA } }, syncResult: { revision: SHA } } }));
    expect(await check()).toEqual({ state: 'failed', detail: `Application argocd/api: the sync of 1a2b3c4 ended Failed: ${message}` });
    cluster.kube.put(argoApplication('api', { sync: 'OutOfSync', revision: LATER, health: 'Healthy', operation: { phase: 'Error', message: 'rpc error', operation: { sync: { revision: LATER } } } }));
    expect(await check()).toEqual({ state: 'failed', detail: 'Application argocd/api: the sync of 2b3c4d5 (which contains 1a2b3c4) ended Error: rpc error' });
  });

  it('ignores a failed sync of an older revision', async () => {
    cluster.kube.put(argoApplication('api', { sync: 'OutOfSync', revision: OLDER, health: 'Healthy', operation: { phase: 'Failed', message: 'old failure', syncResult: { revision: OLDER } } }));
    expect(await check()).toEqual({ state: 'pending', detail: 'Application argocd/api is OutOfSync at 0f0f0f0, Healthy' });
  });

  it('fails with a clear message when the Application does not exist', async () => {
    cluster.kube.put(argoApplication('api', { sync: 'Synced', revision: SHA, health: 'Healthy' }, 'platform'));
    expect(await check()).toEqual({
      state: 'failed',
      detail: 'Application argocd/api was not found in the cluster; check sync.argocd.application and sync.argocd.namespace, and that Argo CD runs in the cluster the app reads',
    });
    expect((await check(target({ application: 'api', namespace: 'platform' }))).state).toBe('applied');
  });

  it('throws on other API errors, so the read is tried again', async () => {
    cluster.kube.down(true);
    await expect(check()).rejects.toBeInstanceOf(KubernetesApiError);
  });
});
