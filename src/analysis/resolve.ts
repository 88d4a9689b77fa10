/**
 * Turns referenced templates plus step arguments into validated, runnable metrics, the way Argo
 * Rollouts builds an AnalysisRun: templates are merged, arguments substituted, and every metric is
 * checked (schedule, limits, provider, conditions) before anything is measured.
 */
import { EMPTY_RESULT_ANNOTATION, EMPTY_RESULT_MODES, type EmptyResultMode } from './conditions.js';
import { ConditionError, compileCondition } from './expr/index.js';
import { mergeArgs, substituteArgs, type StepArg } from './args.js';
import type { ClusterSecretValues, SecretEnv } from './secrets.js';
import { AnalysisTemplateError, type TemplateLocation } from './errors.js';
import { describeIssues, metricSchema, type ParsedMetric } from './template.schema.js';
import { resolveProviderBlock } from './providers/registry.js';
import { findTemplate, type LoadedTemplate, type TemplateCatalog, type TemplateRef } from './templates.js';
import type { ResolvedMetric, TemplateKind } from './types.js';
import { findJudge, resolveJudge, type LoadedJudge } from './judge/judges.js';
import { judgeRunMetric } from './judge/run-metric.js';

/** Argo's defaults. */
export const DEFAULT_FAILURE_LIMIT = 0;
export const DEFAULT_INCONCLUSIVE_LIMIT = 0;
export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;
export const DEFAULT_CONSECUTIVE_SUCCESS_LIMIT = 0;
export const DEFAULT_MEASUREMENT_RETENTION = 10;
export { DEFAULT_PROMETHEUS_TIMEOUT_MS } from './providers/prometheus.js';

export interface DryRunRule {
  readonly metricName: string;
}

export interface MeasurementRetentionRule {
  readonly metricName: string;
  readonly limit: number;
}

/** An analysis as a rollout step (or background analysis) writes it. */
export interface AnalysisRequest {
  /**
   * Where `valueFrom.secretKeyRef` arguments are read (OPSBOX_SECRET_<NAME>_<KEY>). `not-read`: a
   * check that measures nothing, the value is a placeholder. Unset: such arguments are refused.
   */
  readonly env?: SecretEnv | 'not-read';
  /** Secrets read from the cluster (prefetchClusterSecrets); `env` is the fallback. */
  readonly clusterSecrets?: ClusterSecretValues;
  readonly templates: readonly TemplateRef[];
  readonly args?: readonly StepArg[];
  readonly dryRun?: readonly DryRunRule[];
  readonly measurementRetention?: readonly MeasurementRetentionRule[];
}

export interface ResolvedAnalysis {
  readonly metrics: ResolvedMetric[];
  /** Argument values after merging; may include values a user considers sensitive, do not log. */
  readonly args: Readonly<Record<string, string>>;
  readonly templates: readonly { readonly kind: TemplateKind | 'CanaryJudge'; readonly name: string; readonly file: string }[];
}

/**
 * Finds the referenced templates in the catalog and resolves them into one run's metrics. A
 * reference that names no AnalysisTemplate but a CanaryJudge of `judges` becomes one judge metric.
 */
export function resolveAnalysis(catalog: TemplateCatalog, request: AnalysisRequest, judges: readonly LoadedJudge[] = []): ResolvedAnalysis {
  if (request.templates.length === 0) {
    throw new AnalysisTemplateError('template-not-found', 'the analysis references no template; add templates: [{ templateName: ... }]');
  }
  const judgeOf = (ref: TemplateRef) =>
    ref.clusterScope || catalog.templates.some((t) => t.kind === 'AnalysisTemplate' && t.name === ref.templateName) ? undefined : findJudge(judges, ref.templateName);
  const judged = request.templates.flatMap((ref) => judgeOf(ref) ?? []);
  const templates = collectTemplates(catalog, request.templates.filter((ref) => !judgeOf(ref)));
  const resolved = templates.length > 0 ? resolveTemplates(templates, request) : { metrics: [], args: {}, templates: [] };
  if (judged.length === 0) return resolved;
  const judgeMetrics = judged.map((judge) => judgeRunMetric(resolveJudge(judge, { args: request.args, dryRun: request.dryRun })));
  for (const metric of judgeMetrics) {
    if (resolved.metrics.some((m) => m.name === metric.name)) {
      throw new AnalysisTemplateError('metric-invalid', `CanaryJudge "${metric.name}" has the name of a metric of the templates run with it; rename one of them`, {
        file: metric.source.file,
        template: metric.name,
      });
    }
  }
  return {
    metrics: [...resolved.metrics, ...judgeMetrics],
    args: resolved.args,
    templates: [...resolved.templates, ...judged.map(({ name, file }) => ({ kind: 'CanaryJudge' as const, name, file }))],
  };
}

