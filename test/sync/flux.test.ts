import { describe, expect, it } from '@jest/globals';
import { fluxGate } from '../../src/sync/flux.js';
import type { SyncTarget } from '../../src/sync/gate.js';
import { KubernetesApiError } from '../../src/sync/kubernetes.js';
import { fluxKustomization } from '../support/fake-kubernetes.js';
import { gateTarget, LATER, OLDER, SHA, useCluster } from './cluster-fixture.js';

describe('the Flux gate', () => {
  const cluster = useCluster();
  const { asked } = cluster;
  const target = (flux: Record<string, string> = { kustomization: 'api' }): SyncTarget => gateTarget({ flux });
  const check = (t = target()) => fluxGate(cluster.objects, cluster.contains).check(t);
  const succeeded = (revision: string) =>
    fluxKustomization('api', { applied: revision, ready: 'True', reason: 'ReconciliationSucceeded', message: `Applied revision: ${revision}` });

  it('counts the commit applied once the Kustomization applied it and is Ready, in every revision format', async () => {
    for (const revision of [`main@sha1:${SHA}`, `main/${SHA}`, SHA, `refs/heads/main@sha1:${SHA}`]) {
      cluster.kube.put(succeeded(revision));
      expect(await check()).toEqual({ state: 'applied', detail: 'Kustomization flux-system/api applied 1a2b3c4 and is Ready' });
    }
    expect(asked).toEqual([]);
  });

  it('counts a later commit that contains it', async () => {
    cluster.kube.put(succeeded(`main@sha1:${LATER}`));
    expect(await check()).toEqual({ state: 'applied', detail: 'Kustomization flux-system/api applied 2b3c4d5 (which contains 1a2b3c4) and is Ready' });
    expect(asked).toEqual([LATER]);
  });

  it('waits while an older revision is applied or the new one is not Ready yet, saying what it saw', async () => {
    cluster.kube.put(succeeded(`main@sha1:${OLDER}`));
    expect(await check()).toEqual({ state: 'pending', detail: 'Kustomization flux-system/api has applied 0f0f0f0, Ready is True (ReconciliationSucceeded)' });
    cluster.kube.put(fluxKustomization('api', { applied: `main@sha1:${OLDER}`, attempted: `main@sha1:${SHA}`, ready: 'Unknown', reason: 'Progressing' }));
    expect(await check()).toEqual({ state: 'pending', detail: 'Kustomization flux-system/api has applied 0f0f0f0, Ready is Unknown (Progressing)' });
    cluster.kube.put(fluxKustomization('api', { ready: 'False', reason: 'ArtifactFailed', message: 'Source artifact not found, retrying in 30s' }));
    expect(await check()).toEqual({ state: 'pending', detail: 'Kustomization flux-system/api has applied nothing yet, Ready is False (ArtifactFailed)' });
    cluster.kube.put(succeeded('latest@sha256:' + 'ab'.repeat(32)));
    expect((await check()).detail).toBe(`Kustomization flux-system/api has applied latest@sha256:${'ab'.repeat(32)}, Ready is True (ReconciliationSucceeded)`);
  });

  it('fails when applying the commit (or a later one) failed, with the reason and message', async () => {
    const message = 'Deployment/api/api-canary dry-run failed: spec.template.spec.containers[0].image: Required value';
    cluster.kube.put(fluxKustomization('api', { applied: `main@sha1:${OLDER}`, attempted: `main@sha1:${SHA}`, ready: 'False', reason: 'ReconciliationFailed', message }));
    expect(await check()).toEqual({ state: 'failed', detail: `Kustomization flux-system/api failed to apply 1a2b3c4: Ready is False (ReconciliationFailed): ${message}` });
    cluster.kube.put(fluxKustomization('api', { applied: `main@sha1:${LATER}`, attempted: `main@sha1:${LATER}`, ready: 'False', reason: 'HealthCheckFailed', message: 'timeout waiting for: [Deployment/api/api-canary status: InProgress]' }));
    expect(await check()).toEqual({
      state: 'failed',
      detail: 'Kustomization flux-system/api failed to apply 2b3c4d5 (which contains 1a2b3c4): Ready is False (HealthCheckFailed): timeout waiting for: [Deployment/api/api-canary status: InProgress]',
    });
  });

  it('does not blame the commit for a failure of an older revision', async () => {
    cluster.kube.put(fluxKustomization('api', { applied: `main@sha1:${OLDER}`, ready: 'False', reason: 'HealthCheckFailed', message: 'old failure' }));
    expect(await check()).toEqual({ state: 'pending', detail: 'Kustomization flux-system/api has applied 0f0f0f0, Ready is False (HealthCheckFailed)' });
  });

  it('fails with a clear message when the Kustomization does not exist, and reads the namespace configured', async () => {
    cluster.kube.put({ ...succeeded(`main@sha1:${SHA}`), metadata: { name: 'api', namespace: 'apps' } });
    expect(await check()).toEqual({
      state: 'failed',
      detail: 'Kustomization flux-system/api was not found in the cluster; check sync.flux.kustomization and sync.flux.namespace, and that Flux runs in the cluster the app reads',
    });
    expect((await check(target({ kustomization: 'api', namespace: 'apps' }))).state).toBe('applied');
  });

  it('throws on other API errors, so the read is tried again', async () => {
    cluster.kube.forbid('kustomizations', 'flux-system');
    await expect(check()).rejects.toThrow(
      new KubernetesApiError(
        'reading kustomizations.kustomize.toolkit.fluxcd.io flux-system/api from the Kubernetes API: forbidden (403): kustomizations.kustomize.toolkit.fluxcd.io "api" is forbidden: ' +
          'User "system:serviceaccount:opsbox:opsbox-canary" cannot get resource "kustomizations" in API group "kustomize.toolkit.fluxcd.io" in the namespace "flux-system"; ' +
          "grant the app's account get on kustomizations.kustomize.toolkit.fluxcd.io in namespace flux-system",
      ),
    );
  });
});
