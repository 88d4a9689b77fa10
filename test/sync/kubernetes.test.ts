import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clusterAccessFromEnv, KubernetesApiError, type ClusterAccess, type CustomObjects } from '../../src/sync/kubernetes.js';
import { argoApplication, startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes.js';
import { freePort } from '../support/free-port.js';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const API = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', namespace: 'argocd', name: 'api' };

function objectsOf(access: ClusterAccess): CustomObjects {
  if (!access.configured) throw new Error(`not configured: ${access.reason}`);
  return access.objects;
}

async function failure(read: Promise<unknown>): Promise<KubernetesApiError> {
  const error = await read.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KubernetesApiError);
  return error as KubernetesApiError;
}

describe('cluster access from the environment', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'opsbox-kubeconfig-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is not configured without KUBECONFIG or a service account, and says so', () => {
    expect(clusterAccessFromEnv({})).toEqual({ configured: false, reason: 'neither KUBECONFIG nor an in-cluster service account is set' });
  });

  it('names a KUBECONFIG file that cannot be read', () => {
    const file = path.join(dir, 'missing');
    expect(clusterAccessFromEnv({ KUBECONFIG: file })).toEqual({ configured: false, reason: `KUBECONFIG (${file}) could not be loaded (ENOENT)` });
  });

  it('never quotes a broken kubeconfig, which may hold credentials', async () => {
    const file = path.join(dir, 'config');
    await writeFile(file, 'users:\n  - name: u\n    user: { token: s3cret-token-value\n');
    const access = clusterAccessFromEnv({ KUBECONFIG: file });
    expect(access).toEqual({ configured: false, reason: `KUBECONFIG (${file}) could not be loaded (not a valid kubeconfig)` });
  });

  it('needs a current context with a cluster', async () => {
    const file = path.join(dir, 'config');
    await writeFile(file, 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n');
    expect(clusterAccessFromEnv({ KUBECONFIG: file })).toMatchObject({ configured: false, reason: expect.stringContaining('has no current context with a cluster') });
  });

  it('says when a pod has no service account token mounted', () => {
    const access = clusterAccessFromEnv({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '6443' });
    // (unless these tests themselves run in a pod that has one)
    const expected = existsSync(SERVICE_ACCOUNT_TOKEN)
      ? { configured: true, source: 'the in-cluster service account' }
      : { configured: false, reason: expect.stringContaining(`no service account token at ${SERVICE_ACCOUNT_TOKEN}`) };
    expect(access).toMatchObject(expected);
  });
});

describe('reading custom objects', () => {
  let kube: FakeKubernetes;

  beforeEach(async () => {
    kube = await startFakeKubernetes();
  });

  afterEach(async () => {
    await kube.close();
  });

  it('reads an object with the kubeconfig token, and null when it does not exist', async () => {
    const access = clusterAccessFromEnv({ KUBECONFIG: kube.kubeconfig });
    expect(access).toMatchObject({ configured: true, source: `KUBECONFIG (${kube.kubeconfig})` });
    const objects = objectsOf(access);
    expect(await objects.get(API)).toBeNull();
    kube.put(argoApplication('api', { sync: 'Synced', revision: 'a'.repeat(40), health: 'Healthy' }));
    expect(await objects.get(API)).toMatchObject({ kind: 'Application', metadata: { name: 'api', namespace: 'argocd' }, status: { sync: { status: 'Synced' } } });
    expect(kube.requests.map((r) => [r.method, r.path, r.authorized])).toEqual([
      ['GET', '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/api', true],
      ['GET', '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/api', true],
    ]);
  });

  it('says which grant is missing on 403, and may be retried', async () => {
    kube.forbid('applications', 'argocd');
    const error = await failure(objectsOf(clusterAccessFromEnv({ KUBECONFIG: kube.kubeconfig })).get(API));
    expect(error.status).toBe(403);
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(
      'reading applications.argoproj.io argocd/api from the Kubernetes API: forbidden (403): applications.argoproj.io "api" is forbidden: ' +
        'User "system:serviceaccount:opsbox:opsbox-canary" cannot get resource "applications" in API group "argoproj.io" in the namespace "argocd"; ' +
        "grant the app's account get on applications.argoproj.io in namespace argocd",
    );
  });

  it('reports refused credentials without them', async () => {
    const file = path.join(path.dirname(kube.kubeconfig), 'wrong-token');
    const wrong = `wrong-token-${kube.token}`;
    await writeFile(file, (await readFile(kube.kubeconfig, 'utf8')).replace(kube.token, wrong));
    const error = await failure(objectsOf(clusterAccessFromEnv({ KUBECONFIG: file })).get(API));
    expect(error.message).toBe("reading applications.argoproj.io argocd/api from the Kubernetes API: the API server refused the app's credentials (401)");
    expect(error.message).not.toContain(wrong);
  });

  it('reports an unavailable API server, a network failure and a timeout as errors to retry', async () => {
    const objects = objectsOf(clusterAccessFromEnv({ KUBECONFIG: kube.kubeconfig }, { timeoutMs: 200 }));
    kube.down(true);
    expect((await failure(objects.get(API))).message).toBe(
      'reading applications.argoproj.io argocd/api from the Kubernetes API: HTTP 503: the server is currently unable to handle the request',
    );
    kube.down(false);
    kube.hang(true);
    expect((await failure(objects.get(API))).message).toBe('reading applications.argoproj.io argocd/api from the Kubernetes API: no answer within 0.2s');
    const nobody = path.join(path.dirname(kube.kubeconfig), 'nobody');
    await writeFile(nobody, (await readFile(kube.kubeconfig, 'utf8')).replace(kube.url, `http://127.0.0.1:${await freePort()}`));
    const refused = await failure(objectsOf(clusterAccessFromEnv({ KUBECONFIG: nobody })).get(API));
    expect(refused.message).toBe('reading applications.argoproj.io argocd/api from the Kubernetes API: ECONNREFUSED');
    expect(refused.status).toBeUndefined();
  });

  it('keeps tokens out of an error even when the server echoes them back, its own or another', async () => {
    const echo = createServer((request, response) => {
      const body = { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 500, reason: 'InternalError', message: `proxy saw ${request.headers.authorization}; upstream wanted Bearer sa-token-not-in-the-config` };
      response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    try {
      const file = path.join(path.dirname(kube.kubeconfig), 'echo');
      const port = (echo.address() as AddressInfo).port;
      await writeFile(file, (await readFile(kube.kubeconfig, 'utf8')).replace(kube.url, `http://127.0.0.1:${port}`));
      const error = await failure(objectsOf(clusterAccessFromEnv({ KUBECONFIG: file })).get(API));
      expect(error.message).toBe('reading applications.argoproj.io argocd/api from the Kubernetes API: HTTP 500: proxy saw Bearer [redacted]; upstream wanted Bearer [redacted]');
    } finally {
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    }
  });
});
