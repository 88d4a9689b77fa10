/**
 * `opsbox analyze`: runs AnalysisTemplates against Prometheus now, in real time, printing every
 * measurement. Exit codes: 0 Successful, 1 Failed, 2 Inconclusive, 3 Error, 4 bad usage or an
 * invalid template.
 */
import { parseArgs } from 'node:util';
import { AnalysisTemplateError } from '../analysis/errors.js';
import { ALLOWLIST_ENV, allowlistFromEnv, displayAddress, isAddressAllowed } from '../analysis/allowlist.js';
import { prometheusProviderFromEnv } from '../analysis/prometheus.js';
import { createMetricProvider, metricEvidence } from '../analysis/providers/registry.js';
import { jobAccessFromEnv } from '../analysis/providers/job-cluster.js';
import { collectTemplates, resolveTemplates } from '../analysis/resolve.js';
import { isCompletedPhase, type RunState } from '../analysis/run.js';
import { runAnalysis, type Clock, type MeasurementEvent } from '../analysis/runner.js';
import { loadTemplates, type LoadedTemplate } from '../analysis/templates.js';
import type { AnalysisPhase, MetricProvider, ResolvedMetric } from '../analysis/types.js';
import { loadJudges, resolveJudge, type ResolvedJudge } from '../analysis/judge/judges.js';
import type { JudgeRunState } from '../analysis/judge/judge-run.js';
import type { MetricComparison } from '../analysis/judge/classify.js';
import { runJudge } from '../analysis/judge/measure.js';
import { systemClock } from '../analysis/runner.js';
import { EXIT_USAGE, type CliIO } from './io.js';

export interface AnalyzeIo extends CliIO {
  /** Base for relative --template paths; defaults to the process's working directory. */
  readonly cwd?: string;
  /** Stops the run; without it, Ctrl-C (SIGINT) does. */
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  /** Replaces the Prometheus provider built from the environment (tests, other providers). */
  readonly provider?: MetricProvider;
}

