/**
 * What every metric provider supplies to the registry: the schema of its `provider.<kind>` block,
 * how the validated block becomes the spec a measurement needs, what of it is shown as evidence,
 * which of its values are secret, and how to build the measuring side from the operator's env.
 */
import type { z } from 'zod';
import type { TemplateLocation } from '../errors.js';
import type { MetricProvider, RangeQuerySpec } from '../types.js';
import type { JobAccess, JobRunContext } from './job.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface ProviderResolveContext {
  /** Location of `spec.metrics[i].<name>` for error messages. */
  readonly field: (name: string) => TemplateLocation;
  /** Key path of the metric, for zod issues. */
  readonly fieldPrefix: readonly PropertyKey[];
}

/** What a pull-request comment and the CLI show of a metric: never headers or credentials. */
export interface ProviderEvidence {
  readonly query: string;
  readonly address?: string;
  readonly rangeQuery?: RangeQuerySpec;
}

export interface ProviderDefinition<Spec> {
  /** The key under `provider:` in a template, e.g. `prometheus`. */
  readonly kind: string;
  readonly schema: z.ZodType;
  /** Validates the raw block (after argument substitution); throws AnalysisTemplateError. */
  resolve(raw: unknown, context: ProviderResolveContext): Spec;
  evidence(spec: Spec): ProviderEvidence;
  /** Values that must never be shown (header values, passwords, user info). */
  secrets(spec: Spec): string[];
  /** The measuring side, configured from the operator's environment. */
  create(env: Env, options: ProviderCreateOptions): MetricProvider;
}

export interface ProviderCreateOptions {
  /** Prometheus: the default datasource and addresses the caller trusts (e.g. `--prometheus`). */
  readonly defaultAddress?: string;
  readonly alsoAllow?: readonly string[];
  /** Job metrics: the namespace's Jobs, or why there are none. */
  readonly jobs?: JobAccess;
  /** Job metrics: the rollout measurement a Job is created for. */
  readonly run?: JobRunContext;
}
