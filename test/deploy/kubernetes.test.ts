/**
 * deploy/kubernetes: the kustomize base and each component render with `kubectl kustomize`, and every
 * rendered object is valid against its published schema: the Kubernetes API's (kubernetes-models)
 * and the Prometheus Operator CRDs' (@kubernetes-models/prometheus-operator).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inCi, kubectlAvailable, kustomize } from './kubectl.js';

const DEPLOY = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: Record<string, unknown>) => Validatable;

/** The model class of an object's apiVersion and kind, from the library that publishes its schema. */
async function modelOf(object: Record<string, any>): Promise<ModelClass> {
  const [group, version] = String(object.apiVersion).includes('/') ? String(object.apiVersion).split('/') : ['', String(object.apiVersion)];
  const kind = String(object.kind);
  const module =
    group === 'monitoring.coreos.com'
      ? await import(`@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`)
      : await import(group === '' ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`);
  const model = module[kind] as ModelClass | undefined;
  if (!model) throw new Error(`no schema for ${object.apiVersion} ${kind}`);
  return model;
}

async function expectValid(objects: Record<string, any>[]): Promise<void> {
  const problems: string[] = [];
  for (const object of objects) {
    try {
      new (await modelOf(object))(object).validate();
    } catch (error) {
      problems.push(`${object.kind} ${object.metadata?.namespace ?? ''}/${object.metadata?.name}: ${(error as Error).message}`);
    }
  }
  expect(problems).toEqual([]);
}

describe('deploy/kubernetes rendered with kubectl kustomize', () => {
  let available = false;

  beforeAll(async () => {
    available = await kubectlAvailable();
  });

  /** Renders, or says why not: kubectl is missing (a failure under CI, never a silent skip). */
  async function render(dir: string): Promise<Record<string, any>[] | undefined> {
    if (!available) {
      if (inCi()) throw new Error('kubectl (1.32, with kustomize 5) is needed to render deploy/kubernetes and is not installed');
      console.warn(`kubectl is not installed: ${dir} was not rendered`);
      return undefined;
    }
    return kustomize(DEPLOY + dir);
  }

  it('the base: one replica, Recreate, a volume for the store, probes, non-root, read-only root, secrets from an existing Secret', async () => {
    const objects = await render('base');
    if (!objects) return;
    await expectValid(objects);
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).toEqual([
      'ConfigMap/' + objects.find((o) => o.kind === 'ConfigMap')!.metadata.name,
      'Deployment/opsbox-canary',
      'Namespace/opsbox',
      'PersistentVolumeClaim/opsbox-canary-data',
      'Service/opsbox-canary',
      'Service/opsbox-canary-metrics',
      'ServiceAccount/opsbox-canary',
    ]);
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    // no API token without a component that needs the cluster
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.resources.requests.memory).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
    const fromSecret = container.env.filter((e: any) => e.valueFrom?.secretKeyRef?.name === 'opsbox-canary').map((e: any) => e.name);
    expect(fromSecret.sort()).toEqual(['APP_ID', 'PRIVATE_KEY', 'WEBHOOK_SECRET']);
    const claim = pod.volumes.find((v: any) => v.persistentVolumeClaim)?.persistentVolumeClaim.claimName;
    expect(claim).toBe('opsbox-canary-data');
    expect(container.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(container.env).toContainEqual({ name: 'OPSBOX_DATA_DIR', value: '/data' });
    // the configuration comes from the generated ConfigMap (its name carries a content hash)
    expect(container.envFrom[0].configMapRef.name).toBe(objects.find((o) => o.kind === 'ConfigMap')!.metadata.name);
    // the webhook Service does not expose the metrics port, the metrics Service does
    const ports = (name: string) => objects.find((o) => o.kind === 'Service' && o.metadata.name === name)!.spec.ports.map((p: any) => p.targetPort);
    expect(ports('opsbox-canary')).toEqual(['http']);
    expect(ports('opsbox-canary-metrics')).toEqual(['metrics']);
  });

  it('every component with the base: Argo CD and Flux roles in their namespaces, a ServiceMonitor and a PrometheusRule', async () => {
    const objects = await render('example');
    if (!objects) return;
    await expectValid(objects);
    const roles = objects.filter((o) => o.kind === 'Role').map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    expect(roles.sort()).toEqual(['argocd/opsbox-canary-read-applications', 'flux-system/opsbox-canary-read-kustomizations']);
    for (const binding of objects.filter((o) => o.kind === 'RoleBinding')) {
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'opsbox-canary', namespace: 'opsbox' }]);
    }
    expect(objects.find((o) => o.kind === 'Deployment')!.spec.template.spec.automountServiceAccountToken).toBe(true);
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor')!;
    const metricsService = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'opsbox-canary-metrics')!;
    for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels)) expect(metricsService.metadata.labels[key]).toBe(value);
    expect(monitor.spec.endpoints[0].port).toBe(metricsService.spec.ports[0].name);
    const rule = objects.find((o) => o.kind === 'PrometheusRule')!;
    const alert = rule.spec.groups[0].rules[0];
    expect(alert.expr).toContain('opsbox_rollouts_finished_total{result="rolled_back"}');
    expect(alert.expr).toContain('increase(');
  });

  it('a rendered object that breaks its schema is reported', async () => {
    const objects = await render('base');
    if (!objects) return;
    const deployment = structuredClone(objects.find((o) => o.kind === 'Deployment')!);
    deployment.spec.replicas = 'one';
    await expect(expectValid([deployment])).rejects.toThrow(/replicas/);
  });

  it('each component renders on its own with the base', async () => {
    if (!(await render('base'))) return;
    for (const component of ['argocd-rbac', 'flux-rbac', 'service-monitor', 'prometheus-rule', 'postgres']) {
      // kustomize takes relative paths only: the overlay is written beside the base for the render
      const dir = await mkdtemp(path.join(DEPLOY, '.render-'));
      try {
        await writeFile(path.join(dir, 'kustomization.yaml'), `resources: [../base]\ncomponents: [../components/${component}]\n`);
        const objects = await kustomize(dir);
        await expectValid(objects);
        expect(objects.length).toBeGreaterThanOrEqual(7);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });

  it('the postgres component: three replicas, DATABASE_URL from a Secret, no volume claim, two kept through a drain', async () => {
    if (!(await render('base'))) return;
    const dir = await mkdtemp(path.join(DEPLOY, '.render-'));
    try {
      await writeFile(path.join(dir, 'kustomization.yaml'), 'resources: [../base]\ncomponents: [../components/postgres]\n');
      const objects = await kustomize(dir);
      await expectValid(objects);
      expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim')).toEqual([]);
      const deployment = objects.find((o) => o.kind === 'Deployment')!;
      expect(deployment.spec.replicas).toBe(3);
      expect(deployment.spec.strategy.type).toBe('RollingUpdate');
      const pod = deployment.spec.template.spec;
      expect(pod.volumes.filter((v: any) => v.persistentVolumeClaim)).toEqual([]);
      expect(pod.volumes).toContainEqual({ name: 'data', emptyDir: {} });
      expect(pod.containers[0].env).toContainEqual({
        name: 'DATABASE_URL',
        valueFrom: { secretKeyRef: { name: 'opsbox-canary-database', key: 'DATABASE_URL' } },
      });
      const budget = objects.find((o) => o.kind === 'PodDisruptionBudget')!;
      expect(budget.spec.minAvailable).toBe(2);
      for (const [key, value] of Object.entries(budget.spec.selector.matchLabels)) expect(deployment.spec.template.metadata.labels[key]).toBe(value);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
