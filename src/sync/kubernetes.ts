/**
 * Read access to the cluster, for the sync gates that ask Argo CD or Flux directly. The client is
 * built once, from the environment: the kubeconfig files KUBECONFIG names, or the service account
 * of the pod the app runs in. A personal ~/.kube/config is deliberately not picked up: cluster
 * access is something an operator grants, not something the app finds lying around.
 * Errors say what was read and what the API server answered, never a credential.
 */
import { ApiException, CustomObjectsApi, KubeConfig, setHeaderMiddleware, type ObservableMiddleware } from '@kubernetes/client-node';
import type { KubernetesJobs } from '../analysis/providers/job.js';
import type { ClusterSecrets } from '../analysis/secrets.js';
import { clusterSourceFromEnv } from './cluster-source.js';
import { kubernetesJobs } from './kubernetes-jobs.js';
import { kubernetesSecrets } from './kubernetes-secrets.js';

export interface CustomObjectRef {
  group: string;
  version: string;
  /** The resource's plural name, as in its API path (`applications`). */
  plural: string;
  namespace: string;
  name: string;
}

/** Reads namespaced custom resources. */
export interface CustomObjects {
  /** The object, or null when the API answers 404 (no such object, namespace or resource type). */
  get(ref: CustomObjectRef): Promise<Record<string, unknown> | null>;
}

export type ClusterAccess =
  | {
      configured: true;
      source: string;
      objects: CustomObjects;
      /** Secrets of one namespace (valueFrom.secretKeyRef of templates). */
      secrets(namespace: string): ClusterSecrets;
      /** Jobs of one namespace (the job metric provider). */
      jobs(namespace: string): KubernetesJobs;
    }
  | { configured: false; reason: string };

/** A failed read other than "not found". Worth asking again: the API server may be back, RBAC fixed. */
export class KubernetesApiError extends Error {
  readonly retryable = true;

  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'KubernetesApiError';
  }
}

/** A read that takes longer than this is abandoned; the gate is asked again at the next poll. */
const DEFAULT_TIMEOUT_MS = 10_000;

export function clusterAccessFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  options: { timeoutMs?: number } = {},
): ClusterAccess {
  const loaded = loadKubeConfig(env);
  if ('reason' in loaded) return { configured: false, reason: loaded.reason };
  if (!loaded.config.getCurrentCluster()) {
    return { configured: false, reason: `${loaded.source} has no current context with a cluster` };
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { config } = loaded;
  return {
    configured: true,
    source: loaded.source,
    objects: customObjects(config, timeoutMs),
    secrets: (namespace) => kubernetesSecrets(config, namespace, timeoutMs),
    jobs: (namespace) => kubernetesJobs(config, namespace, timeoutMs),
  };
}

function loadKubeConfig(env: Readonly<Record<string, string | undefined>>): { config: KubeConfig; source: string } | { reason: string } {
  const where = clusterSourceFromEnv(env);
  if (where.kind === 'none') return { reason: where.reason };
  const config = new KubeConfig();
  if (where.kind === 'in-cluster') {
    config.loadFromCluster();
    return { config, source: where.source };
  }
  try {
    config.loadFromFile(where.files[0]);
    for (const file of where.files.slice(1)) {
      const more = new KubeConfig();
      more.loadFromFile(file);
      // like kubectl: the first file that names a current context decides it
      config.mergeConfig(more, Boolean(config.getCurrentContext()));
    }
  } catch (error) {
    return { reason: `${where.source} could not be loaded (${loadFailure(error)})` };
  }
  return { config, source: where.source };
}

/** A file system error code, never the parser's message: that quotes the file, credentials included. */
function loadFailure(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'not a valid kubeconfig';
}

function customObjects(config: KubeConfig, timeoutMs: number): CustomObjects {
  const api = config.makeApiClient(CustomObjectsApi);
  const secrets = credentialsOf(config);
  return {
    async get(ref) {
      try {
        const options = { middleware: [timeout(timeoutMs)], middlewareMergeStrategy: 'append' as const };
        return (await api.getNamespacedCustomObject(ref, options)) as Record<string, unknown>;
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) return null;
        throw new KubernetesApiError(redact(describeFailure(ref, error, timeoutMs), secrets), error instanceof ApiException ? error.code : undefined);
      }
    },
  };
}

/** Aborts a request after `ms`; the public helper is the way to build an observable middleware. */
export function timeout(ms: number): ObservableMiddleware {
  const json = setHeaderMiddleware('Accept', 'application/json');
  return {
    pre: (request) => {
      request.setSignal(AbortSignal.timeout(ms));
      return json.pre(request);
    },
    post: json.post,
  };
}

function describeFailure(ref: CustomObjectRef, error: unknown, timeoutMs: number): string {
  const what = `reading ${ref.plural}.${ref.group} ${ref.namespace}/${ref.name} from the Kubernetes API`;
  if (error instanceof ApiException) {
    const status = statusOf(error.body);
    const said = status.message ? `: ${status.message}` : status.reason ? ` ${status.reason}` : '';
    if (error.code === 401) return `${what}: the API server refused the app's credentials (401)${said}`;
    if (error.code === 403) {
      return `${what}: forbidden (403)${said}; grant the app's account get on ${ref.plural}.${ref.group} in namespace ${ref.namespace}`;
    }
    return `${what}: HTTP ${error.code}${said}`;
  }
  if ((error as { name?: unknown }).name === 'TimeoutError') return `${what}: no answer within ${timeoutMs / 1000}s`;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const reason = typeof cause?.code === 'string' ? cause.code : error instanceof Error ? error.message : String(error);
  return `${what}: ${reason}`;
}

/** The API server's `Status` object, when the body is one. */
export function statusOf(body: unknown): { message?: string; reason?: string } {
  try {
    const parsed: unknown = typeof body === 'string' ? JSON.parse(body) : body;
    if (typeof parsed !== 'object' || parsed === null) return {};
    const { message, reason } = parsed as { message?: unknown; reason?: unknown };
    return { message: typeof message === 'string' ? message : undefined, reason: typeof reason === 'string' ? reason : undefined };
  } catch {
    return {};
  }
}

/** The credentials a kubeconfig holds inline, so that no message can carry one even if a proxy echoes it. */
export function credentialsOf(config: KubeConfig): string[] {
  const user = config.getCurrentUser();
  const providerConfig = (user?.authProvider as { config?: Record<string, unknown> } | undefined)?.config ?? {};
  const values = [user?.token, user?.password, user?.keyData, ...Object.values(providerConfig)];
  return values.filter((value): value is string => typeof value === 'string' && value.length >= 8);
}

/** Known credentials, and any bearer token (a mounted or exec-plugin token the config does not hold). */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text).replace(/\b(Bearer)\s+[^\s"',;]+/gi, '$1 [redacted]');
}
