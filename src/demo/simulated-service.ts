/**
 * The demo's service, seen through a Prometheus HTTP API on loopback: it answers the demo
 * template's error-rate query (`/api/v1/query`) for the canary track. A healthy service fails
 * about 0.5% of its requests; with `failing`, the canary's error rate climbs towards 20% once it
 * takes traffic (the weight is read where Istio would read it: the committed VirtualService).
 * Any other query is refused as Prometheus refuses a bad query, so a template that drifted from
 * the example fails loudly instead of getting made-up numbers.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SimulatedServiceOptions {
  failing: boolean;
  /** The canary's current weight in percent. */
  canaryWeight: () => Promise<number>;
  clock?: () => number;
}

export interface SimulatedService {
  url: string;
  /** Queries answered, in order, with the value given. */
  answered: { query: string; value: number }[];
  close(): Promise<void>;
}

const ERROR_RATE = /^\s*sum\(rate\(http_requests_total\{service="([^"]+)",track="(canary|stable)",code=~"5\.\."\}\[(\w+)\]\)\)\s*\/\s*sum\(rate\(http_requests_total\{service="\1",track="\2"\}\[\3\]\)\)\s*$/;

/** A healthy error ratio: about 0.5%, varying a little from one query to the next. */
const HEALTHY = [0.0048, 0.0053, 0.0051, 0.0046, 0.0055, 0.005];
/** A bad canary once it has traffic: quickly worse, up to 20%. */
const FAILING = [0.118, 0.2];

export async function startSimulatedService(options: SimulatedServiceOptions): Promise<SimulatedService> {
  const clock = options.clock ?? Date.now;
  const answered: { query: string; value: number }[] = [];
  let healthyIndex = 0;
  let failingIndex = 0;

  const valueFor = async (track: string): Promise<number> => {
    const weight = track === 'canary' ? await options.canaryWeight() : 0;
    if (options.failing && track === 'canary' && weight > 0) return FAILING[Math.min(failingIndex++, FAILING.length - 1)];
    return HEALTHY[healthyIndex++ % HEALTHY.length];
  };

  const server: Server = createServer((request, response) => {
    void answer(request).then(
      ({ status, body }) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      (error: Error) => response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', errorType: 'internal', error: error.message })),
    );
  });

  async function answer(request: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const params = request.method === 'POST' ? new URLSearchParams(await readBody(request)) : url.searchParams;
    if (url.pathname !== '/api/v1/query') return { status: 404, body: { status: 'error', errorType: 'not_found', error: `the demo serves /api/v1/query only, not ${url.pathname}` } };
    const query = params.get('query') ?? '';
    const match = ERROR_RATE.exec(query);
    if (!match) return { status: 400, body: { status: 'error', errorType: 'bad_data', error: 'the demo service answers only the error-rate query of templates/demo/analysis/error-rate.yaml' } };
    const value = await valueFor(match[2]);
    answered.push({ query, value });
    return { status: 200, body: { status: 'success', data: { resultType: 'vector', result: [{ metric: { service: match[1], track: match[2] }, value: [clock() / 1000, String(value)] }] } } };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    answered,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
