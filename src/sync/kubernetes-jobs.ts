/**
 * Creates, reads and deletes the Jobs of job metrics in one namespace. Errors say what was done and
 * what the API server answered (a 403 names the grant to add), never a credential.
 */
import { ApiException, BatchV1Api, type KubeConfig, type V1Job } from '@kubernetes/client-node';
import type { KubeJob, KubernetesJobs } from '../analysis/providers/job.js';
import { credentialsOf, KubernetesApiError, redact, statusOf, timeout } from './kubernetes.js';

export function kubernetesJobs(config: KubeConfig, namespace: string, timeoutMs: number): KubernetesJobs {
  const api = config.makeApiClient(BatchV1Api);
  const credentials = credentialsOf(config);
  const options = () => ({ middleware: [timeout(timeoutMs)], middlewareMergeStrategy: 'append' as const });
  const fail = (verb: string, name: string, error: unknown) =>
    new KubernetesApiError(redact(describe(verb, namespace, name, error, timeoutMs), credentials), error instanceof ApiException ? error.code : undefined);
  return {
    namespace,
    async create(job) {
      try {
        await api.createNamespacedJob({ namespace, body: job as unknown as V1Job }, options());
        return 'created';
      } catch (error) {
        if (error instanceof ApiException && error.code === 409) return 'exists';
        throw fail('create', job.metadata.name, error);
      }
    },
    async get(name) {
      try {
        return (await api.readNamespacedJob({ name, namespace }, options())) as unknown as KubeJob;
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) return null;
        throw fail('get', name, error);
      }
    },
    async delete(name) {
      try {
        await api.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }, options());
        return 'deleted';
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) return 'absent';
        throw fail('delete', name, error);
      }
    },
  };
}

function describe(verb: string, namespace: string, name: string, error: unknown, timeoutMs: number): string {
  const what = `${verb === 'get' ? 'reading' : verb === 'create' ? 'creating' : 'deleting'} Job ${namespace}/${name} through the Kubernetes API`;
  if (error instanceof ApiException) {
    const { message, reason } = statusOf(error.body);
    const said = message ? `: ${message}` : reason ? ` ${reason}` : '';
    if (error.code === 403) return `${what}: forbidden (403)${said}; grant the app's account ${verb} on jobs.batch in namespace ${namespace}`;
    if (error.code === 401) return `${what}: the API server refused the app's credentials (401)`;
    return `${what}: HTTP ${error.code}${said}`;
  }
  if ((error as { name?: unknown }).name === 'TimeoutError') return `${what}: no answer within ${timeoutMs / 1000}s`;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return `${what}: ${typeof cause?.code === 'string' ? cause.code : error instanceof Error ? error.message : String(error)}`;
}
