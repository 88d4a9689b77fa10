/**
 * A Prometheus HTTP API on loopback serving seeded synthetic services. Each registered service
 * holds per-step buckets (requests, errors, p95) of its canary and stable tracks and its own
 * virtual clock; `/api/v1/query` and `/api/v1/query_range` answer the few PromQL shapes the
 * judgment benchmark's templates use, for the service named in the query's `service` label.
 * It is not a PromQL engine: any other query gets a Prometheus `bad_data` error, so a template
 * that drifts from these shapes fails loudly instead of being answered with made-up numbers.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatNumber } from '../../src/analysis/value-format.js';
import { parseDuration } from '../../src/util/duration.js';

export interface Bucket {
  readonly requests: number;
  readonly errors: number;
  readonly p95: number;
}

export interface SyntheticService {
  /** Unix ms at which bucket 0 starts (the canary weight was applied). */
  readonly startMs: number;
  readonly stepMs: number;
  readonly canary: readonly Bucket[];
  readonly stable: readonly Bucket[];
  /** The service's clock: instant queries are evaluated at this time, as Prometheus uses its own "now". */
  nowMs: number;
}

type Track = 'canary' | 'stable';
/** A query as a function of evaluation time; undefined is "no sample at that time". */
type Expression = (service: SyntheticService, atMs: number) => number | undefined;

