/**
 * Argo Rollouts' `provider.web`: one HTTP request to an allowed URL, the value being what the
 * response's JSON holds at `jsonPath` (or the whole document). A non-2xx status, a body that is
 * not JSON and a path that matches nothing are Error measurements. Header values and secret
 * arguments never appear in a message.
 */
import { z } from 'zod';
import { displayAddress, isAddressAllowed, webAllowlistFromEnv, WEB_ALLOWLIST_ENV, type AddressAllowlist } from '../allowlist.js';
import { AnalysisTemplateError, MeasurementError } from '../errors.js';
import { sendHttpRequest, type HttpResponse } from '../http-request.js';
import { describeIssues, headerSchema, intOrString } from '../template.schema.js';
import type { MeasuredValue, MetricProvider, ProviderResult, ResolvedMetric, WebQuerySpec } from '../types.js';
import { redactSecrets } from '../../report/redact.js';
import { formatDuration } from '../../util/duration.js';
import { findJsonPath, JsonPathError, parseJsonPath } from './json-path.js';
import type { ProviderDefinition } from './types.js';

/** Argo's default when timeoutSeconds is unset or not positive. */
export const DEFAULT_WEB_TIMEOUT_SECONDS = 10;
/** How much of an unexpected body an error quotes. */
const BODY_BYTES_SHOWN = 200;
const MAX_RAW_LENGTH = 100_000;

export const webProviderSchema = z.strictObject({
  url: z.string().trim().min(1, 'must not be empty'),
  method: z.enum(['GET', 'POST', 'PUT']).default('GET'),
  headers: z.array(headerSchema).default([]),
  body: z.string().optional(),
  jsonBody: z.unknown().optional(),
  timeoutSeconds: intOrString.optional(),
  jsonPath: z.string().optional(),
  insecure: z.boolean().default(false),
});

export const webProvider: ProviderDefinition<WebQuerySpec> = {
  kind: 'web',
  schema: webProviderSchema,
  resolve(raw, { field, fieldPrefix }) {
    const parsed = webProviderSchema.safeParse(raw);
    if (!parsed.success) {
      const { field: _field, ...location } = field('provider.web');
      throw new AnalysisTemplateError('metric-invalid', describeIssues(parsed.error, [...fieldPrefix, 'provider', 'web'], raw), location);
    }
    const spec = parsed.data;
    const problem = urlProblem(spec.url);
    if (problem) throw new AnalysisTemplateError('metric-invalid', problem, field('provider.web.url'));
    if (spec.body !== undefined && spec.jsonBody !== undefined) {
      throw new AnalysisTemplateError('metric-invalid', 'body and jsonBody are both set; keep one', field('provider.web.body'));
    }
    const hasBody = (spec.body !== undefined && spec.body !== '') || spec.jsonBody !== undefined;
    if (hasBody && spec.method === 'GET') {
      throw new AnalysisTemplateError('metric-invalid', 'a body needs method POST or PUT', field('provider.web.method'));
    }
    if (spec.jsonPath !== undefined && spec.jsonPath.trim() !== '') {
      try {
        parseJsonPath(spec.jsonPath);
      } catch (error) {
        if (!(error instanceof JsonPathError)) throw error;
        throw new AnalysisTemplateError('metric-invalid', `jsonPath ${error.message}`, field('provider.web.jsonPath'));
      }
    }
    const seconds = spec.timeoutSeconds !== undefined && spec.timeoutSeconds > 0 ? spec.timeoutSeconds : DEFAULT_WEB_TIMEOUT_SECONDS;
    return {
      url: spec.url,
      method: spec.method,
      headers: spec.headers,
      ...(spec.jsonBody !== undefined ? { body: JSON.stringify(spec.jsonBody) } : spec.body ? { body: spec.body } : {}),
      jsonBody: spec.jsonBody !== undefined,
      timeoutMs: seconds * 1000,
      ...(spec.jsonPath?.trim() ? { jsonPath: spec.jsonPath.trim() } : {}),
      insecure: spec.insecure,
    };
  },
  evidence(spec) {
    const url = displayAddress(spec.url);
    return { query: `${spec.method} ${url}${spec.jsonPath ? ` ${spec.jsonPath}` : ''}`, address: url };
  },
  secrets(spec) {
    return webSecrets(spec);
  },
  create(env) {
    return new WebProvider({ allowlist: webAllowlistFromEnv(env) });
  },
};

/** Every header value may be a key; user info in the URL is a password. */
export function webSecrets(spec: WebQuerySpec): string[] {
  const secrets = spec.headers.map((header) => header.value);
  try {
    const url = new URL(spec.url);
    if (url.password) secrets.push(decodeURIComponent(url.password));
  } catch {
    // Not a URL: nothing more to hide.
  }
  return secrets;
}

