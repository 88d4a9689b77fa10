/**
 * `opsbox analyze`: runs AnalysisTemplates against Prometheus now, in real time, printing every
 * measurement. Exit codes: 0 Successful, 1 Failed, 2 Inconclusive, 3 Error, 4 bad usage or an
 * invalid template.
 */
import { parseArgs } from 'node:util';
import { AnalysisTemplateError } from '../analysis/errors.js';
import { prometheusProviderFromEnv } from '../analysis/prometheus.js';
import { resolveTemplates } from '../analysis/resolve.js';
import type { RunState } from '../analysis/run.js';
import { runAnalysis, type Clock, type MeasurementEvent } from '../analysis/runner.js';
import { loadTemplates, type LoadedTemplate } from '../analysis/templates.js';
import type { AnalysisPhase, MetricProvider, ResolvedMetric } from '../analysis/types.js';
import { loadJudges, resolveJudge, type ResolvedJudge } from '../analysis/judge/judges.js';
import { analyzeJudges } from './analyze-judge.js';
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

export const EXIT_CODES: Readonly<Record<AnalysisPhase | 'usage', number>> = {
  Successful: 0,
  Failed: 1,
  Inconclusive: 2,
  Error: 3,
  usage: EXIT_USAGE,
  // A run only ends Running or Pending if it was stopped before deciding anything.
  Running: 0,
  Pending: 0,
};

export const ANALYZE_USAGE = `Usage: opsbox analyze --template FILE [--template FILE...] [options]

Runs Argo Rollouts AnalysisTemplates against Prometheus now, in real time (respecting
interval, count and initialDelay), and prints every measurement as it is taken.

Options:
  -t, --template FILE    file or folder with AnalysisTemplate / ClusterAnalysisTemplate documents (repeatable);
                         CanaryJudge documents found there are run instead (pick them with --name)
  -n, --name NAME        run only the template(s) with this name (repeatable; default: every template found)
  -a, --arg NAME=VALUE   an argument for {{args.NAME}} (repeatable)
      --prometheus URL   Prometheus to query when a template has no address (default: PROMETHEUS_URL);
                         this URL is allowed in addition to OPSBOX_PROMETHEUS_ALLOWLIST
      --once             take one measurement per metric now and judge it alone
      --json             print one JSON object with the result at the end (progress goes to stderr)
  -h, --help             show this help

Environment: PROMETHEUS_URL, OPSBOX_PROMETHEUS_ALLOWLIST (comma-separated URL prefixes templates may
query), PROMETHEUS_BEARER_TOKEN (sent when a template sets no Authorization).

Exit codes: 0 Successful, 1 Failed, 2 Inconclusive, 3 Error, 4 bad usage or invalid template.
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
  try {
    templates = await selectTemplates(options, io.cwd ?? process.cwd());
    metrics = resolveTemplates(templates, { args: options.args }).metrics;
    checkAddresses(metrics, options.prometheus ?? io.env.PROMETHEUS_URL);
  } catch (error) {
    if (error instanceof AnalysisTemplateError || error instanceof UsageError) {
      io.stderr.write(`opsbox analyze: ${error.message}\n`);
      return EXIT_CODES.usage;
    }
    throw error;
  }

  const provider =
    io.provider ??
    prometheusProviderFromEnv(io.env, {
      defaultAddress: options.prometheus,
      alsoAllow: options.prometheus ? [options.prometheus] : [],
    });
  const progress = options.json ? io.stderr : io.stdout;
  progress.write(describePlan(templates, metrics, options.once));

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

  if (options.json) io.stdout.write(`${JSON.stringify(toJsonReport(state))}\n`);
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

async function selectTemplates(options: AnalyzeOptions, cwd: string): Promise<LoadedTemplate[]> {
  const catalog = await loadTemplates(cwd, options.templates);
  if (catalog.templates.length === 0) {
    throw new UsageError(`no AnalysisTemplate or ClusterAnalysisTemplate found in ${options.templates.join(', ')}`);
  }
  if (options.names.length === 0) return [...catalog.templates];
  return options.names.map((name) => {
    const matches = catalog.templates.filter((template) => template.name === name);
    if (matches.length === 1) return matches[0];
    const found = catalog.templates.map((template) => `"${template.name}"`).join(', ');
    if (matches.length === 0) throw new UsageError(`template "${name}" not found in ${options.templates.join(', ')}; found ${found}`);
    throw new UsageError(`template name "${name}" is used by ${matches.map((t) => `${t.kind} in ${t.file}`).join(' and ')}; keep one of them in the files given`);
  });
}

function checkAddresses(metrics: readonly ResolvedMetric[], defaultAddress: string | undefined): void {
  const missing = metrics.filter((metric) => !metric.prometheus.address);
  if (missing.length > 0 && !defaultAddress) {
    throw new UsageError(
      `metric${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m.name}"`).join(', ')} ha${missing.length > 1 ? 've' : 's'} no prometheus.address; pass --prometheus URL or set PROMETHEUS_URL`,
    );
  }
}

function describePlan(templates: readonly LoadedTemplate[], metrics: readonly ResolvedMetric[], once: boolean): string {
  const lines = [`Analyzing ${templates.map((t) => `${t.kind} "${t.name}" (${t.file})`).join(', ')}${once ? ', one measurement per metric' : ''}`];
  for (const metric of metrics) {
    const schedule = once
      ? 'once'
      : [
          metric.initialDelay ? `after ${metric.initialDelay}` : undefined,
          metric.interval ? `every ${metric.interval}` : undefined,
          metric.count ? `count ${metric.count}` : metric.interval ? 'until stopped' : 'once',
        ]
          .filter(Boolean)
          .join(', ');
    const conditions = [
      metric.successCondition ? `success: ${metric.successCondition}` : undefined,
      metric.failureCondition ? `failure: ${metric.failureCondition}` : undefined,
    ].filter(Boolean);
    lines.push(`  ${metric.name}${metric.dryRun ? ' (dry run)' : ''}: ${schedule}${conditions.length ? `; ${conditions.join('; ')}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

function formatMeasurementLine({ metric, measurement, result }: MeasurementEvent): string {
  const time = measurement.finishedAt.replace(/\.\d{3}Z$/, 'Z');
  const value = measurement.value ?? '-';
  const detail = measurement.message ? ` — ${measurement.message}` : '';
  const metricDone = result.phase !== 'Running' && result.phase !== 'Pending' ? `  [metric ${result.phase}${result.message ? `: ${result.message}` : ''}]` : '';
  return `${time}  ${metric.name}  ${value}  ${measurement.phase}${detail}${metricDone}\n`;
}

function formatSummary(state: RunState): string {
  const lines = [`Result: ${state.phase}${state.message ? ` — ${state.message}` : ''}`];
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
  metrics: {
    name: string;
    phase: AnalysisPhase;
    message: string | null;
    dryRun: boolean;
    measurements: { phase: string; value: string | null; message: string | null; startedAt: string; finishedAt: string }[];
  }[];
}

export function toJsonReport(state: RunState): AnalyzeJsonReport {
  return {
    phase: state.phase,
    message: state.message ?? null,
    metrics: state.results.map((result) => ({
      name: result.name,
      phase: result.phase,
      message: result.message ?? null,
      dryRun: result.dryRun,
      measurements: result.measurements.map((m) => ({
        phase: m.phase,
        value: m.value ?? null,
        message: m.message ?? null,
        startedAt: m.startedAt,
        finishedAt: m.finishedAt,
      })),
    })),
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
