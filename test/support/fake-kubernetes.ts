/**
 * A Kubernetes API server on loopback that serves GET of the custom resources the sync gates read
 * (Argo CD Applications, Flux Kustomizations) and of core/v1 Secrets, and create, get and delete of
 * batch/v1 Jobs, with the API server's answers: the object, or a `Status` for 401, 403, 404, 409
 * and 503. Jobs stay as created until the test sets their status (`finishJob`), as the Job
 * controller would. The test puts objects in; a kubeconfig file (plain http, with
 * a bearer token the server checks) points the real client at it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface FakeKubernetes {
  url: string;
  /** A kubeconfig file for the server, with the token it accepts. */
  kubeconfig: string;
  token: string;
  /** Creates or replaces an object (like `kubectl apply` of the whole object, status included). */
  put(object: KubeObject): void;
  remove(kind: string, namespace: string, name: string): void;
  /** Answers 403 to reads of `plural` in `namespace`, as RBAC without the grant would. */
  forbid(plural: string, namespace: string): void;
  /** Answers every request with 503, as an API server that is unavailable. */
  down(isDown: boolean): void;
  /** Holds every answer back, as an API server that does not respond. */
  hang(isHanging: boolean): void;
  /** How Jobs created from now on end at once, as a Job controller with instant pods would; undefined: they keep running. */
  finishJobsAs(outcome: 'Complete' | 'Failed' | undefined): void;
  /** Completes or fails a Job, as the Job controller would. */
  finishJob(namespace: string, name: string, outcome: 'Complete' | 'Failed', message?: string): void;
  /** The Job stored under that name, as the API server holds it. */
  job(namespace: string, name: string): KubeObject | undefined;
  /** Every request, with its query string and (for writes) its JSON body. */
  requests: { method: string; path: string; authorized: boolean; query: string; body?: unknown }[];
  close(): Promise<void>;
}