/**
 * The templates an analysis runs, as Argo Rollouts gathers them: each referenced template followed
 * by the templates it references in `spec.templates` (depth first), each template once. Roots are
 * references or already selected templates. A reference cycle is an error (Argo would never finish).
 */
export function collectTemplates(catalog: TemplateCatalog, roots: readonly (TemplateRef | LoadedTemplate)[]): LoadedTemplate[] {
  const collected: LoadedTemplate[] = [];
  const seen = new Set<string>();
  const visit = (template: LoadedTemplate, path: readonly LoadedTemplate[]): void => {
    const cycleStart = path.findIndex((t) => t.kind === template.kind && t.name === template.name);
    if (cycleStart >= 0) {
      const cycle = [...path.slice(cycleStart), template].map((t) => `"${t.name}"`).join(' → ');
      const referrer = path[path.length - 1];
      throw new AnalysisTemplateError('template-invalid', `spec.templates makes a cycle (${cycle}); a template cannot include itself`, {
        file: referrer.file,
        template: referrer.name,
      });
    }
    const key = templateKey(template);
    if (seen.has(key)) return;
    seen.add(key);
    collected.push(template);
    template.spec.templates.forEach((ref, index) => {
      const inner = findTemplate(catalog, ref, { file: template.file, template: template.name, field: `spec.templates[${index}]` });
      visit(inner, [...path, template]);
    });
  };
  for (const root of roots) visit('spec' in root ? root : findTemplate(catalog, root), []);
  return collected;
}

function templateKey(template: { kind: TemplateKind; name: string }): string {
  return `${template.kind}/${template.name}`;
}

/** Resolves already selected templates (several are merged into one run, as in Argo). */
export function resolveTemplates(templates: readonly LoadedTemplate[], options: Omit<AnalysisRequest, 'templates'> = {}): ResolvedAnalysis {
  checkReferencesIncluded(templates);
  const secretArgs = { env: options.env === 'not-read' ? undefined : options.env, cluster: options.clusterSecrets, values: [] as string[] };
  const readsSecrets = options.env !== undefined || options.clusterSecrets !== undefined;
  const args = mergeArgs(templates, options.args ?? [], options.env === 'not-read' ? 'not-read' : readsSecrets ? secretArgs : undefined);
  const parsed: { metric: ResolvedMetricDraft; template: LoadedTemplate }[] = [];
  const owners = new Map<string, LoadedTemplate>();
  for (const template of templates) {
    template.spec.metrics.forEach((raw, index) => {
      const metric = resolveMetric(template, raw, index, args);
      const owner = owners.get(metric.name);
      if (owner) {
        const elsewhere = owner === template ? 'twice in this template' : `also in template "${owner.name}" (${owner.file})`;
        throw new AnalysisTemplateError('metric-invalid', `metric name "${metric.name}" is used ${elsewhere}; metric names must be unique in one analysis`, {
          file: template.file,
          template: template.name,
          metric: metric.name,
        });
      }
      owners.set(metric.name, template);
      parsed.push({ metric, template });
    });
  }

  const names = parsed.map(({ metric }) => metric.name);
  if (names.length === 0) {
    throw new AnalysisTemplateError('metric-invalid', `the templates ${templates.map((t) => `"${t.name}"`).join(', ')} define no metric; add spec.metrics`, {
      file: templates[0]?.file,
    });
  }
  const dryRunRules = [
    ...templates.flatMap((t) => t.spec.dryRun.map((rule, i) => ({ rule, where: { file: t.file, template: t.name, field: `spec.dryRun[${i}]` } }))),
    ...(options.dryRun ?? []).map((rule, i) => ({ rule, where: { field: `dryRun[${i}]` } })),
  ];
  rejectRepeatedRules('dryRun', dryRunRules);
  const dryRun = new Set<string>();
  for (const { rule, where } of dryRunRules) for (const name of matchRule(rule.metricName, names, where)) dryRun.add(name);

  const retentionRules = [
    ...templates.flatMap((t) =>
      t.spec.measurementRetention.map((rule, i) => ({ rule, where: { file: t.file, template: t.name, field: `spec.measurementRetention[${i}]` } })),
    ),
    ...(options.measurementRetention ?? []).map((rule, i) => ({ rule, where: { field: `measurementRetention[${i}]` } })),
  ];
  rejectRepeatedRules('measurementRetention', retentionRules);
  const retention = new Map<string, number>();
  for (const { rule, where } of retentionRules) {
    if (!Number.isInteger(rule.limit) || rule.limit < 1) {
      throw new AnalysisTemplateError('metric-invalid', `limit must be a whole number of at least 1 (got ${rule.limit})`, where);
    }
    for (const name of matchRule(rule.metricName, names, where)) retention.set(name, rule.limit);
  }

  const metrics = parsed.map(({ metric }) => ({
    ...metric,
    dryRun: dryRun.has(metric.name),
    measurementRetention: retention.get(metric.name) ?? DEFAULT_MEASUREMENT_RETENTION,
    ...(secretArgs.values.length > 0 ? { secretValues: [...secretArgs.values] } : {}),
  }));
  return { metrics, args, templates: templates.map(({ kind, name, file }) => ({ kind, name, file })) };
}

