/**
 * Argo Rollouts' `provider.job`: each measurement creates a Kubernetes Job from `{metadata, spec}`
 * in the namespace the operator set aside for them (OPSBOX_JOB_NAMESPACE), and is Successful when
 * the Job completes, Failed when it fails. Jobs get a name derived from the rollout and the metric,
 * no ownerReferences (nothing in the cluster owns them) and a ttlSecondsAfterFinished so they do
 * not pile up. A Job the measurement stops waiting for is deleted (propagationPolicy Background).
 *
 * Unlike Argo, a measurement does not wait forever: effects of one rollout run one at a time, so a
 * Job that never finishes would hold up its rollout. It waits up to the Job's activeDeadlineSeconds
 * (plus a grace period) or DEFAULT_JOB_WAIT_MS.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AnalysisTemplateError, MeasurementError } from '../errors.js';
import { describeIssues } from '../template.schema.js';
import type { MetricProvider, ProviderResult, ResolvedMetric } from '../types.js';
import { formatDuration } from '../../util/duration.js';
import type { ProviderDefinition } from './types.js';

export const JOB_NAMESPACE_ENV = 'OPSBOX_JOB_NAMESPACE';
/** How long a finished Job stays for `kubectl logs` when the template sets no ttlSecondsAfterFinished. */
export const DEFAULT_JOB_TTL_SECONDS = 3600;
/** How long a measurement waits for a Job without activeDeadlineSeconds. */
export const DEFAULT_JOB_WAIT_MS = 10 * 60_000;
/** Added to activeDeadlineSeconds: the Job controller needs a moment to mark the Job failed. */
const DEADLINE_GRACE_MS = 30_000;
const DEFAULT_POLL_MS = 2_000;
/** Kubernetes puts the Job name in a pod label, so it must fit a label value. */
export const MAX_JOB_NAME_LENGTH = 63;

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const ROLLOUT_ANNOTATION = 'opsbox.dev/rollout';
export const METRIC_ANNOTATION = 'opsbox.dev/metric';

/** A batch/v1 Job as this provider reads it back. */
export interface KubeJob {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown };
  spec: Record<string, unknown>;
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[]; [key: string]: unknown };
}

/** The Jobs of one namespace (the Kubernetes edge implements it). */
export interface KubernetesJobs {
  readonly namespace: string;
  /** Creates the Job; `exists` when one of that name is already there (a measurement replayed). */
  create(job: KubeJob): Promise<'created' | 'exists'>;
  /** The Job, or null when there is none. */
  get(name: string): Promise<KubeJob | null>;
  /** Deletes the Job and, in the background, its pods; `absent` when it was already gone. */
  delete(name: string): Promise<'deleted' | 'absent'>;
}

/** Where job metrics can run in this installation, or why they cannot. */
export type JobAccess = { jobs: KubernetesJobs } | { unavailable: string };

/** Which rollout measurement a Job belongs to: its name is derived from these. */
export interface JobRunContext {
  readonly rollout: string;
  readonly service: string;
  /** Stable across a replay of the same measurement (the effect id), so a replay finds its Job. */
  readonly measurement: string;
}

export interface JobQuerySpec {
  readonly metadata: { readonly labels: Readonly<Record<string, string>>; readonly annotations: Readonly<Record<string, string>> };
  readonly spec: Readonly<Record<string, unknown>>;
}

const stringMap = z.record(z.string(), z.string()).default({});

export const jobProviderSchema = z.strictObject({
  metadata: z.object({ labels: stringMap, annotations: stringMap }).loose().default({ labels: {}, annotations: {} }),
  spec: z
    .object({
      template: z
        .object({
          spec: z.object({ containers: z.array(z.object({}).loose()).min(1, 'a Job needs at least one container') }).loose(),
        })
        .loose(),
    })
    .loose(),
});

export const jobProvider: ProviderDefinition<JobQuerySpec> = {
  kind: 'job',
  schema: jobProviderSchema,
  resolve(raw, { field, fieldPrefix }) {
    const parsed = jobProviderSchema.safeParse(raw);
    if (!parsed.success) {
      const { field: _field, ...location } = field('provider.job');
      throw new AnalysisTemplateError('metric-invalid', describeIssues(parsed.error, [...fieldPrefix, 'provider', 'job'], raw), location);
    }
    const { metadata, spec } = parsed.data;
    const restartPolicy = (spec.template.spec as { restartPolicy?: unknown }).restartPolicy;
    if (restartPolicy !== 'Never' && restartPolicy !== 'OnFailure') {
      throw new AnalysisTemplateError('metric-invalid', `a Job's pods need restartPolicy Never or OnFailure (got ${JSON.stringify(restartPolicy ?? null)}); set spec.template.spec.restartPolicy`, field('provider.job.spec.template.spec.restartPolicy'));
    }
    return { metadata: { labels: metadata.labels, annotations: metadata.annotations }, spec };
  },
  evidence(spec) {
    const containers = ((spec.spec.template as { spec: { containers: { image?: unknown }[] } }).spec.containers ?? []).map((c) => (typeof c.image === 'string' ? c.image : '?'));
    return { query: `Job running ${containers.join(', ')}` };
  },
  secrets() {
    // Secret arguments substituted into the spec are redacted by the registry (secretValues).
    return [];
  },
  create(_env, options) {
    const access = options.jobs ?? { unavailable: `the app was given no cluster access for Jobs; set ${JOB_NAMESPACE_ENV} and KUBECONFIG (or run it in the cluster)` };
    return new JobProvider(access, options.run);
  },
};

