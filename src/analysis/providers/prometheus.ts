/**
 * Argo Rollouts' `provider.prometheus`: an instant or range query against an allowed address. The
 * measuring side lives in ../prometheus.ts; this file is its entry in the provider registry.
 */
import { AnalysisTemplateError } from '../errors.js';
import { PrometheusProvider, metricSecrets, prometheusProviderFromEnv } from '../prometheus.js';
import { evaluateRangeTime } from '../range-time.js';
import { describeIssues, prometheusProviderSchema } from '../template.schema.js';
import type { PrometheusQuerySpec } from '../types.js';
import { parseDuration } from '../../util/duration.js';
import type { ProviderDefinition } from './types.js';

export const DEFAULT_PROMETHEUS_TIMEOUT_MS = 30_000;

export const prometheusProvider: ProviderDefinition<PrometheusQuerySpec> = {
  kind: 'prometheus',
  schema: prometheusProviderSchema,
  resolve(raw, { field, fieldPrefix }) {
    const parsed = prometheusProviderSchema.safeParse(raw);
    if (!parsed.success) {
      const { field: _field, ...location } = field('provider.prometheus');
      throw new AnalysisTemplateError('metric-invalid', describeIssues(parsed.error, [...fieldPrefix, 'provider', 'prometheus'], raw), location);
    }
    const spec = parsed.data;
    if (spec.address !== undefined) {
      const problem = addressProblem(spec.address);
      if (problem) throw new AnalysisTemplateError('metric-invalid', problem, field('provider.prometheus.address'));
    }
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
  },
  evidence(spec) {
    return {
      query: spec.query,
      ...(spec.address !== undefined ? { address: spec.address } : {}),
      ...(spec.rangeQuery !== undefined ? { rangeQuery: spec.rangeQuery } : {}),
    };
  },
  secrets(spec) {
    return metricSecrets(spec);
  },
  create(env, options): PrometheusProvider {
    return prometheusProviderFromEnv(env, options);
  },
};

/** Why an address cannot be queried (Argo requires a scheme and a host), or undefined when it can. */
function addressProblem(address: string): string | undefined {
  // The address may carry credentials: quote it without its user info.
  const shown = JSON.stringify(address.replace(/\/\/[^\s/@]*@/, '//***@'));
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return `${shown} is not a valid URL; write it like http://prometheus.monitoring:9090`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `${shown} must start with http:// or https:// (got ${url.protocol}); write it like http://prometheus.monitoring:9090`;
  }
  if (!url.hostname) return `${shown} has no host; write it like http://prometheus.monitoring:9090`;
  return undefined;
}