type ResolvedMetricDraft = ResolvedMetric extends infer M ? (M extends ResolvedMetric ? Omit<M, 'dryRun' | 'measurementRetention'> : never) : never;

/** Templates passed in together must include every template they reference, or metrics would be lost. */
function checkReferencesIncluded(templates: readonly LoadedTemplate[]): void {
  const included = new Set(templates.map(templateKey));
  for (const template of templates) {
    template.spec.templates.forEach((ref, index) => {
      const kind: TemplateKind = ref.clusterScope ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate';
      if (!included.has(templateKey({ kind, name: ref.templateName }))) {
        throw new AnalysisTemplateError('template-not-found', `${kind} "${ref.templateName}" is referenced but was not loaded with this template; load the file or folder that defines it`, {
          file: template.file,
          template: template.name,
          field: `spec.templates[${index}]`,
        });
      }
    });
  }
}

/** Argo refuses two dryRun (or measurementRetention) rules for one metric name, across templates and the step. */
function rejectRepeatedRules(kind: string, rules: readonly { rule: { metricName: string }; where: TemplateLocation }[]): void {
  const first = new Map<string, TemplateLocation>();
  for (const { rule, where } of rules) {
    const earlier = first.get(rule.metricName);
    if (earlier) {
      const there = [earlier.template ? `template "${earlier.template}"` : 'the analysis step', earlier.field].filter(Boolean).join(' ');
      throw new AnalysisTemplateError('metric-invalid', `a second ${kind} rule for metricName ${JSON.stringify(rule.metricName)} (the first is in ${there}); keep one`, where);
    }
    first.set(rule.metricName, where);
  }
}

function resolveMetric(template: LoadedTemplate, raw: Record<string, unknown>, index: number, args: Readonly<Record<string, string>>): ResolvedMetricDraft {
  const fieldPrefix = ['spec', 'metrics', index];
  const location: TemplateLocation = {
    file: template.file,
    template: template.name,
    metric: typeof raw.name === 'string' ? raw.name : undefined,
  };
  const substituted = substituteArgs(raw, args, { location, fieldPrefix });
  const parsed = metricSchema.safeParse(substituted);
  if (!parsed.success) {
    throw new AnalysisTemplateError('metric-invalid', describeIssues(parsed.error, fieldPrefix, substituted), location);
  }
  const metric = parsed.data;
  const field = (name: string) => ({ ...location, field: `spec.metrics[${index}].${name}` });

  validateLimits(metric, field);
  const provider = resolveProviderBlock(metric.provider, { field, fieldPrefix });
  // An empty condition is no condition, as in Argo.
  const conditions = { successCondition: blankToUndefined(metric.successCondition), failureCondition: blankToUndefined(metric.failureCondition) };
  for (const key of ['successCondition', 'failureCondition'] as const) {
    const condition = conditions[key];
    if (condition === undefined) continue;
    try {
      compileCondition(condition);
    } catch (error) {
      const reason = error instanceof ConditionError ? error.detail : (error as Error).message;
      throw new AnalysisTemplateError('metric-invalid', `${key} ${JSON.stringify(condition)} is not valid: ${reason}`, field(key));
    }
  }

  return {
    name: metric.name,
    ...(emptyResultMode(template) === 'evaluate' ? { emptyResult: 'evaluate' as const } : {}),
    interval: metric.interval?.text,
    intervalMs: metric.interval?.ms,
    initialDelay: metric.initialDelay?.text,
    initialDelayMs: metric.initialDelay?.ms,
    count: metric.count || undefined,
    ...conditions,
    failureLimit: metric.failureLimit ?? DEFAULT_FAILURE_LIMIT,
    inconclusiveLimit: metric.inconclusiveLimit ?? DEFAULT_INCONCLUSIVE_LIMIT,
    consecutiveErrorLimit: metric.consecutiveErrorLimit ?? DEFAULT_CONSECUTIVE_ERROR_LIMIT,
    consecutiveSuccessLimit: metric.consecutiveSuccessLimit ?? DEFAULT_CONSECUTIVE_SUCCESS_LIMIT,
    ...provider,
    source: { file: template.file, template: template.name, kind: template.kind },
  } as ResolvedMetricDraft;
}

