/**
 * Whether the Argo CD Application or Flux Kustomization a service's sync gate waits on exists,
 * read when the app has cluster access. A missing one would fail the first step after the merge.
 */
import type { ServiceConfig } from '../config/opsbox.schema.js';
import type { ConfigProblem } from '../config/problems.js';
import { APPLICATIONS } from '../sync/argocd.js';
import { KUSTOMIZATIONS } from '../sync/flux.js';
import type { CustomObjects } from '../sync/kubernetes.js';

export interface ClusterObjectsSeen {
  /** `Application argocd/api exists`, one line per gate found. */
  found: string[];
  problems: ConfigProblem[];
}

export async function checkSyncObjects(objects: CustomObjects, name: string, service: ServiceConfig, configFile: string): Promise<ClusterObjectsSeen> {
  const wanted = [
    ...(service.sync.argocd
      ? [{ key: 'argocd', label: `Application ${service.sync.argocd.namespace}/${service.sync.argocd.application}`, ref: { ...APPLICATIONS, namespace: service.sync.argocd.namespace, name: service.sync.argocd.application } }]
      : []),
    ...(service.sync.flux
      ? [{ key: 'flux', label: `Kustomization ${service.sync.flux.namespace}/${service.sync.flux.kustomization}`, ref: { ...KUSTOMIZATIONS, namespace: service.sync.flux.namespace, name: service.sync.flux.kustomization } }]
      : []),
  ];
  const seen: ClusterObjectsSeen = { found: [], problems: [] };
  for (const gate of wanted) {
    const key = `services.${name}.sync.${gate.key}`;
    try {
      if (await objects.get(gate.ref)) seen.found.push(`${gate.label} exists in the cluster`);
      else seen.problems.push({ file: configFile, key, message: `${gate.label} was not found in the cluster; check the name and namespace, or create it before merging` });
    } catch (error) {
      seen.problems.push({ file: configFile, key, message: `${gate.label} could not be read: ${(error as Error).message}` });
    }
  }
  return seen;
}
