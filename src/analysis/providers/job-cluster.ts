/**
 * Job access for a process that has not loaded the Kubernetes client (the CLI): it is loaded only
 * when the environment names a cluster, as the app's runtime does.
 */
import { clusterSourceFromEnv } from '../../sync/cluster-source.js';
import { jobAccessFor, type JobAccess } from './job.js';

export async function jobAccessFromEnv(env: Readonly<Record<string, string | undefined>>): Promise<JobAccess> {
  const source = clusterSourceFromEnv(env);
  if (source.kind === 'none') return jobAccessFor({ configured: false, reason: source.reason }, env);
  const { clusterAccessFromEnv } = await import('../../sync/kubernetes.js');
  return jobAccessFor(clusterAccessFromEnv(env), env);
}
