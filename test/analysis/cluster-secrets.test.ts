import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAllowlist } from '../../src/analysis/allowlist.js';
import { WebProvider } from '../../src/analysis/providers/web.js';
import { resolveTemplates } from '../../src/analysis/resolve.js';
import { runAnalysis } from '../../src/analysis/runner.js';
import { prefetchClusterSecrets, referencedSecretNames, type ClusterSecrets } from '../../src/analysis/secrets.js';
import { parseTemplateText } from '../../src/analysis/templates.js';
import { clusterAccessFromEnv } from '../../src/sync/kubernetes.js';
import { kubeSecret, startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes.js';

const SECRET = 'cluster-sek-5b2e90d4';
let kube: FakeKubernetes;
let web: Server;
let base: string;
const seenKeys: (string | undefined)[] = [];

beforeAll(async () => {
  kube = await startFakeKubernetes();
  web = createServer((req: IncomingMessage, res) => {
    seenKeys.push(req.headers['x-api-key'] as string | undefined);
    res.writeHead(401, { 'content-type': 'text/plain' }).end(`key ${req.headers['x-api-key']} refused`);
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await kube.close();
  web.closeAllConnections();
  await new Promise((resolve) => web.close(resolve));
});

beforeEach(() => {
  kube.requests.length = 0;
});

function secretsIn(namespace: string): ClusterSecrets {
  const access = clusterAccessFromEnv({ KUBECONFIG: kube.kubeconfig });
  if (!access.configured) throw new Error(access.reason);
  return access.secrets(namespace);
}

const templates = () =>
  parseTemplateText(
    `apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: status
spec:
  args:
    - name: token
      valueFrom:
        secretKeyRef: {name: status-api, key: api-token}
  metrics:
    - name: status
      provider:
        web:
          url: ${base}/status
          headers: [{key: X-Api-Key, value: "{{args.token}}"}]
`,
    'analysis/status.yaml',
  );

describe('valueFrom.secretKeyRef read from the cluster', () => {
  it('reads the Secret once, in the namespace the operator named, and redacts its value everywhere', async () => {
    kube.put(kubeSecret('status-api', 'canary-checks', { 'api-token': SECRET, other: 'unused' }));
    const loaded = templates();
    expect(referencedSecretNames(loaded)).toEqual(['status-api']);
    const cluster = await prefetchClusterSecrets(referencedSecretNames(loaded), secretsIn('canary-checks'));
    expect(kube.requests.map((r) => [r.method, r.path, r.authorized])).toEqual([['GET', '/api/v1/namespaces/canary-checks/secrets/status-api', true]]);

    const [metric] = resolveTemplates(loaded, { env: {}, clusterSecrets: cluster }).metrics;
    expect(metric.web?.headers[0].value).toBe(SECRET);
    const state = await runAnalysis([metric], { provider: new WebProvider({ allowlist: createAllowlist([base]) }), once: true });
    expect(seenKeys.at(-1)).toBe(SECRET);
    const stored = JSON.stringify(state);
    expect(stored).not.toContain(SECRET);
    expect(stored).toContain('key [redacted] refused');
  });

  it('keeps a read Secret for a while instead of asking the API server at every measurement', async () => {
    kube.put(kubeSecret('status-api', 'cached-ns', { 'api-token': SECRET }));
    const secrets = secretsIn('cached-ns');
    await secrets.read('status-api');
    await secrets.read('status-api');
    expect(kube.requests).toHaveLength(1);
  });

  it('falls back to OPSBOX_SECRET_<NAME>_<KEY> when the Secret lacks the key', async () => {
    kube.put(kubeSecret('status-api', 'no-key', { other: 'x' }));
    const cluster = await prefetchClusterSecrets(['status-api'], secretsIn('no-key'));
    const [metric] = resolveTemplates(templates(), { env: { OPSBOX_SECRET_STATUS_API_API_TOKEN: 'from-env-1' }, clusterSecrets: cluster }).metrics;
    expect(metric.web?.headers[0].value).toBe('from-env-1');
  });

  it('says what to create or set when neither the cluster nor the environment has it', async () => {
    const cluster = await prefetchClusterSecrets(['status-api'], secretsIn('empty-ns'));
    expect(() => resolveTemplates(templates(), { env: {}, clusterSecrets: cluster })).toThrow(
      'argument "token" reads key "api-token" of Secret "status-api" (valueFrom.secretKeyRef), but Secret "status-api" does not exist in namespace empty-ns ' +
        'and OPSBOX_SECRET_STATUS_API_API_TOKEN is not set; create the Secret with that key in namespace empty-ns, or have the operator set OPSBOX_SECRET_STATUS_API_API_TOKEN',
    );
  });

  it('names the grant to add when RBAC forbids reading Secrets', async () => {
    kube.forbid('secrets', 'locked');
    const cluster = await prefetchClusterSecrets(['status-api'], secretsIn('locked'));
    expect(() => resolveTemplates(templates(), { env: {}, clusterSecrets: cluster })).toThrow(
      /reading Secret locked\/status-api from the Kubernetes API: forbidden \(403\).*grant the app's account get on secrets in namespace locked/,
    );
  });
});