/** 128 + SIGINT, the shell's code for a command stopped by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

export const EXIT_CODES: Readonly<Record<AnalysisPhase | 'usage', number>> = {
  Successful: 0,
  Failed: 1,
  Inconclusive: 2,
  Error: 3,
  usage: EXIT_USAGE,
  // A run only ends Running or Pending if it was stopped before deciding anything: no verdict.
  Running: EXIT_INTERRUPTED,
  Pending: EXIT_INTERRUPTED,
};

export const ANALYZE_USAGE = `Usage: opsbox analyze --template FILE [--template FILE...] [options]

Runs Argo Rollouts AnalysisTemplates against Prometheus now, in real time (respecting
interval, count and initialDelay), and prints every measurement as it is taken.

Options:
  -t, --template FILE    file or folder with AnalysisTemplate / ClusterAnalysisTemplate documents (repeatable);
                         CanaryJudge documents found there are run instead (pick them with --name)
  -n, --name NAME        run only the template(s) with this name (repeatable; default: every template found)
  -a, --arg NAME=VALUE   an argument for {{args.NAME}} (repeatable)
      --prometheus URL   query this Prometheus instead of the templates' addresses (e.g. a port-forward
                         to an in-cluster Prometheus) and when a template has none (default: PROMETHEUS_URL);
                         allowed when OPSBOX_PROMETHEUS_ALLOWLIST is unset, else it must be on that list
      --once             take one measurement per metric now and judge it alone; the plan and --json
                         still show the template's own schedule and limits
      --json             print one JSON object at the end: phase, and per metric its query, address,
                         conditions, limits and measurements (progress goes to stderr)
  -h, --help             show this help

Environment: PROMETHEUS_URL, OPSBOX_PROMETHEUS_ALLOWLIST (comma-separated URL prefixes templates may
query), PROMETHEUS_BEARER_TOKEN (sent when a template sets no Authorization).

Exit codes: 0 Successful, 1 Failed, 2 Inconclusive, 3 Error, 4 bad usage or invalid template,
130 stopped (Ctrl-C) before a verdict (the --json phase is then Running).
`;

class UsageError extends Error {
  readonly code = 'usage';
}

interface AnalyzeOptions {
  templates: string[];
  names: string[];
  args: { name: string; value: string }[];
  prometheus?: string;
  once: boolean;
  json: boolean;
  help: boolean;
}

export async function analyzeCommand(argv: string[], io: AnalyzeIo): Promise<number> {
  let options: AnalyzeOptions;
  try {
    options = parseOptions(argv);
  } catch (error) {
    io.stderr.write(`opsbox analyze: ${(error as Error).message}\n\n${ANALYZE_USAGE}`);
    return EXIT_CODES.usage;
  }
  if (options.help) {
    io.stdout.write(ANALYZE_USAGE);
    return 0;
  }

  const judged = await runJudgesIfAny(options, io);
  if (judged !== null) return judged;

  let metrics: ResolvedMetric[];
  let templates: LoadedTemplate[];
  /** Each metric's address as its template wrote it, before --prometheus replaced it. */
  let templateAddresses: Map<string, string | undefined>;
  try {
    templates = await selectTemplates(options, io.cwd ?? process.cwd());
    metrics = resolveTemplates(templates, { args: options.args, env: io.env }).metrics;
    templateAddresses = new Map(metrics.flatMap((metric) => (metric.prometheus ? [[metric.name, metric.prometheus.address]] : [])));
    if (options.prometheus !== undefined) {
      checkOverrideAllowed(options.prometheus, io.env);
      metrics = metrics.map((metric) => withAddress(metric, options.prometheus!));
    }
    checkAddresses(metrics, options.prometheus ?? io.env.PROMETHEUS_URL);
  } catch (error) {
    if (error instanceof AnalysisTemplateError || error instanceof UsageError) {
      io.stderr.write(`opsbox analyze: ${error.message}\n`);
      return EXIT_CODES.usage;
    }
    throw error;
  }

  // Job metrics create their Jobs where the app would: OPSBOX_JOB_NAMESPACE, through KUBECONFIG.
  const jobs = !io.provider && metrics.some((metric) => metric.job) ? await jobAccessFromEnv(io.env) : undefined;
  const provider =
    io.provider ??
    createMetricProvider(io.env, {
      ...(jobs ? { jobs } : {}),
      defaultAddress: options.prometheus,
      // Typed on the command line, so trusted, unless the operator's allowlist says otherwise (checked above).
      alsoAllow: options.prometheus && !operatorAllowlistSet(io.env) ? [options.prometheus] : [],
    });
  const details: PlanDetails = { metrics, templateAddresses, defaultAddress: options.prometheus ?? (io.env.PROMETHEUS_URL || undefined), override: options.prometheus, once: options.once };
  const progress = options.json ? io.stderr : io.stdout;
  progress.write(describePlan(templates, details));

  const interrupt = io.signal ? undefined : new AbortController();
  const onSigint = () => interrupt?.abort();
  if (interrupt) process.once('SIGINT', onSigint);
  let state: RunState;
  try {
    state = await runAnalysis(metrics, {
      provider,
      clock: io.clock,
      signal: io.signal ?? interrupt?.signal,
      once: options.once,
      onMeasurement: (event) => progress.write(formatMeasurementLine(event)),
    });
  } finally {
    if (interrupt) process.removeListener('SIGINT', onSigint);
  }

  if (options.json) io.stdout.write(`${JSON.stringify(toJsonReport(state, details))}\n`);
  else io.stdout.write(formatSummary(state));
  return EXIT_CODES[state.phase];
}

/**
 * Runs the CanaryJudges in the given files (those named by --name, if any); null when there are
 * none, so the AnalysisTemplates run instead.
 */
