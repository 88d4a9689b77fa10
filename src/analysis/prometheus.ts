/**
 * The Prometheus metric provider (Argo Rollouts' `provider.prometheus`): runs an instant or range
 * query against an allowed address and turns the answer, or whatever went wrong, into a result
 * or a MeasurementError that says what happened. Credentials and header values never appear in
 * messages.
 */
import { allowlistFromEnv, displayAddress, isAddressAllowed, notAllowedMessage, type AddressAllowlist } from './allowlist.js';
import { MeasurementError } from './errors.js';
import { sendHttpRequest, type HttpResponse } from './http-request.js';
import { basicAuthSecrets, redactSecrets } from '../report/redact.js';
import { convertQueryResponse } from './prometheus-result.js';
import { evaluateRangeTime } from './range-time.js';
import type { MetricProvider, PrometheusMetric, PrometheusQuerySpec, ProviderResult, ResolvedMetric } from './types.js';
import { formatDuration, parseDuration } from '../util/duration.js';

export interface PrometheusProviderOptions {
  /** Used when a metric has no `address` (the config's prometheus.address or PROMETHEUS_URL). */
  readonly defaultAddress?: string;
  readonly allowlist: AddressAllowlist;
  /** Sent as `Authorization: Bearer` unless the metric sets its own Authorization. */
  readonly bearerToken?: string;
  /** Clock for rangeQuery `now()`; defaults to Date.now. */
  readonly now?: () => number;
}

/** Query strings longer than this are sent with POST, as proxies may cut long URLs. */
const MAX_GET_PARAMS_LENGTH = 2048;
/** Keep at most this much of a response body as the raw result. */
const MAX_RAW_LENGTH = 100_000;
const SNIPPET_LENGTH = 200;

/** A provider configured from the operator's environment (PROMETHEUS_URL, allowlist, bearer token). */
export function prometheusProviderFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  overrides: { defaultAddress?: string; alsoAllow?: readonly string[] } = {},
): PrometheusProvider {
  return new PrometheusProvider({
    defaultAddress: overrides.defaultAddress ?? (env.PROMETHEUS_URL || undefined),
    allowlist: allowlistFromEnv(env, overrides.alsoAllow),
    bearerToken: env.PROMETHEUS_BEARER_TOKEN || undefined,
  });
}

export class PrometheusProvider implements MetricProvider {
  constructor(private readonly options: PrometheusProviderOptions) {}

  async measure(metric: ResolvedMetric, signal?: AbortSignal): Promise<ProviderResult> {
    if (!metric.prometheus) throw new MeasurementError('provider-mismatch', `metric "${metric.name}" is not a Prometheus metric`);
    // A server may echo what it was sent (`got Bearer tok-…`); no message may carry it further.
    const secrets = [...metricSecrets(metric.prometheus), ...(metric.secretValues ?? []), ...(this.options.bearerToken ? [this.options.bearerToken] : [])];
    try {
      return await this.query(metric, secrets, signal);
    } catch (error) {
      if (error instanceof MeasurementError) throw new MeasurementError(error.code, redactSecrets(error.message, secrets));
      throw error;
    }
  }

