/**
 * Loads CanaryJudge documents from the same files and folders as AnalysisTemplates (documents of
 * other kinds are skipped) and resolves one, with its arguments, into a runnable judge.
 */
import { LineCounter, parseAllDocuments } from 'yaml';
import { duplicateKeyMessage, duplicateKeys, MAX_TEMPLATE_BYTES, oversize } from '../../util/yaml-limits.js';
import { mergeArgs, substituteArgs, type StepArg } from '../args.js';
import { AnalysisTemplateError } from '../errors.js';
import { DEFAULT_PROMETHEUS_TIMEOUT_MS } from '../resolve.js';
import { describeIssues } from '../template.schema.js';
import { diskSource, type TemplateFileSource } from '../templates.js';
import type { PrometheusQuerySpec } from '../types.js';
import type { ComparisonRule, NoDataPolicy } from './classify.js';
import { JUDGE_KIND, judgeDocumentSchema, judgeSpecSchema, type JudgeDocument } from './judge.schema.js';
import type { Thresholds } from './score.js';

export interface LoadedJudge {
  readonly kind: typeof JUDGE_KIND;
  readonly name: string;
  readonly file: string;
  readonly spec: JudgeDocument['spec'];
}

/** A judged metric ready to measure. */
export interface ResolvedJudgeMetric {
  readonly name: string;
  readonly canary: string;
  readonly baseline: string;
  readonly rule: ComparisonRule;
  readonly critical: boolean;
  readonly weight: number;
  readonly noData: NoDataPolicy;
  readonly dryRun: boolean;
}

export interface ResolvedJudge {
  readonly name: string;
  readonly file: string;
  readonly interval: string;
  readonly intervalMs: number;
  readonly count: number;
  readonly failureLimit: number;
  readonly lookbackMs: number;
  readonly stepMs: number;
  /** Confidence of a judgement over all its counted metrics; each metric's rule carries its share. */
  readonly confidence: number;
  readonly thresholds: Thresholds;
  /** The Prometheus connection shared by every query of the judge (the query itself is per side). */
  readonly prometheus: Omit<PrometheusQuerySpec, 'query' | 'rangeQuery'>;
  readonly metrics: readonly ResolvedJudgeMetric[];
}

const YAML_FILE = /\.ya?ml$/i;

/** Parses every CanaryJudge document of one YAML file (other kinds are ignored). */
export function parseJudgeText(text: string, file: string): LoadedJudge[] {
  const tooBig = oversize(text, MAX_TEMPLATE_BYTES, 'a judge file');
  if (tooBig) throw new AnalysisTemplateError('template-load', tooBig, { file, line: 1, column: 1 });
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  if (!Array.isArray(documents)) return [];
  const judges: LoadedJudge[] = [];
  for (const document of documents) {
    if (document.errors.length > 0) {
      const position = lineCounter.linePos(document.errors[0].pos[0]);
      throw new AnalysisTemplateError('template-load', `invalid YAML at line ${position.line}, column ${position.col}: ${document.errors[0].message.split('\n')[0]}`, { file });
    }
    const [repeated] = duplicateKeys(document);
    if (repeated) {
      const position = lineCounter.linePos(repeated.offset);
      throw new AnalysisTemplateError('template-load', `invalid YAML: ${duplicateKeyMessage(repeated.key)}`, { file, line: position.line, column: position.col });
    }
    const raw: unknown = document.toJS();
    if (!raw || typeof raw !== 'object' || (raw as Record<string, unknown>).kind !== JUDGE_KIND) continue;
    const parsed = judgeDocumentSchema.safeParse(raw);
    if (!parsed.success) {
      const name = (raw as { metadata?: { name?: unknown } }).metadata?.name;
      throw new AnalysisTemplateError('template-invalid', describeIssues(parsed.error, [], raw), { file, template: typeof name === 'string' ? name : undefined });
    }
    judges.push({ kind: JUDGE_KIND, name: parsed.data.metadata.name, file, spec: parsed.data.spec });
  }
  return judges;
}

/** Loads judges from files and folders through a file source; two judges with one name are refused. */
export async function loadJudgesFromSource(source: TemplateFileSource, paths: readonly string[]): Promise<LoadedJudge[]> {
  const judges: LoadedJudge[] = [];
  for (const wanted of paths) {
    const files = (await source.listFiles(wanted)) ?? [];
    for (const file of files.filter((f) => YAML_FILE.test(f) || f === wanted).sort()) {
      const text = await source.readFile(file);
      for (const judge of parseJudgeText(text, file)) {
        const earlier = judges.find((j) => j.name === judge.name);
        if (earlier) {
          throw new AnalysisTemplateError('template-duplicate', `CanaryJudge "${judge.name}" is defined twice (also in ${earlier.file}); rename or remove one of them`, {
            file,
            template: judge.name,
          });
        }
        judges.push(judge);
      }
    }
  }
  return judges;
}

