/**
 * Where cluster access would come from, decided from the environment alone: the kubeconfig files
 * KUBECONFIG names, or the service account of the pod the app runs in. Kept apart from the
 * Kubernetes client (kubernetes.ts) so a process without cluster access never loads that client,
 * which alone costs tens of MiB of memory.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export type ClusterSource =
  | { kind: 'kubeconfig'; files: string[]; source: string }
  | { kind: 'in-cluster'; source: string }
  | { kind: 'none'; reason: string };

export function clusterSourceFromEnv(env: Readonly<Record<string, string | undefined>>): ClusterSource {
  const files = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  if (files.length > 0) return { kind: 'kubeconfig', files, source: `KUBECONFIG (${files.join(path.delimiter)})` };
  if (env.KUBERNETES_SERVICE_HOST) {
    if (!existsSync(SERVICE_ACCOUNT_TOKEN)) {
      return { kind: 'none', reason: `the app runs in a cluster but has no service account token at ${SERVICE_ACCOUNT_TOKEN} (automountServiceAccountToken is off?)` };
    }
    return { kind: 'in-cluster', source: 'the in-cluster service account' };
  }
  return { kind: 'none', reason: 'neither KUBECONFIG nor an in-cluster service account is set' };
}
