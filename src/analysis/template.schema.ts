/**
 * Schemas of Argo Rollouts' AnalysisTemplate / ClusterAnalysisTemplate (argoproj.io/v1alpha1).
 *
 * Metrics are validated after `{{args.*}}` substitution, so a template may write
 * `count: "{{args.count}}"`; that is why the document schema keeps metrics raw and the metric
 * schema accepts integers written as strings.
 */
import { z } from 'zod';
import { formatKeyPath } from '../config/problems.js';
import { parseDuration } from '../util/duration.js';

export const TEMPLATE_API_VERSION = 'argoproj.io/v1alpha1';
export const TEMPLATE_KINDS = ['AnalysisTemplate', 'ClusterAnalysisTemplate'] as const;

const nonEmpty = z.string().trim().min(1, 'must not be empty');

/** Kubernetes' IntOrString as Argo uses it for count and limits: 3 or "3". */
export const intOrString = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const number = typeof value === 'number' ? value : /^\s*-?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(number)) {
    ctx.addIssue({ code: 'custom', message: `expected an integer, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return number;
});

/** Go duration (`30s`, `5m`) or a number of seconds, as Argo's DurationString. */
const durationString = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return { text: String(value), ms: parseDuration(value) };
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const valueFromSchema = z.record(z.string(), z.unknown());

/** `spec.args[]`: a declared argument, with an optional default. */
export const templateArgSchema = z.strictObject({
  name: nonEmpty,
  value: z.union([z.string(), z.number(), z.boolean()]).transform(String).optional(),
  valueFrom: valueFromSchema.optional(),
});

const dryRunSchema = z.strictObject({ metricName: nonEmpty });
const measurementRetentionSchema = z.strictObject({
  metricName: nonEmpty,
  limit: intOrString.pipe(z.number().int().min(1, 'must be at least 1')),
});

/** `spec.templates[]`: another template whose metrics, args, dryRun and retention rules join this one, as in Argo. */
export const templateRefSchema = z.strictObject({
  templateName: nonEmpty,
  clusterScope: z.boolean().optional(),
});

/**
 * The document around the metrics: header and spec, metrics still raw. Unknown fields are errors:
 * a field this app would ignore (a typo, or an Argo feature it does not know) must not change what
 * a template measures without anyone noticing. Kubernetes metadata other than the name and the
 * annotations is allowed and ignored.
 */
export const templateDocumentSchema = z.strictObject({
  apiVersion: z.literal(TEMPLATE_API_VERSION),
  kind: z.enum(TEMPLATE_KINDS),
  metadata: z.object({ name: nonEmpty, annotations: z.record(z.string(), z.string()).default({}) }),
  spec: z
    .strictObject({
      args: z.array(templateArgSchema).default([]),
      metrics: z.array(z.record(z.string(), z.unknown())).default([]),
      dryRun: z.array(dryRunSchema).default([]),
      measurementRetention: z.array(measurementRetentionSchema).default([]),
      templates: z.array(templateRefSchema).default([]),
    })
    .superRefine((spec, ctx) => {
      // A template that only references others (Argo's composite templates) needs no metrics of its own.
      if (spec.metrics.length === 0 && spec.templates.length === 0) ctx.addIssue({ code: 'custom', path: ['metrics'], message: 'needs at least one metric' });
    }),
});

/**
 * What fetch accepts in a header. Checked here because fetch's own error quotes the rejected value,
 * which is often a credential.
 */
export const headerSchema = z.strictObject({
  key: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name (letters, digits and - only)'),
  value: z.string().regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'must be one line of printable Latin-1 characters (no line breaks)'),
});

export const prometheusProviderSchema = z.strictObject({
  address: nonEmpty.optional(),
  query: nonEmpty,
  /** Seconds, like Argo (a duration string is accepted too). */
  timeout: durationString.optional(),
  headers: z.array(headerSchema).default([]),
  insecure: z.boolean().default(false),
  authentication: z
    .strictObject({
      basicAuth: z.strictObject({ username: z.string(), password: z.string() }).optional(),
      sigv4: z.unknown().optional(),
      oauth2: z.unknown().optional(),
    })
    .optional(),
  rangeQuery: z.strictObject({ start: nonEmpty, end: nonEmpty, step: nonEmpty }).optional(),
});

/** One metric after argument substitution. The provider block is checked separately. */
export const metricSchema = z.strictObject({
  name: nonEmpty,
  interval: durationString.optional(),
  initialDelay: durationString.optional(),
  count: intOrString.pipe(z.number().int().min(0, 'must not be negative')).optional(),
  successCondition: z.string().optional(),
  failureCondition: z.string().optional(),
  failureLimit: intOrString.pipe(z.number().int().min(-1, 'must be -1 (off) or more')).optional(),
  inconclusiveLimit: intOrString.pipe(z.number().int().min(0, 'must not be negative')).optional(),
  consecutiveErrorLimit: intOrString.pipe(z.number().int().min(0, 'must not be negative')).optional(),
  consecutiveSuccessLimit: intOrString.pipe(z.number().int().min(0, 'must not be negative')).optional(),
  provider: z.record(z.string(), z.unknown()),
});

export type TemplateDocument = z.infer<typeof templateDocumentSchema>;
export type TemplateArg = z.infer<typeof templateArgSchema>;
export type ParsedMetric = z.infer<typeof metricSchema>;
export type ParsedPrometheusProvider = z.infer<typeof prometheusProviderSchema>;

/** One line per zod issue: `field: message`, unknown fields named, missing fields called required. */
export function describeIssues(error: z.ZodError, prefix: readonly PropertyKey[] = [], input?: unknown): string {
  return error.issues
    .map((issue) => {
      let path = [...prefix, ...issue.path];
      let message = issue.message;
      if (issue.code === 'unrecognized_keys') {
        message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
        if (issue.keys.length === 1) path = [...path, issue.keys[0]];
      } else if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) {
        message = `is required (${issue.expected})`;
      }
      const where = formatKeyPath(path);
      return where ? `${where}: ${message}` : message;
    })
    .join('; ');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
