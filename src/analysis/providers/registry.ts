/**
 * The metric providers, keyed by the name a template writes under `provider:`. Adding a provider
 * is one file exporting a ProviderDefinition and one line in PROVIDERS; the metric types, template
 * checks, evidence, redaction and measuring all follow from this table.
 */
import { AnalysisTemplateError } from '../errors.js';
import { MeasurementError } from '../errors.js';
import type { MetricProvider, ProviderResult, ResolvedMetric } from '../types.js';
import { redactSecrets } from '../../report/redact.js';
import { jobProvider } from './job.js';
import { prometheusProvider } from './prometheus.js';
import type { Env, ProviderCreateOptions, ProviderDefinition, ProviderEvidence, ProviderResolveContext } from './types.js';
import { webProvider } from './web.js';

const PROVIDERS = {
  prometheus: prometheusProvider,
  web: webProvider,
  job: jobProvider,
};

export type ProviderKind = keyof typeof PROVIDERS;
/** The resolved spec of each kind, as ResolvedMetric holds it under the kind's key. */
export type ProviderSpecs = { [K in ProviderKind]: (typeof PROVIDERS)[K] extends ProviderDefinition<infer Spec> ? Spec : never };

export const PROVIDER_KINDS = Object.keys(PROVIDERS) as ProviderKind[];

function definition<K extends ProviderKind>(kind: K): ProviderDefinition<ProviderSpecs[K]> {
  return PROVIDERS[kind] as unknown as ProviderDefinition<ProviderSpecs[K]>;
}

function isKind(kind: string): kind is ProviderKind {
  return Object.hasOwn(PROVIDERS, kind);
}

/** Validates a metric's `provider` block: exactly one known kind, checked by that kind's schema. */
export function resolveProviderBlock(block: Readonly<Record<string, unknown>>, context: ProviderResolveContext): Partial<ProviderSpecs> {
  const kinds = Object.keys(block);
  if (kinds.length === 0) {
    throw new AnalysisTemplateError('provider-unsupported', `no provider; add provider.prometheus with a query (providers: ${PROVIDER_KINDS.join(', ')})`, context.field('provider'));
  }
  if (kinds.length > 1) {
    throw new AnalysisTemplateError('provider-unsupported', `exactly one provider per metric, found ${kinds.join(', ')}`, context.field('provider'));
  }
  const kind = kinds[0];
  if (!isKind(kind)) {
    throw new AnalysisTemplateError(
      'provider-unsupported',
      `provider "${kind}" is not supported; supported providers: ${PROVIDER_KINDS.join(', ')}`,
      context.field(`provider.${kind}`),
    );
  }
  return { [kind]: definition(kind).resolve(block[kind], context) };
}

/** The kind of a resolved metric: the one provider key it holds. */
export function providerKindOf(metric: ResolvedMetric): ProviderKind {
  const kind = PROVIDER_KINDS.find((candidate) => metric[candidate] !== undefined);
  if (!kind) throw new Error(`metric "${metric.name}" has no provider`);
  return kind;
}

function specOf<K extends ProviderKind>(metric: ResolvedMetric, kind: K): ProviderSpecs[K] {
  return metric[kind] as ProviderSpecs[K];
}

/** What of a metric may never be shown: its provider's secrets and the secret arguments it used. */
export function metricSecrets(metric: ResolvedMetric): string[] {
  const kind = providerKindOf(metric);
  return [...definition(kind).secrets(specOf(metric, kind)), ...(metric.secretValues ?? [])];
}

/** What a comment or the CLI shows of a metric, secrets replaced. */
export function metricEvidence(metric: ResolvedMetric): ProviderEvidence {
  const kind = providerKindOf(metric);
  const evidence = definition(kind).evidence(specOf(metric, kind));
  const secrets = metric.secretValues ?? [];
  if (secrets.length === 0) return evidence;
  return {
    ...evidence,
    query: redactSecrets(evidence.query, secrets),
    ...(evidence.address !== undefined ? { address: redactSecrets(evidence.address, secrets) } : {}),
  };
}

/**
 * One MetricProvider measuring every kind: each metric goes to the provider of its kind, built
 * from the operator's environment unless `overrides` supplies it (tests, a CLI flag).
 */
export function createMetricProvider(env: Env, options: ProviderCreateOptions = {}, overrides: Partial<Record<ProviderKind, MetricProvider>> = {}): MetricProvider {
  const built = new Map<ProviderKind, MetricProvider>();
  const providerFor = (kind: ProviderKind): MetricProvider => {
    const existing = overrides[kind] ?? built.get(kind);
    if (existing) return existing;
    const created = definition(kind).create(env, options);
    built.set(kind, created);
    return created;
  };
  return {
    measure(metric: ResolvedMetric, signal?: AbortSignal): Promise<ProviderResult> {
      let kind: ProviderKind;
      try {
        kind = providerKindOf(metric);
      } catch (error) {
        return Promise.reject(new MeasurementError('provider-unsupported', (error as Error).message));
      }
      return providerFor(kind).measure(metric, signal);
    },
  };
}