/** The resources this server knows, by kind: their group, version and plural name. */
const RESOURCES: Record<string, { group: string; version: string; plural: string }> = {
  Application: { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications' },
  Kustomization: { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations' },
  Secret: { group: '', version: 'v1', plural: 'secrets' },
  Job: { group: 'batch', version: 'v1', plural: 'jobs' },
};

const OBJECT_PATH = /^\/apis\/([^/]+)\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/;
const CORE_OBJECT_PATH = /^\/api\/(v1)\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/;
const COLLECTION_PATH = /^\/apis\/([^/]+)\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)$/;

export async function startFakeKubernetes(): Promise<FakeKubernetes> {
  const token = `fake-token-${randomBytes(12).toString('hex')}`;
  const objects = new Map<string, KubeObject>();
  const forbidden = new Set<string>();
  const held: ServerResponse[] = [];
  let isDown = false;
  let isHanging = false;
  let resourceVersion = 1000;
  let jobsEndAs: 'Complete' | 'Failed' | undefined;
  const requests: FakeKubernetes['requests'] = [];
  const keyOf = (group: string, plural: string, namespace: string, name: string) => `${group}/${plural}/${namespace}/${name}`;

  const stamp = (object: KubeObject): KubeObject => {
    const stored = structuredClone(object);
    const { namespace, name } = stored.metadata;
    stored.metadata = { uid: `uid-${namespace}-${name}`, generation: 1, creationTimestamp: '2026-11-26T09:00:00Z', ...stored.metadata, resourceVersion: String(++resourceVersion) };
    return stored;
  };

  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const authorized = request.headers.authorization === `Bearer ${token}`;
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    requests.push({ method: request.method ?? '', path: url.pathname, authorized, query: url.search, ...(body !== undefined ? { body } : {}) });
    if (isHanging) {
      held.push(response);
      return;
    }
    const send = (code: number, body: unknown) => response.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (!authorized) return send(401, status(401, 'Unauthorized', 'Unauthorized'));
    if (isDown) return send(503, status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'));
    const verb = request.method === 'POST' ? 'create' : request.method === 'DELETE' ? 'delete' : 'get';
    const refuse = (group: string, plural: string, namespace: string, name: string) => {
      const what = group ? `${plural}.${group}` : plural;
      const message = `${what} "${name}" is forbidden: User "system:serviceaccount:opsbox:opsbox-canary" cannot ${verb} resource "${plural}" in API group "${group}" in the namespace "${namespace}"`;
      return send(403, status(403, 'Forbidden', message, { name, group, kind: plural }));
    };
    const collection = COLLECTION_PATH.exec(url.pathname);
    if (collection && request.method === 'POST' && collection[1] === 'batch' && collection[2] === 'v1' && collection[4] === 'jobs') {
      const [, group, , namespace, plural] = collection;
      const job = body as KubeObject;
      const name = job?.metadata?.name ?? '';
      if (forbidden.has(`${plural}/${namespace}`)) return refuse(group, plural, namespace, name);
      const key = keyOf(group, plural, namespace, name);
      if (objects.has(key)) return send(409, status(409, 'AlreadyExists', `jobs.batch "${name}" already exists`, { name, group, kind: plural }));
      const stored = stamp({ ...job, metadata: { ...job.metadata, namespace } });
      stored.status = {};
      objects.set(key, stored);
      send(201, stored);
      if (jobsEndAs) finish(stored, jobsEndAs);
      return;
    }
    const match = OBJECT_PATH.exec(url.pathname);
    const core = CORE_OBJECT_PATH.exec(url.pathname);
    const parts = match ? { group: match[1], version: match[2], namespace: match[3], plural: match[4], name: match[5] } : core ? { group: '', version: core[1], namespace: core[2], plural: core[3], name: core[4] } : undefined;
    const resource = parts && Object.values(RESOURCES).find((r) => r.group === parts.group && r.version === parts.version && r.plural === parts.plural);
    if (!parts || !resource) return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const { group, namespace, plural, name } = parts;
    const details = { name, group, kind: plural };
    const deletable = plural === 'jobs';
    if (request.method !== 'GET' && !(request.method === 'DELETE' && deletable)) {
      return send(405, status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`, details));
    }
    if (forbidden.has(`${plural}/${namespace}`)) return refuse(group, plural, namespace, name);
    const key = keyOf(group, plural, namespace, name);
    const object = objects.get(key);
    const what = group ? `${plural}.${group}` : plural;
    if (!object) return send(404, status(404, 'NotFound', `${what} "${name}" not found`, details));
    if (request.method === 'DELETE') {
      objects.delete(key);
      return send(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { ...details, uid: object.metadata.uid } });
    }
    return send(200, object);
  });
  function finish(job: KubeObject, outcome: 'Complete' | 'Failed', message?: string): void {
    const condition = { type: outcome, status: 'True', lastTransitionTime: '2026-11-26T10:00:00Z', ...(outcome === 'Failed' ? { reason: 'BackoffLimitExceeded', message: message ?? 'Job has reached the specified backoff limit' } : {}) };
    job.status = outcome === 'Complete' ? { succeeded: 1, conditions: [condition] } : { failed: 1, conditions: [condition] };
    job.metadata.resourceVersion = String(++resourceVersion);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await mkdtemp(path.join(tmpdir(), 'opsbox-kube-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(kubeconfig, kubeconfigText(url, token));

  return {
    url,
    kubeconfig,
    token,
    put(object) {
      const resource = RESOURCES[object.kind];
      if (!resource) throw new Error(`the fake Kubernetes API does not serve ${object.kind}`);
      const { namespace, name } = object.metadata;
      objects.set(keyOf(resource.group, resource.plural, namespace, name), stamp(object));
    },
    remove(kind, namespace, name) {
      const resource = RESOURCES[kind];
      if (resource) objects.delete(keyOf(resource.group, resource.plural, namespace, name));
    },
    finishJob(namespace, name, outcome, message) {
      const job = objects.get(keyOf('batch', 'jobs', namespace, name));
      if (!job) throw new Error(`no Job ${namespace}/${name}`);
      finish(job, outcome, message);
    },
    finishJobsAs(outcome) {
      jobsEndAs = outcome;
    },
    job(namespace, name) {
      const job = objects.get(keyOf('batch', 'jobs', namespace, name));
      return job ? structuredClone(job) : undefined;
    },
    forbid(plural, namespace) {
      forbidden.add(`${plural}/${namespace}`);
    },
    down(next) {
      isDown = next;
    },
    hang(next) {
      isHanging = next;
    },
    requests,
    async close() {
      for (const response of held.splice(0)) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The API server's error body (`metav1.Status`). */
function status(code: number, reason: string, message: string, details: Record<string, string> = {}) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
}

function kubeconfigText(server: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '  - name: fake',
    '    cluster:',
    `      server: ${server}`,
    '      insecure-skip-tls-verify: true # plain http on loopback',
    'users:',
    '  - name: opsbox',
    '    user:',
    `      token: ${token}`,
    'contexts:',
    '  - name: fake',
    '    context: { cluster: fake, user: opsbox, namespace: default }',
    'current-context: fake',
    '',
  ].join('\n');
}

/** An Argo CD Application as the controller reports it. */
export function argoApplication(
  name: string,
  status: { sync?: string; revision?: string; revisions?: string[]; health?: string; healthMessage?: string; operation?: Record<string, unknown> },
  namespace = 'argocd',
): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace },
    spec: {
      project: 'default',
      source: { repoURL: 'https://github.com/acme/manifests', targetRevision: 'main', path: `apps/${name}` },
      destination: { server: 'https://kubernetes.default.svc', namespace: name },
    },
    status: {
      sync: { status: status.sync ?? 'Unknown', ...(status.revision ? { revision: status.revision } : {}), ...(status.revisions ? { revisions: status.revisions } : {}) },
      health: { status: status.health ?? 'Unknown', ...(status.healthMessage ? { message: status.healthMessage } : {}) },
      ...(status.operation ? { operationState: status.operation } : {}),
      reconciledAt: '2026-11-26T10:00:00Z',
    },
  };
}

/** A Flux Kustomization as kustomize-controller reports it. */
export function fluxKustomization(
  name: string,
  status: { applied?: string; attempted?: string; ready?: 'True' | 'False' | 'Unknown'; reason?: string; message?: string },
  namespace = 'flux-system',
): KubeObject {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace },
    spec: { interval: '1m', path: `./apps/${name}`, prune: true, sourceRef: { kind: 'GitRepository', name: 'manifests' } },
    status: {
      observedGeneration: 1,
      ...(status.applied ? { lastAppliedRevision: status.applied } : {}),
      ...(status.attempted ?? status.applied ? { lastAttemptedRevision: status.attempted ?? status.applied } : {}),
      conditions: [
        {
          type: 'Ready',
          status: status.ready ?? 'Unknown',
          reason: status.reason ?? 'Progressing',
          message: status.message ?? 'Reconciliation in progress',
          lastTransitionTime: '2026-11-26T10:00:00Z',
          observedGeneration: 1,
        },
      ],
    },
  };
}

/** A core/v1 Secret with `data` base64-encoded, as the API server returns it. */
export function kubeSecret(name: string, namespace: string, data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'utf8').toString('base64')])),
  };
}
