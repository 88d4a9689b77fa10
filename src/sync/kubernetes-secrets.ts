/**
 * Reads Secrets of one namespace for `valueFrom.secretKeyRef` arguments. A Secret read is kept for
 * a short while: measurements resolve their templates every interval, and the API server need not
 * be asked each time. Values are decoded here and never appear in a message.
 */
import { ApiException, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { ClusterSecrets } from '../analysis/secrets.js';
import { credentialsOf, KubernetesApiError, redact, statusOf, timeout } from './kubernetes.js';

/** How long a Secret read is reused; a rotated Secret is picked up within this. */
const CACHE_MS = 30_000;

export function kubernetesSecrets(config: KubeConfig, namespace: string, timeoutMs: number, clock: () => number = Date.now): ClusterSecrets {
  const api = config.makeApiClient(CoreV1Api);
  const credentials = credentialsOf(config);
  const cache = new Map<string, { at: number; data: Readonly<Record<string, string>> | null }>();
  return {
    namespace,
    async read(name) {
      const cached = cache.get(name);
      if (cached && clock() - cached.at < CACHE_MS) return cached.data;
      let data: Readonly<Record<string, string>> | null;
      try {
        const options = { middleware: [timeout(timeoutMs)], middlewareMergeStrategy: 'append' as const };
        const secret = await api.readNamespacedSecret({ name, namespace }, options);
        data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
      } catch (error) {
        if (!(error instanceof ApiException && error.code === 404)) throw new KubernetesApiError(redact(describe(name, namespace, error, timeoutMs), credentials), error instanceof ApiException ? error.code : undefined);
        data = null;
      }
      cache.set(name, { at: clock(), data });
      return data;
    },
  };
}

function describe(name: string, namespace: string, error: unknown, timeoutMs: number): string {
  const what = `reading Secret ${namespace}/${name} from the Kubernetes API`;
  if (error instanceof ApiException) {
    const { message, reason } = statusOf(error.body);
    const said = message ? `: ${message}` : reason ? ` ${reason}` : '';
    if (error.code === 403) return `${what}: forbidden (403)${said}; grant the app's account get on secrets in namespace ${namespace}`;
    if (error.code === 401) return `${what}: the API server refused the app's credentials (401)`;
    return `${what}: HTTP ${error.code}${said}`;
  }
  if ((error as { name?: unknown }).name === 'TimeoutError') return `${what}: no answer within ${timeoutMs / 1000}s`;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return `${what}: ${typeof cause?.code === 'string' ? cause.code : error instanceof Error ? error.message : String(error)}`;
}