async function runJudgesIfAny(options: AnalyzeOptions, io: AnalyzeIo): Promise<number | null> {
  let judges: ResolvedJudge[];
  try {
    const loaded = await loadJudges(io.cwd ?? process.cwd(), options.templates);
    const selected = options.names.length ? loaded.filter((judge) => options.names.includes(judge.name)) : loaded;
    judges = selected.map((judge) => resolveJudge(judge, { args: options.args }));
    const defaultAddress = options.prometheus ?? io.env.PROMETHEUS_URL;
    const missing = judges.filter((judge) => !judge.prometheus.address);
    if (missing.length > 0 && !defaultAddress) {
      throw new UsageError(`CanaryJudge ${missing.map((j) => `"${j.name}"`).join(', ')} has no provider.prometheus.address; pass --prometheus URL or set PROMETHEUS_URL`);
    }
  } catch (error) {
    if (error instanceof AnalysisTemplateError || error instanceof UsageError) {
      io.stderr.write(`opsbox analyze: ${error.message}\n`);
      return EXIT_CODES.usage;
    }
    throw error;
  }
  if (judges.length === 0) return null;
  const provider =
    io.provider ??
    prometheusProviderFromEnv(io.env, { defaultAddress: options.prometheus, alsoAllow: options.prometheus ? [options.prometheus] : [] });
  const interrupt = io.signal ? undefined : new AbortController();
  const onSigint = () => interrupt?.abort();
  if (interrupt) process.once('SIGINT', onSigint);
  try {
    const phase = await analyzeJudges(judges, { provider, clock: io.clock ?? systemClock, signal: io.signal ?? interrupt?.signal, json: options.json }, io);
    return phase === 'Running' ? EXIT_CODES.Running : EXIT_CODES[phase];
  } finally {
    if (interrupt) process.removeListener('SIGINT', onSigint);
  }
}

function parseOptions(argv: string[]): AnalyzeOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      template: { type: 'string', short: 't', multiple: true },
      name: { type: 'string', short: 'n', multiple: true },
      arg: { type: 'string', short: 'a', multiple: true },
      prometheus: { type: 'string' },
      once: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const options: AnalyzeOptions = {
    templates: values.template ?? [],
    names: values.name ?? [],
    args: (values.arg ?? []).map(parseArgOption),
    prometheus: values.prometheus,
    once: values.once ?? false,
    json: values.json ?? false,
    help: values.help ?? false,
  };
  if (options.help) return options;
  if (options.templates.length === 0) throw new UsageError('--template FILE is required');
  if (options.prometheus !== undefined && !isHttpUrl(options.prometheus)) {
    throw new UsageError(`--prometheus must be an http:// or https:// URL (got ${JSON.stringify(options.prometheus)})`);
  }
  return options;
}

function parseArgOption(text: string): { name: string; value: string } {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`--arg must look like NAME=VALUE (got ${JSON.stringify(text)})`);
  return { name: text.slice(0, at).trim(), value: text.slice(at + 1) };
}

/** The templates to run: those named (or every valid one found), with the templates they reference. */
async function selectTemplates(options: AnalyzeOptions, cwd: string): Promise<LoadedTemplate[]> {
  const catalog = await loadTemplates(cwd, options.templates);
  if (options.names.length === 0) {
    // Running everything found: an invalid template is an error, never silently skipped.
    if (catalog.broken.length > 0) throw catalog.broken[0].error;
    if (catalog.templates.length === 0) throw new UsageError(`no AnalysisTemplate or ClusterAnalysisTemplate found in ${options.templates.join(', ')}`);
    return collectTemplates(catalog, catalog.templates);
  }
  const named = options.names.map((name) => {
    const matches = catalog.templates.filter((template) => template.name === name);
    if (matches.length === 1) return matches[0];
    const found = catalog.templates.map((template) => `"${template.name}"`).join(', ');
    const invalid = catalog.broken.find((template) => template.name === name);
    if (matches.length === 0 && invalid) throw invalid.error;
    if (matches.length === 0) throw new UsageError(`template "${name}" not found in ${options.templates.join(', ')}; found ${found}`);
    throw new UsageError(`template name "${name}" is used by ${matches.map((t) => `${t.kind} in ${t.file}`).join(' and ')}; keep one of them in the files given`);
  });
  return collectTemplates(catalog, named);
}