export function loadJudges(baseDir: string, paths: readonly string[]): Promise<LoadedJudge[]> {
  return loadJudgesFromSource(diskSource(baseDir), paths);
}

/** Substitutes arguments and validates the spec; dry-run rules come from the judge and the step. */
export function resolveJudge(judge: LoadedJudge, options: { args?: readonly StepArg[]; dryRun?: readonly { metricName: string }[] } = {}): ResolvedJudge {
  const args = mergeArgs([judge], options.args ?? []);
  const location = { file: judge.file, template: judge.name };
  const substituted = substituteArgs(judge.spec, args, { location, fieldPrefix: ['spec'] });
  const parsed = judgeSpecSchema.safeParse(substituted);
  if (!parsed.success) {
    throw new AnalysisTemplateError('metric-invalid', describeIssues(parsed.error, ['spec'], substituted), location);
  }
  const spec = parsed.data;
  if (spec.thresholds.marginal > spec.thresholds.pass) {
    throw new AnalysisTemplateError('metric-invalid', `thresholds.marginal (${spec.thresholds.marginal}) must not be above thresholds.pass (${spec.thresholds.pass})`, {
      ...location,
      field: 'spec.thresholds',
    });
  }
  if (spec.failureLimit >= spec.count) {
    throw new AnalysisTemplateError('metric-invalid', `failureLimit (${spec.failureLimit}) must be below count (${spec.count}), or the judge can never fail`, {
      ...location,
      field: 'spec.failureLimit',
    });
  }
  const names = spec.metrics.map((metric) => metric.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) {
    throw new AnalysisTemplateError('metric-invalid', `metric name "${duplicate}" is used twice; metric names must be unique in one judge`, location);
  }
  const dryRun = new Set<string>();
  for (const [index, rule] of [...spec.dryRun, ...(options.dryRun ?? [])].entries()) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(rule.metricName);
    } catch (error) {
      throw new AnalysisTemplateError('metric-invalid', `metricName ${JSON.stringify(rule.metricName)} is not a valid regular expression: ${(error as Error).message}`, {
        ...location,
        field: `dryRun[${index}]`,
      });
    }
    for (const name of names) if (name === rule.metricName || pattern.test(name)) dryRun.add(name);
  }
  const provider = spec.provider?.prometheus;
  for (const unsupported of ['sigv4', 'oauth2'] as const) {
    if (provider?.authentication?.[unsupported] !== undefined) {
      throw new AnalysisTemplateError('provider-unsupported', `authentication.${unsupported} is not supported; use authentication.basicAuth, headers, or the operator's PROMETHEUS_BEARER_TOKEN`, {
        ...location,
        field: `spec.provider.prometheus.authentication.${unsupported}`,
      });
    }
  }
  // `confidence` is that of the whole judgement: with several counted metrics, each is tested at
  // 1 − (1 − confidence) ÷ metrics (Bonferroni), so adding metrics does not add false alarms.
  const countedMetrics = Math.max(1, spec.metrics.filter((metric) => !dryRun.has(metric.name)).length);
  const metricConfidence = 1 - (1 - spec.confidence) / countedMetrics;
  return {
    name: judge.name,
    file: judge.file,
    interval: spec.interval.text,
    intervalMs: spec.interval.ms,
    count: spec.count,
    failureLimit: spec.failureLimit,
    lookbackMs: spec.lookback.ms,
    stepMs: spec.step.ms,
    confidence: spec.confidence,
    thresholds: spec.thresholds,
    prometheus: {
      address: provider?.address,
      timeoutMs: provider?.timeout?.ms ?? DEFAULT_PROMETHEUS_TIMEOUT_MS,
      headers: provider?.headers ?? [],
      insecure: provider?.insecure ?? false,
      basicAuth: provider?.authentication?.basicAuth,
    },
    metrics: spec.metrics.map((metric) => ({
      name: metric.name,
      canary: metric.canary,
      baseline: metric.baseline,
      rule: {
        test: metric.test,
        quantile: metric.quantile,
        confidence: metricConfidence,
        direction: metric.direction,
        tolerance: metric.tolerance,
        minEffect: metric.minEffect,
        minSamples: metric.minSamples,
      },
      critical: metric.critical,
      weight: metric.weight,
      noData: metric.noData,
      dryRun: dryRun.has(metric.name),
    })),
  };
}

/** The judge a step names, or undefined when the name is not a judge (it may be a template). */
export function findJudge(judges: readonly LoadedJudge[], name: string): LoadedJudge | undefined {
  return judges.find((judge) => judge.name === name);
}