export interface WebProviderOptions {
  readonly allowlist: AddressAllowlist;
}

export class WebProvider implements MetricProvider {
  constructor(private readonly options: WebProviderOptions) {}

  async measure(metric: ResolvedMetric, signal?: AbortSignal): Promise<ProviderResult> {
    if (!metric.web) throw new MeasurementError('provider-mismatch', `metric "${metric.name}" is not a web metric`);
    const secrets = [...webSecrets(metric.web), ...(metric.secretValues ?? [])];
    try {
      return await this.call(metric.web, secrets, signal);
    } catch (error) {
      if (error instanceof MeasurementError) throw new MeasurementError(error.code, redactSecrets(error.message, secrets));
      throw error;
    }
  }

  private async call(spec: WebQuerySpec, secrets: readonly string[], signal?: AbortSignal): Promise<ProviderResult> {
    const where = `${spec.method} ${redactSecrets(displayAddress(spec.url), secrets)}`;
    if (!isAddressAllowed(spec.url, this.options.allowlist)) {
      const allowed = this.options.allowlist.prefixes.length ? this.options.allowlist.prefixes.join(', ') : 'none';
      throw new MeasurementError(
        'address-not-allowed',
        `web metric URL ${redactSecrets(displayAddress(spec.url), secrets)} is not allowed (allowed prefixes: ${allowed}). ` +
          `An operator can allow it by adding its URL to ${WEB_ALLOWLIST_ENV} (comma-separated URL prefixes)`,
      );
    }
    const url = new URL(spec.url);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (url.username) {
      headers.Authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    for (const { key, value } of spec.headers) headers[key] = value;
    if (spec.jsonBody) headers['Content-Type'] = 'application/json';

    const timeout = AbortSignal.timeout(spec.timeoutMs);
    let response: HttpResponse;
    try {
      response = await sendHttpRequest({
        url,
        method: spec.method,
        headers,
        body: spec.body,
        insecure: spec.insecure,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (timeout.aborted) throw new MeasurementError('timeout', `${where} did not answer within ${formatDuration(spec.timeoutMs)} (timeout); raise provider.web.timeoutSeconds`);
      if (signal?.aborted) throw new MeasurementError('aborted', 'the measurement was cancelled');
      throw new MeasurementError('connection', `cannot reach ${where}: ${describeConnectionError(error)}`);
    }
    const body = redactSecrets(response.body, secrets);
    if (response.status < 200 || response.status >= 300) {
      throw new MeasurementError('http-status', `${where} returned HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}: ${quoteStart(body)}`);
    }
    let document: unknown;
    try {
      document = JSON.parse(response.body);
    } catch {
      throw new MeasurementError('bad-response', `${where} answered with a body that is not JSON (content-type ${response.contentType || 'unknown'}): ${quoteStart(body)}`);
    }
    const found = spec.jsonPath ? findJsonPath(document, parseJsonPath(spec.jsonPath)) : { found: true as const, value: document };
    if (!found.found) {
      throw new MeasurementError('no-match', `jsonPath ${spec.jsonPath} matches nothing in the answer of ${where}: ${quoteStart(body)}`);
    }
    return { value: toMeasuredValue(found.value), raw: body.slice(0, MAX_RAW_LENGTH) };
  }
}

/** Numbers, booleans, strings and arrays of numbers keep their type for conditions; anything else is its JSON. */
export function toMeasuredValue(value: unknown): MeasuredValue {
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'number')) return value as number[];
  return JSON.stringify(value);
}

/** The first 200 bytes of a body, quoted on one line. */
function quoteStart(body: string): string {
  if (body.trim() === '') return 'empty body';
  const bytes = Buffer.from(body, 'utf8');
  const start = bytes.length > BODY_BYTES_SHOWN ? `${bytes.subarray(0, BODY_BYTES_SHOWN).toString('utf8')}…` : body;
  return JSON.stringify(start.replace(/\s+/g, ' ').trim());
}

function urlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${JSON.stringify(displayAddress(url))} is not a valid URL; write it like https://status.example.com/api/health`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `url must start with http:// or https:// (got ${parsed.protocol})`;
  if (!parsed.hostname) return 'url has no host';
  return undefined;
}

function describeConnectionError(error: unknown): string {
  // Duck-typed: errors raised inside fetch may come from another realm, where instanceof fails.
  const causeOf = (value: unknown) => (typeof value === 'object' && value !== null ? (value as { cause?: unknown }).cause : undefined);
  let current: unknown = error;
  for (let depth = 0; depth < 5 && causeOf(current); depth++) current = causeOf(current);
  const code = (current as { code?: unknown } | undefined)?.code;
  const text = (current as { message?: unknown } | undefined)?.message;
  const message = typeof text === 'string' ? text : String(current);
  return typeof code === 'string' ? `${message} (${code})` : message;
}
