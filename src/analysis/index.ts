/** The analysis engine: Argo Rollouts AnalysisTemplates, the Prometheus provider and analysis runs. */
export * from './types.js';
export * from './errors.js';
export { loadTemplates, loadTemplatesFromSource, parseTemplateText, parseTemplateDocuments, catalogOf, findTemplate } from './templates.js';
export type { BrokenTemplate, LoadedTemplate, TemplateCatalog, TemplateRef, TemplateFileSource } from './templates.js';
export { mergeArgs, substituteArgs, type StepArg } from './args.js';
export { collectTemplates, resolveAnalysis, resolveTemplates } from './resolve.js';
export type { AnalysisRequest, ResolvedAnalysis, DryRunRule, MeasurementRetentionRule } from './resolve.js';
export { allowlistFromEnv, createAllowlist, isAddressAllowed, displayAddress, type AddressAllowlist } from './allowlist.js';
export { PrometheusProvider, prometheusProviderFromEnv, type PrometheusProviderOptions } from './prometheus.js';
export { formatMeasuredValue, parseMeasuredValue, formatNumber } from './value-format.js';
export { judgeValue, type ConditionVerdict } from './conditions.js';
export {
  ERROR_RETRY_INTERVAL_MS,
  createRun,
  dueMetrics,
  recordMeasurement,
  recordMeasurements,
  nextWakeAt,
  terminate,
  assessRun,
  isRunCompleted,
  isCompletedPhase,
  metricResult,
  toRunMetricSpec,
} from './run.js';
export type { Instant, RecordedOutcome, Measurement, MeasurementOutcome, MetricResult, RunState, RunAssessment } from './run.js';
export { runAnalysis, takeMeasurement, measureOnceMetrics, systemClock } from './runner.js';
export type { Clock, MeasurementEvent, RunAnalysisOptions } from './runner.js';