function checkAddresses(metrics: readonly ResolvedMetric[], defaultAddress: string | undefined): void {
  const missing = metrics.filter((metric) => metric.prometheus && !metric.prometheus.address);
  if (missing.length > 0 && !defaultAddress) {
    throw new UsageError(
      `metric${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m.name}"`).join(', ')} ha${missing.length > 1 ? 've' : 's'} no prometheus.address; pass --prometheus URL or set PROMETHEUS_URL`,
    );
  }
}

/** What the run will do, for the plan, the --json report and --once's "what the template would do". */
export interface PlanDetails {
  /** The metrics as the templates define them (with --prometheus applied), not as --once runs them. */
  readonly metrics: readonly ResolvedMetric[];
  readonly templateAddresses: ReadonlyMap<string, string | undefined>;
  readonly defaultAddress?: string;
  readonly override?: string;
  readonly once: boolean;
}

function describePlan(templates: readonly LoadedTemplate[], details: PlanDetails): string {
  const { metrics, once, override } = details;
  const lines = [`Analyzing ${templates.map((t) => `${t.kind} "${t.name}" (${t.file})`).join(', ')}${once ? ', one measurement per metric' : ''}`];
  const replaced = [...new Set([...details.templateAddresses.values()].filter((address): address is string => address !== undefined))];
  if (override && replaced.length > 0) {
    lines.push(`Querying ${displayAddress(override)} (--prometheus) instead of the templates' ${replaced.map(displayAddress).join(', ')}`);
  }
  for (const metric of metrics) {
    const schedule = describeSchedule(metric);
    const conditions = [
      metric.successCondition ? `success: ${metric.successCondition}` : undefined,
      metric.failureCondition ? `failure: ${metric.failureCondition}` : undefined,
    ].filter(Boolean);
    const when = once ? `once now (the template: ${[schedule, ...describeLimits(metric)].join(', ')})` : schedule;
    lines.push(`  ${metric.name}${metric.dryRun ? ' (dry run)' : ''}: ${when}${conditions.length ? `; ${conditions.join('; ')}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

function describeSchedule(metric: ResolvedMetric): string {
  return [
    metric.initialDelay ? `after ${metric.initialDelay}` : undefined,
    metric.interval ? `every ${metric.interval}` : undefined,
    metric.count ? `count ${metric.count}` : metric.interval ? 'until stopped' : 'once',
  ]
    .filter(Boolean)
    .join(', ');
}

function describeLimits(metric: ResolvedMetric): string[] {
  const limits = [
    `failureLimit ${metric.failureLimit}`,
    `inconclusiveLimit ${metric.inconclusiveLimit}`,
    `consecutiveErrorLimit ${metric.consecutiveErrorLimit}`,
  ];
  if (metric.consecutiveSuccessLimit > 0) limits.push(`consecutiveSuccessLimit ${metric.consecutiveSuccessLimit}`);
  return limits;
}

/** With OPSBOX_PROMETHEUS_ALLOWLIST set, --prometheus must be on it like any template address. */
function checkOverrideAllowed(address: string, env: Readonly<Record<string, string | undefined>>): void {
  if (!operatorAllowlistSet(env)) return;
  const allowlist = allowlistFromEnv(env);
  if (isAddressAllowed(address, allowlist)) return;
  throw new UsageError(
    `--prometheus ${displayAddress(address)} is not allowed by ${ALLOWLIST_ENV} (${allowlist.prefixes.join(', ') || 'none'}); use an allowed address or add it to ${ALLOWLIST_ENV}`,
  );
}

function operatorAllowlistSet(env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(env[ALLOWLIST_ENV]?.trim());
}

/** The metric queried at `address` instead of its template's: a local port-forward for an in-cluster Prometheus. */
function withAddress(metric: ResolvedMetric, address: string): ResolvedMetric {
  return metric.prometheus ? { ...metric, prometheus: { ...metric.prometheus, address } } : metric;
}

function formatMeasurementLine({ metric, measurement, result }: MeasurementEvent): string {
  const time = measurement.finishedAt.replace(/\.\d{3}Z$/, 'Z');
  const value = measurement.value ?? '-';
  const detail = measurement.message ? ` — ${measurement.message}` : '';
  const metricDone = result.phase !== 'Running' && result.phase !== 'Pending' ? `  [metric ${result.phase}${result.message ? `: ${result.message}` : ''}]` : '';
  return `${time}  ${metric.name}  ${value}  ${measurement.phase}${detail}${metricDone}\n`;
}

function formatSummary(state: RunState): string {
  const verdict = isCompletedPhase(state.phase) ? `${state.phase}${state.message ? ` — ${state.message}` : ''}` : `${state.phase} — stopped before a verdict`;
  const lines = [`Result: ${verdict}`];
  for (const result of state.results) {
    const counts = `${result.count} measured, ${result.successful} successful, ${result.failed} failed, ${result.inconclusive} inconclusive, ${result.error} errors`;
    lines.push(`  ${result.name}${result.dryRun ? ' (dry run)' : ''}: ${result.phase}${result.message ? ` — ${result.message}` : ''} (${counts})`);
  }
  return `${lines.join('\n')}\n`;
}

/** The `--json` report. */
export interface AnalyzeJsonReport {
  phase: AnalysisPhase;
  message: string | null;
  /** True with --once: each metric was measured once and judged alone; `limits` say what the template would do. */
  once: boolean;
  metrics: {
    name: string;
    phase: AnalysisPhase;
    message: string | null;
    dryRun: boolean;
    query: string;
    /** The address queried (no credentials), and the template's own when --prometheus replaced it. */
    address: string | null;
    templateAddress: string | null;
    successCondition: string | null;
    failureCondition: string | null;
    /** The template's schedule and limits (count null: once without an interval, until stopped with one). */
    limits: {
      interval: string | null;
      initialDelay: string | null;
      count: number | null;
      failureLimit: number;
      inconclusiveLimit: number;
      consecutiveErrorLimit: number;
      consecutiveSuccessLimit: number;
    };
    measurements: { phase: string; value: string | null; message: string | null; startedAt: string; finishedAt: string }[];
  }[];
}

export function toJsonReport(state: RunState, details?: PlanDetails): AnalyzeJsonReport {
  return {
    phase: state.phase,
    message: state.message ?? null,
    once: details?.once ?? false,
    metrics: state.results.map((result, index) => {
      const spec = details?.metrics.find((metric) => metric.name === result.name) ?? state.metrics[index];
      const evidence = 'query' in spec ? spec : metricEvidence(spec);
      const isPrometheus = 'query' in spec ? spec.provider === undefined : spec.prometheus !== undefined;
      const query = evidence.query;
      // The default Prometheus is no address of another provider's metric.
      const address = evidence.address ?? (isPrometheus ? details?.defaultAddress : undefined);
      const templateAddress = details?.templateAddresses.get(result.name);
      return {
        name: result.name,
        phase: result.phase,
        message: result.message ?? null,
        dryRun: result.dryRun,
        query,
        address: address ? displayAddress(address) : null,
        templateAddress: templateAddress ? displayAddress(templateAddress) : null,
        successCondition: spec.successCondition ?? null,
        failureCondition: spec.failureCondition ?? null,
        limits: {
          interval: spec.interval ?? null,
          initialDelay: spec.initialDelay ?? null,
          count: spec.count ?? null,
          failureLimit: spec.failureLimit,
          inconclusiveLimit: spec.inconclusiveLimit,
          consecutiveErrorLimit: spec.consecutiveErrorLimit,
          consecutiveSuccessLimit: spec.consecutiveSuccessLimit,
        },
        measurements: result.measurements.map((m) => ({
          phase: m.phase,
          value: m.value ?? null,
          message: m.message ?? null,
          startedAt: m.startedAt,
          finishedAt: m.finishedAt,
        })),
      };
    }),
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

// CanaryJudges: their judgements run in real time and are printed with the same JSON shape as
// AnalysisTemplates (one entry in `metrics` per judged metric) plus the run's `score`.


export interface JudgeJsonMeasurement {
  phase: string;
  value: Pick<MetricComparison, 'canary' | 'baseline' | 'effect' | 'pValue' | 'classification'> & { relativeEffect: number | null };
  message: string | null;
  startedAt: string;
  finishedAt: string;
}

export interface JudgeJsonReport {
  phase: JudgeRunState['phase'];
  message: string | null;
  /** Score (0–100) of the latest judgement; null before any or without countable metrics. */
  score: number | null;
  judge: string;
  metrics: { name: string; phase: string; message: string | null; dryRun: boolean; measurements: JudgeJsonMeasurement[] }[];
}

export function toJudgeJsonReport(judge: ResolvedJudge, state: JudgeRunState): JudgeJsonReport {
  return {
    phase: state.phase,
    message: state.message ?? null,
    score: state.score,
    judge: judge.name,
    metrics: judge.metrics.map((metric) => {
      const measurements: JudgeJsonMeasurement[] = [];
      for (const judgement of state.judgements) {
        const at = new Date(judgement.at).toISOString();
        const judged = judgement.result?.metrics.find((m) => m.name === metric.name);
        if (!judged) {
          measurements.push({
            phase: 'Error',
            value: { canary: { n: 0, median: null }, baseline: { n: 0, median: null }, effect: null, relativeEffect: null, pValue: null, classification: 'NoData' },
            message: judgement.error ?? null,
            startedAt: at,
            finishedAt: at,
          });
          continue;
        }
        const { canary, baseline, effect, relativeEffect, pValue, classification } = judged.value;
        measurements.push({ phase: judged.phase, value: { canary, baseline, effect, relativeEffect, pValue, classification }, message: null, startedAt: at, finishedAt: at });
      }
      const last = measurements[measurements.length - 1];
      return { name: metric.name, phase: last?.phase ?? 'Pending', message: null, dryRun: metric.dryRun, measurements };
    }),
  };
}

const round = (value: number | null, digits = 4) => (value === null ? '-' : Number(value.toPrecision(digits)).toString());

export interface AnalyzeJudgeOptions {
  readonly provider: MetricProvider;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  readonly json: boolean;
}

/** Runs the judges one after the other; the worst phase decides. */
export async function analyzeJudges(judges: readonly ResolvedJudge[], options: AnalyzeJudgeOptions, io: CliIO): Promise<JudgeRunState['phase']> {
  const progress = options.json ? io.stderr : io.stdout;
  const reports: JudgeJsonReport[] = [];
  const phases: JudgeRunState['phase'][] = [];
  for (const judge of judges) {
    progress.write(
      `Judging CanaryJudge "${judge.name}" (${judge.file}): ${judge.count} judgement(s), every ${judge.interval}, canary vs baseline over ${judge.lookbackMs / 1000}s at ${judge.stepMs / 1000}s resolution\n`,
    );
    const state = await runJudge(judge, {
      provider: options.provider,
      clock: options.clock,
      signal: options.signal,
      onJudgement: (judgement) => {
        const time = new Date(judgement.at).toISOString().replace(/\.\d{3}Z$/, 'Z');
        if (!judgement.result) {
          progress.write(`${time}  Error — ${judgement.error}\n`);
          return;
        }
        for (const metric of judgement.result.metrics) {
          const v = metric.value;
          progress.write(
            `${time}  ${metric.name}${metric.dryRun ? ' (dry run)' : ''}  canary ${round(v.canary.median)} (n=${v.canary.n}) vs baseline ${round(v.baseline.median)} (n=${v.baseline.n})  effect ${round(v.effect)}  p=${round(v.pValue, 3)}  ${v.classification}\n`,
          );
        }
        progress.write(`${time}  score ${round(judgement.result.score, 3)}: ${judgement.result.phase} — ${judgement.result.reason}\n`);
      },
    });
    phases.push(state.phase);
    reports.push(toJudgeJsonReport(judge, state));
    if (!options.json) progress.write(`Result: ${state.phase}${state.message ? ` — ${state.message}` : ''}\n`);
  }
  if (options.json) io.stdout.write(`${JSON.stringify(reports.length === 1 ? reports[0] : { judges: reports })}\n`);
  const order: JudgeRunState['phase'][] = ['Error', 'Failed', 'Inconclusive', 'Running', 'Successful'];
  return order.find((phase) => phases.includes(phase)) ?? 'Successful';
}