const ERROR_RATIO =
  /^sum\(rate\(http_requests_total\{service="([^"]+)",track="(canary|stable)",code=~"5\.\."\}\[(\w+)\]\)\) \/ sum\(rate\(http_requests_total\{service="\1",track="\2"\}\[\3\]\)\)$/;
const P95 =
  /^histogram_quantile\(0\.95, sum by \(le\) \(rate\(http_request_duration_seconds_bucket\{service="([^"]+)",track="(canary|stable)"\}\[(\w+)\]\)\)\)$/;

/** The buckets whose end falls in (at − window, at], as `rate(x[window])` at `at` sees them. */
function bucketsIn(service: SyntheticService, track: Track, atMs: number, windowMs: number): Bucket[] {
  const buckets = track === 'canary' ? service.canary : service.stable;
  const last = Math.floor((atMs - service.startMs) / service.stepMs) - 1;
  const first = Math.floor((atMs - windowMs - service.startMs) / service.stepMs);
  const from = Math.max(0, first);
  const to = Math.min(buckets.length - 1, last);
  return from <= to ? buckets.slice(from, to + 1) : [];
}

function errorRatio(track: Track, windowMs: number): Expression {
  return (service, atMs) => {
    const buckets = bucketsIn(service, track, atMs, windowMs);
    if (buckets.length === 0) return undefined;
    const requests = buckets.reduce((sum, b) => sum + b.requests, 0);
    // 0 / 0 is NaN, as in PromQL when the counters exist but did not move.
    return buckets.reduce((sum, b) => sum + b.errors, 0) / requests;
  };
}

function p95(track: Track, windowMs: number): Expression {
  return (service, atMs) => {
    const buckets = bucketsIn(service, track, atMs, windowMs);
    return buckets.length === 1 ? buckets[0].p95 : undefined;
  };
}

interface Parsed {
  service: string;
  expression: Expression;
}

/** The service and the meaning of a query, or an error message Prometheus-style. */
export function parseQuery(query: string): Parsed | string {
  const ratio = ERROR_RATIO.exec(query);
  if (ratio) return { service: ratio[1], expression: errorRatio(ratio[2] as Track, parseDuration(ratio[3])) };
  const quantile = P95.exec(query);
  if (quantile) {
    if (parseDuration(quantile[3]) !== 5000) return 'this fake serves p95 only over [5s], one bucket';
    return { service: quantile[1], expression: p95(quantile[2] as Track, 5000) };
  }
  // (error ratio of one track) / (error ratio of another), as `result[0] < 1.5` templates write it.
  const halves = query.split(') / (');
  if (halves.length === 2 && halves[0].startsWith('(') && halves[1].endsWith(')')) {
    const top = parseQuery(halves[0].slice(1));
    const bottom = parseQuery(halves[1].slice(0, -1));
    if (typeof top === 'string' || typeof bottom === 'string') return 'unsupported operand of a division';
    if (top.service !== bottom.service) return 'both sides of the division must name the same service';
    return {
      service: top.service,
      expression: (service, atMs) => {
        const a = top.expression(service, atMs);
        const b = bottom.expression(service, atMs);
        return a === undefined || b === undefined ? undefined : a / b;
      },
    };
  }
  return `unsupported query for the synthetic Prometheus: ${query}`;
}

export interface QueryParams {
  readonly query: string;
  /** Seconds, as Prometheus takes them; absent on an instant query without `time`. */
  readonly time?: string;
  readonly start?: string;
  readonly end?: string;
  readonly step?: string;
}

/** Bounds a range query's points, as Prometheus refuses more than 11,000 per series. */
const MAX_POINTS = 11_000;

/** The Prometheus API body for a query over the registered services (status success or error). */
export function answerQuery(services: ReadonlyMap<string, SyntheticService>, params: QueryParams, range: boolean): { status: number; body: unknown } {
  const badData = (error: string) => ({ status: 400, body: { status: 'error', errorType: 'bad_data', error } });
  const parsed = parseQuery(params.query);
  if (typeof parsed === 'string') return badData(parsed);
  const service = services.get(parsed.service);
  // An unknown service has no series: an empty result, as Prometheus answers.
  const labels = { service: parsed.service };
  if (!range) {
    const atMs = params.time !== undefined ? Math.round(Number(params.time) * 1000) : service?.nowMs;
    if (atMs === undefined || Number.isNaN(atMs)) return badData('invalid parameter "time"');
    const value = service ? parsed.expression(service, atMs) : undefined;
    const result = value === undefined ? [] : [{ metric: labels, value: [atMs / 1000, formatNumber(value)] }];
    return { status: 200, body: { status: 'success', data: { resultType: 'vector', result } } };
  }
  const startMs = Math.round(Number(params.start) * 1000);
  const endMs = Math.round(Number(params.end) * 1000);
  const stepMs = Math.round(Number(params.step) * 1000);
  if (![startMs, endMs, stepMs].every(Number.isFinite) || stepMs <= 0 || endMs < startMs) return badData('invalid start, end or step');
  if ((endMs - startMs) / stepMs >= MAX_POINTS) return badData('exceeded maximum resolution of 11,000 points per timeseries');
  const values: [number, string][] = [];
  for (let atMs = startMs; atMs <= endMs && service; atMs += stepMs) {
    const value = parsed.expression(service, atMs);
    if (value !== undefined) values.push([atMs / 1000, formatNumber(value)]);
  }
  const result = values.length === 0 ? [] : [{ metric: labels, values }];
  return { status: 200, body: { status: 'success', data: { resultType: 'matrix', result } } };
}

export interface SyntheticPrometheus {
  readonly url: string;
  readonly services: Map<string, SyntheticService>;
  /** Requests answered so far. */
  requests(): number;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export async function startSyntheticPrometheus(): Promise<SyntheticPrometheus> {
  const services = new Map<string, SyntheticService>();
  let answered = 0;
  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      // The provider POSTs long queries as a form, as Prometheus accepts them.
      const form = request.method === 'POST' ? new URLSearchParams(await readBody(request)) : url.searchParams;
      const get = (name: string) => form.get(name) ?? undefined;
      const range = url.pathname === '/api/v1/query_range';
      let reply: { status: number; body: unknown };
      if (!range && url.pathname !== '/api/v1/query') reply = { status: 404, body: { status: 'error', errorType: 'not_found', error: `no such path ${url.pathname}` } };
      else reply = answerQuery(services, { query: get('query') ?? '', time: get('time'), start: get('start'), end: get('end'), step: get('step') }, range);
      answered++;
      response.writeHead(reply.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(reply.body));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    services,
    requests: () => answered,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