  private async query(metric: PrometheusMetric, secrets: readonly string[], signal?: AbortSignal): Promise<ProviderResult> {
    const spec = metric.prometheus;
    const address = spec.address ?? this.options.defaultAddress;
    if (!address) {
      throw new MeasurementError(
        'address-missing',
        'the metric has no prometheus.address and no default Prometheus is configured; set prometheus.address in .github/opsbox.yml, PROMETHEUS_URL, or --prometheus',
      );
    }
    const base = parseAddress(address);
    if (!isAddressAllowed(address, this.options.allowlist)) {
      throw new MeasurementError('address-not-allowed', notAllowedMessage(address, this.options.allowlist));
    }

    const params = this.queryParams(metric);
    const endpoint = new URL(base.url);
    endpoint.pathname = `${endpoint.pathname.replace(/\/+$/, '')}/api/v1/${spec.rangeQuery ? 'query_range' : 'query'}`;
    const encoded = params.toString();
    const usePost = encoded.length > MAX_GET_PARAMS_LENGTH;
    if (!usePost) endpoint.search = encoded;

    const headers: Record<string, string> = { Accept: 'application/json' };
    if (usePost) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    for (const { key, value } of spec.headers) headers[key] = value;
    const hasAuthorization = () => Object.keys(headers).some((key) => key.toLowerCase() === 'authorization');
    const basicAuth = spec.basicAuth ?? base.userInfo;
    if (basicAuth) {
      // basicAuth wins over a template's own Authorization header, in whatever case it was written.
      for (const key of Object.keys(headers)) if (key.toLowerCase() === 'authorization') delete headers[key];
      headers.Authorization = `Basic ${Buffer.from(`${basicAuth.username}:${basicAuth.password}`).toString('base64')}`;
    }
    if (this.options.bearerToken && !hasAuthorization()) headers.Authorization = `Bearer ${this.options.bearerToken}`;

    const where = displayAddress(address);
    const timeout = AbortSignal.timeout(spec.timeoutMs);
    let response: HttpResponse;
    try {
      response = await sendHttpRequest({
        url: endpoint,
        method: usePost ? 'POST' : 'GET',
        headers,
        body: usePost ? encoded : undefined,
        insecure: spec.insecure,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (timeout.aborted) {
        throw new MeasurementError('timeout', `Prometheus at ${where} did not answer within ${formatDuration(spec.timeoutMs)} (timeout); raise provider.prometheus.timeout or check the query's cost`);
      }
      if (signal?.aborted) throw new MeasurementError('aborted', 'the measurement was cancelled');
      throw connectionError(error, where, spec.insecure);
    }
    const redacted = { ...response, body: redactSecrets(response.body, secrets) };
    return { value: readResponse(redacted, where), raw: redacted.body.slice(0, MAX_RAW_LENGTH) };
  }

  private queryParams(metric: PrometheusMetric): URLSearchParams {
    const spec = metric.prometheus;
    const params = new URLSearchParams({ query: spec.query });
    if (!spec.rangeQuery) return params;
    const now = (this.options.now ?? Date.now)();
    try {
      params.set('start', toPrometheusTime(evaluateRangeTime(spec.rangeQuery.start, now)));
      params.set('end', toPrometheusTime(evaluateRangeTime(spec.rangeQuery.end, now)));
      params.set('step', String(parseDuration(spec.rangeQuery.step) / 1000));
    } catch (error) {
      throw new MeasurementError('query-invalid', `rangeQuery: ${(error as Error).message}`);
    }
    return params;
  }
}

/**
 * What a Prometheus block holds that must never be shown: header values (any of them may be a
 * key), basic credentials, and the user info of its address.
 */
export function metricSecrets(spec: PrometheusQuerySpec): string[] {
  const secrets = [...spec.headers.map((header) => header.value), ...basicAuthSecrets(spec.basicAuth)];
  if (spec.address) {
    try {
      const url = new URL(spec.address);
      if (url.username) secrets.push(...basicAuthSecrets({ username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }));
    } catch {
      // Not a URL: there is no user info to hide.
    }
  }
  return secrets;
}

function readResponse(response: HttpResponse, where: string): ProviderResult['value'] {
  let body: unknown;
  let parsed = true;
  try {
    body = JSON.parse(response.body);
  } catch {
    parsed = false;
  }
  const apiError = parsed ? prometheusError(body) : undefined;
  if (response.status < 200 || response.status >= 300) {
    const detail = apiError ?? (response.body.trim() ? snippet(response.body) : 'empty body');
    const hint = response.status >= 300 && response.status < 400 ? ' (redirects are not followed; use the final address)' : '';
    throw new MeasurementError('http-status', `Prometheus at ${where} returned HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${hint}: ${detail}`);
  }
  if (!parsed) {
    throw new MeasurementError(
      'bad-response',
      `Prometheus at ${where} answered with a body that is not JSON (content-type ${response.contentType || 'unknown'}): ${snippet(response.body)}; is the address a Prometheus server?`,
    );
  }
  const status = (body as { status?: unknown } | null)?.status;
  if (status === 'error') throw new MeasurementError('prometheus-error', `Prometheus query failed at ${where}: ${apiError}`);
  if (status !== 'success') {
    throw new MeasurementError('bad-response', `Prometheus at ${where} answered without status "success" (${snippet(response.body)}); is the address a Prometheus server?`);
  }
  return convertQueryResponse(body);
}

/** `errorType: error` from a Prometheus error body, when it is one. */
function prometheusError(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { status, errorType, error } = body as { status?: unknown; errorType?: unknown; error?: unknown };
  if (status !== 'error') return undefined;
  const type = typeof errorType === 'string' && errorType ? errorType : 'error';
  return `${type}: ${typeof error === 'string' ? error : 'no error message'}`;
}

const CONNECTION_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

function connectionError(error: unknown, where: string, insecure: boolean): MeasurementError {
  const code = errorCode(error);
  const known = code ? CONNECTION_CODES[code] : undefined;
  if (known) return new MeasurementError('connection', `cannot connect to Prometheus at ${where}: ${known} (${code})`);
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|TLS/i.test(code)) {
    const hint = insecure ? '' : '; fix the certificate or set insecure: true in the prometheus provider';
    return new MeasurementError('connection', `cannot connect to Prometheus at ${where}: TLS certificate problem (${code})${hint}`);
  }
  const message = error instanceof Error ? innermostMessage(error) : String(error);
  return new MeasurementError('connection', `cannot connect to Prometheus at ${where}: ${message}`);
}

function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function innermostMessage(error: Error): string {
  let current: Error = error;
  for (let depth = 0; depth < 5 && current.cause instanceof Error; depth++) current = current.cause;
  return current.message;
}

function parseAddress(address: string): { url: URL; userInfo?: { username: string; password: string } } {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new MeasurementError('address-invalid', `Prometheus address ${JSON.stringify(displayAddress(address))} is not a valid URL; write it like http://prometheus.monitoring:9090`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MeasurementError('address-invalid', `Prometheus address must be http:// or https:// (got ${url.protocol})`);
  }
  // fetch refuses URLs with credentials; send them as basic auth instead.
  const userInfo = url.username ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : undefined;
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  return { url, userInfo };
}

function toPrometheusTime(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > SNIPPET_LENGTH ? `${flat.slice(0, SNIPPET_LENGTH)}…` : flat);
}
