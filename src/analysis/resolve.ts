/**
 * Turns referenced templates plus step arguments into validated, runnable metrics, the way Argo
 * Rollouts builds an AnalysisRun: templates are merged, arguments substituted, and every metric is
 * checked (schedule, limits, provider, conditions) before anything is measured.
 */
import { ConditionError, compileCondition } from './expr/index.js';
import { mergeArgs, substituteArgs, type StepArg } from './args.js';
import { AnalysisTemplateError, type TemplateLocation } from './errors.js';
import { evaluateRangeTime } from './range-time.js';
import { describeIssues, metricSchema, prometheusProviderSchema, type ParsedMetric } from './template.schema.js';
import { findTemplate, type LoadedTemplate, type TemplateCatalog, type TemplateRef } from './templates.js';
import type { PrometheusQuerySpec, ResolvedMetric, TemplateKind } from './types.js';
import { findJudge, resolveJudge, type LoadedJudge } from './judge/judges.js';
import { judgeRunMetric } from './judge/run-metric.js';
import { parseDuration } from '../util/duration.js';

/** Argo's defaults. */
export const DEFAULT_FAILURE_LIMIT = 0;
export const DEFAULT_INCONCLUSIVE_LIMIT = 0;
export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;
export const DEFAULT_CONSECUTIVE_SUCCESS_LIMIT = 0;
export const DEFAULT_MEASUREMENT_RETENTION = 10;
export const DEFAULT_PROMETHEUS_TIMEOUT_MS = 30_000;

export interface DryRunRule {
  readonly metricName: string;
}

export interface MeasurementRetentionRule {
  readonly metricName: string;
  readonly limit: number;
}

/** An analysis as a rollout step (or background analysis) writes it. */
export interface AnalysisRequest {
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
  const templates = request.templates.filter((ref) => !judgeOf(ref)).map((ref) => findTemplate(catalog, ref));
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

/** Resolves already selected templates (several are merged into one run, as in Argo). */
export function resolveTemplates(templates: readonly LoadedTemplate[], options: Omit<AnalysisRequest, 'templates'> = {}): ResolvedAnalysis {
  const args = mergeArgs(templates, options.args ?? []);
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
  const dryRunRules = [
    ...templates.flatMap((t) => t.spec.dryRun.map((rule, i) => ({ rule, where: { file: t.file, template: t.name, field: `spec.dryRun[${i}]` } }))),
    ...(options.dryRun ?? []).map((rule, i) => ({ rule, where: { field: `dryRun[${i}]` } })),
  ];
  const dryRun = new Set<string>();
  for (const { rule, where } of dryRunRules) for (const name of matchRule(rule.metricName, names, where)) dryRun.add(name);

  const retentionRules = [
    ...templates.flatMap((t) =>
      t.spec.measurementRetention.map((rule, i) => ({ rule, where: { file: t.file, template: t.name, field: `spec.measurementRetention[${i}]` } })),
    ),
    ...(options.measurementRetention ?? []).map((rule, i) => ({ rule, where: { field: `measurementRetention[${i}]` } })),
  ];
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
  }));
  return { metrics, args, templates: templates.map(({ kind, name, file }) => ({ kind, name, file })) };
}

type ResolvedMetricDraft = Omit<ResolvedMetric, 'dryRun' | 'measurementRetention'>;

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
  const prometheus = resolvePrometheus(metric, field, fieldPrefix);
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
    prometheus,
    source: { file: template.file, template: template.name, kind: template.kind },
  };
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

function resolvePrometheus(metric: ParsedMetric, field: (name: string) => TemplateLocation, fieldPrefix: readonly PropertyKey[]): PrometheusQuerySpec {
  const providers = Object.keys(metric.provider);
  if (providers.length === 0) {
    throw new AnalysisTemplateError('provider-unsupported', 'no provider; add provider.prometheus with a query', field('provider'));
  }
  if (providers.length > 1) {
    throw new AnalysisTemplateError('provider-unsupported', `exactly one provider per metric, found ${providers.join(', ')}`, field('provider'));
  }
  if (providers[0] !== 'prometheus') {
    throw new AnalysisTemplateError(
      'provider-unsupported',
      `provider "${providers[0]}" is not supported; only prometheus is supported`,
      field(`provider.${providers[0]}`),
    );
  }
  const parsed = prometheusProviderSchema.safeParse(metric.provider.prometheus);
  if (!parsed.success) {
    const { field: _field, ...location } = field('provider.prometheus');
    throw new AnalysisTemplateError('metric-invalid', describeIssues(parsed.error, [...fieldPrefix, 'provider', 'prometheus'], metric.provider.prometheus), location);
  }
  const spec = parsed.data;
  for (const unsupported of ['sigv4', 'oauth2'] as const) {
    if (spec.authentication?.[unsupported] !== undefined) {
      throw new AnalysisTemplateError(
        'provider-unsupported',
        `authentication.${unsupported} is not supported; use authentication.basicAuth, headers, or the operator's PROMETHEUS_BEARER_TOKEN`,
        field(`provider.prometheus.authentication.${unsupported}`),
      );
    }
  }
  if (spec.rangeQuery) {
    for (const key of ['start', 'end'] as const) {
      try {
        evaluateRangeTime(spec.rangeQuery[key], 0);
      } catch (error) {
        throw new AnalysisTemplateError('metric-invalid', (error as Error).message, field(`provider.prometheus.rangeQuery.${key}`));
      }
    }
    let stepMs: number;
    try {
      stepMs = parseDuration(spec.rangeQuery.step);
    } catch (error) {
      throw new AnalysisTemplateError('metric-invalid', (error as Error).message, field('provider.prometheus.rangeQuery.step'));
    }
    if (stepMs <= 0) throw new AnalysisTemplateError('metric-invalid', 'step must be longer than 0s', field('provider.prometheus.rangeQuery.step'));
  }
  if (spec.timeout && spec.timeout.ms <= 0) {
    throw new AnalysisTemplateError('metric-invalid', 'timeout must be longer than 0s', field('provider.prometheus.timeout'));
  }
  return {
    address: spec.address,
    query: spec.query,
    timeoutMs: spec.timeout?.ms ?? DEFAULT_PROMETHEUS_TIMEOUT_MS,
    headers: spec.headers,
    insecure: spec.insecure,
    basicAuth: spec.authentication?.basicAuth,
    rangeQuery: spec.rangeQuery,
  };
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