export interface JobProviderOptions {
  readonly pollMs?: number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export class JobProvider implements MetricProvider {
  constructor(
    private readonly access: JobAccess,
    private readonly run: JobRunContext | undefined,
    private readonly options: JobProviderOptions = {},
  ) {}

  async measure(metric: ResolvedMetric, signal?: AbortSignal): Promise<ProviderResult> {
    if (!metric.job) throw new MeasurementError('provider-mismatch', `metric "${metric.name}" is not a job metric`);
    if ('unavailable' in this.access) throw new MeasurementError('provider-unsupported', `job metric "${metric.name}" cannot run: ${this.access.unavailable}`);
    const { jobs } = this.access;
    const run = this.run ?? { rollout: 'opsbox-analyze', service: 'analyze', measurement: String(Date.now()) };
    const job = buildJob(metric.job, metric.name, run, jobs.namespace);
    const name = job.metadata.name;
    await jobs.create(job);

    const deadline = (metric.job.spec.activeDeadlineSeconds as number | undefined) ?? undefined;
    const waitMs = typeof deadline === 'number' && deadline > 0 ? deadline * 1000 + DEADLINE_GRACE_MS : DEFAULT_JOB_WAIT_MS;
    const pollMs = this.options.pollMs ?? DEFAULT_POLL_MS;
    const sleep = this.options.sleep ?? sleepFor;
    const where = `Job ${jobs.namespace}/${name}`;
    // Bounded: at most waitMs / pollMs reads.
    for (let waited = 0; ; waited += pollMs) {
      if (signal?.aborted) {
        await jobs.delete(name).catch(() => undefined);
        throw new MeasurementError('aborted', `the measurement was cancelled; ${where} was deleted`);
      }
      const current = await jobs.get(name);
      if (!current) throw new MeasurementError('bad-response', `${where} disappeared before it finished (deleted by someone else?)`);
      const verdict = jobVerdict(current);
      if (verdict) return { value: verdict.phase, raw: `${where}: ${verdict.detail}` };
      if (waited >= waitMs) {
        await jobs.delete(name).catch(() => undefined);
        throw new MeasurementError('timeout', `${where} did not finish within ${formatDuration(waitMs)}; it was deleted. Set spec.activeDeadlineSeconds to allow longer`);
      }
      await sleep(pollMs, signal);
    }
  }
}

/** Successful once the Job has the Complete condition, Failed once it has Failed; otherwise still running. */
export function jobVerdict(job: KubeJob): { phase: 'Successful' | 'Failed'; detail: string } | undefined {
  const conditions = job.status?.conditions ?? [];
  const holds = (type: string) => conditions.find((c) => c.type === type && c.status === 'True');
  const failed = holds('Failed');
  if (failed) return { phase: 'Failed', detail: `failed${failed.reason ? ` (${failed.reason})` : ''}${failed.message ? `: ${failed.message}` : ''}` };
  if (holds('Complete')) return { phase: 'Successful', detail: 'complete' };
  return undefined;
}

/** The Job a measurement creates: the template's metadata and spec, a derived name, a TTL, no owner. */
export function buildJob(spec: JobQuerySpec, metricName: string, run: JobRunContext, namespace: string): KubeJob {
  const jobSpec = { ...spec.spec } as Record<string, unknown>;
  if (jobSpec.ttlSecondsAfterFinished === undefined) jobSpec.ttlSecondsAfterFinished = DEFAULT_JOB_TTL_SECONDS;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(run, metricName),
      namespace,
      labels: { ...spec.metadata.labels, [MANAGED_BY_LABEL]: 'opsbox-canary' },
      annotations: { ...spec.metadata.annotations, [ROLLOUT_ANNOTATION]: run.rollout, [METRIC_ANNOTATION]: metricName },
    },
    spec: jobSpec,
  };
}

/**
 * `<service>-<metric>-<hash>`: DNS-1123 (lower-case alphanumerics and `-`), at most 63 characters,
 * unique per rollout, metric and measurement through the hash.
 */
export function jobName(run: JobRunContext, metricName: string): string {
  const hash = createHash('sha256').update(`${run.rollout}\n${metricName}\n${run.measurement}`).digest('hex').slice(0, 10);
  const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const room = MAX_JOB_NAME_LENGTH - hash.length - 1;
  const base = [slug(run.service), slug(metricName)].filter(Boolean).join('-').slice(0, room).replace(/-+$/g, '');
  return base ? `${base}-${hash}` : `opsbox-${hash}`;
}

function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Where job metrics may run: the Jobs of OPSBOX_JOB_NAMESPACE when the app has cluster access. There
 * is no default namespace: the app's own holds its private key, which a Job from any installed
 * repository could otherwise mount.
 */
export function jobAccessFor(
  cluster: { configured: true; jobs(namespace: string): KubernetesJobs } | { configured: false; reason: string },
  env: Readonly<Record<string, string | undefined>>,
): JobAccess {
  const namespace = env[JOB_NAMESPACE_ENV]?.trim();
  if (!namespace) {
    return {
      unavailable:
        `${JOB_NAMESPACE_ENV} is not set; the operator sets it to the namespace job metrics may create Jobs in ` +
        `(not the app's own namespace, which holds its private key)`,
    };
  }
  if (!cluster.configured) {
    return {
      unavailable:
        `the app has no cluster access (${cluster.reason}); set KUBECONFIG for the app, or run it in the cluster ` +
        `with a service account allowed to create, get and delete jobs.batch in namespace ${namespace}`,
    };
  }
  return { jobs: cluster.jobs(namespace) };
}