/** How the template wants an empty result judged (its opsbox.dev/empty-result annotation). */
function emptyResultMode(template: LoadedTemplate): EmptyResultMode {
  const value = template.annotations[EMPTY_RESULT_ANNOTATION];
  if (value === undefined) return 'error';
  if ((EMPTY_RESULT_MODES as readonly string[]).includes(value)) return value as EmptyResultMode;
  throw new AnalysisTemplateError(
    'template-invalid',
    `annotation ${EMPTY_RESULT_ANNOTATION} must be one of ${EMPTY_RESULT_MODES.join(', ')} (got ${JSON.stringify(value)})`,
    { file: template.file, template: template.name, field: `metadata.annotations["${EMPTY_RESULT_ANNOTATION}"]` },
  );
}

/** Argo's metric validation: counts, intervals and limits that can be satisfied. */
function validateLimits(metric: ParsedMetric, field: (name: string) => TemplateLocation): void {
  const count = metric.count || undefined;
  if (count !== undefined && count > 1 && !metric.interval) {
    throw new AnalysisTemplateError('metric-invalid', `count ${count} needs an interval between the measurements; add interval (e.g. 1m)`, field('interval'));
  }
  if (metric.interval && metric.interval.ms <= 0) {
    throw new AnalysisTemplateError('metric-invalid', 'interval must be longer than 0s', field('interval'));
  }
  if (count === undefined) return;
  const failureLimit = Math.max(metric.failureLimit ?? DEFAULT_FAILURE_LIMIT, 0);
  const successLimit = metric.consecutiveSuccessLimit ?? DEFAULT_CONSECUTIVE_SUCCESS_LIMIT;
  if (count < failureLimit + successLimit) {
    throw new AnalysisTemplateError(
      'metric-invalid',
      `count (${count}) must be >= failureLimit (${failureLimit}) + consecutiveSuccessLimit (${successLimit}), or the limits can never be reached`,
      field('count'),
    );
  }
  const inconclusiveLimit = metric.inconclusiveLimit ?? DEFAULT_INCONCLUSIVE_LIMIT;
  if (count < inconclusiveLimit) {
    throw new AnalysisTemplateError('metric-invalid', `count (${count}) must be >= inconclusiveLimit (${inconclusiveLimit})`, field('count'));
  }
}

/** dryRun / measurementRetention rules: a metric name or a regular expression (Argo matches unanchored). */
function matchRule(pattern: string, names: readonly string[], where: TemplateLocation): string[] {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern);
  } catch (error) {
    throw new AnalysisTemplateError('metric-invalid', `metricName ${JSON.stringify(pattern)} is not a valid regular expression: ${(error as Error).message}`, where);
  }
  const matched = names.filter((name) => name === pattern || regex.test(name));
  if (matched.length === 0) {
    throw new AnalysisTemplateError('metric-invalid', `metricName ${JSON.stringify(pattern)} matches no metric (metrics: ${names.join(', ')})`, where);
  }
  return matched;
}

function blankToUndefined(text: string | undefined): string | undefined {
  return text === undefined || text.trim() === '' ? undefined : text;
}
