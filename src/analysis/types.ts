/**
 * Shapes shared by the analysis engine: resolved metrics, measurements, phases and the provider
 * interface. Everything a run stores is plain JSON so it can be written to disk and resumed.
 */
import type { ProviderKind, ProviderSpecs } from './providers/registry.js';

/** Argo Rollouts' analysis phases. */
export type AnalysisPhase = 'Pending' | 'Running' | 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

/** Phases a finished measurement, metric or run can end in. */
export type CompletedPhase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

/**
 * What a provider measured: scalar → number, vector/matrix → numbers, string → string. A web
 * metric's JSON value keeps numbers and booleans; anything else is its JSON text.
 */
export type MeasuredValue = number | number[] | string | boolean;

export type TemplateKind = 'AnalysisTemplate' | 'ClusterAnalysisTemplate';

/** Where a metric came from, for error messages and the evidence shown on pull requests. */
export interface MetricSource {
  readonly file: string;
  readonly template: string;
  readonly kind: TemplateKind | 'CanaryJudge';
}

/** Argo's rangeQuery: start/end are expressions like `now() - duration("5m")`, step a duration. */
export interface RangeQuerySpec {
  readonly start: string;
  readonly end: string;
  readonly step: string;
}

/** A Prometheus provider block after argument substitution and validation. */
export interface PrometheusQuerySpec {
  /** Absent when the template relies on the default datasource. */
  readonly address?: string;
  readonly query: string;
  readonly timeoutMs: number;
  readonly headers: readonly { readonly key: string; readonly value: string }[];
  readonly insecure: boolean;
  readonly basicAuth?: { readonly username: string; readonly password: string };
  readonly rangeQuery?: RangeQuerySpec;
}

/**
 * The schedule, judgement and limits of one metric: everything a run needs to decide what to
 * measure and how to assess it. It holds no credentials, so it can be stored with the run.
 */
export interface RunMetricSpec {
  readonly name: string;
  /** Durations as written in the template, kept for display. */
  readonly interval?: string;
  readonly initialDelay?: string;
  readonly intervalMs?: number;
  readonly initialDelayMs?: number;
  /** Unset (or 0 in the template) means: 1 without an interval, unlimited with one. */
  readonly count?: number;
  readonly successCondition?: string;
  readonly failureCondition?: string;
  /** -1 disables the failure limit. */
  readonly failureLimit: number;
  readonly inconclusiveLimit: number;
  readonly consecutiveErrorLimit: number;
  /** 0 disables. */
  readonly consecutiveSuccessLimit: number;
  /**
   * `evaluate` (the template annotation opsbox.dev/empty-result): an empty result is judged by the
   * conditions alone, as Argo does. Unset: an empty result that would pass untested is an Error.
   */
  readonly emptyResult?: 'evaluate';
  /** Dry-run metrics are measured and shown but never decide the run phase. */
  readonly dryRun: boolean;
  /** How many measurements are kept for this metric. */
  readonly measurementRetention: number;
  /** The provider kind when it is not `prometheus` (stored states from before kinds have none). */
  readonly provider?: string;
  /** The query and address, shown as evidence (no headers, no credentials). */
  readonly query: string;
  readonly address?: string;
  readonly rangeQuery?: RangeQuerySpec;
  readonly source: MetricSource;
  /**
   * Set when the metric is a CanaryJudge (its name): each measurement's value is the judgement as
   * JSON and the judgement's phase is the measurement's phase.
   */
  readonly judge?: string;
}

/** A web provider block (Argo's `provider.web`) after argument substitution and validation. */
export interface WebQuerySpec {
  readonly url: string;
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly headers: readonly { readonly key: string; readonly value: string }[];
  /** The request body as sent: `body` as written, or `jsonBody` serialised. */
  readonly body?: string;
  readonly jsonBody: boolean;
  readonly timeoutMs: number;
  /** Kubernetes JSONPath as written (`{$.data.ok}`); absent means the whole body. */
  readonly jsonPath?: string;
  readonly insecure: boolean;
}

interface ResolvedMetricBase extends Omit<RunMetricSpec, 'query' | 'address' | 'rangeQuery'> {
  /** Values of arguments read from secrets (valueFrom.secretKeyRef): never shown anywhere. */
  readonly secretValues?: readonly string[];
}

/** A metric of one provider kind: that kind's spec under its key, the other kinds' keys absent. */
export type MetricOfKind<K extends ProviderKind> = ResolvedMetricBase & { readonly [P in K]: ProviderSpecs[P] } & {
  readonly [P in Exclude<ProviderKind, K>]?: undefined;
};

export type PrometheusMetric = MetricOfKind<'prometheus'>;
export type WebMetric = MetricOfKind<'web'>;

/**
 * A metric ready to measure: its run spec plus the full configuration of its provider, under the
 * provider's kind. The kinds are the keys of the registry (providers/registry.ts).
 */
export type ResolvedMetric = { [K in ProviderKind]: MetricOfKind<K> }[ProviderKind];

/** What a provider returns for a successful query. */
export interface ProviderResult {
  readonly value: MeasuredValue;
  /** The response body as received, for debugging. */
  readonly raw: string;
}

/**
 * A metric source. `measure` resolves with the value or rejects with a MeasurementError whose
 * message says what went wrong; any other rejection is reported as an Error measurement too.
 */
export interface MetricProvider {
  measure(metric: ResolvedMetric, signal?: AbortSignal): Promise<ProviderResult>;
}
