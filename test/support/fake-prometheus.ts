/**
 * A Prometheus HTTP API on loopback whose answers the test sets: each instant query gets the
 * current vector. The real Prometheus is covered by the *.prometheus.test.ts suites.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakePrometheus {
  url: string;
  /** Values returned by every following query (an empty array is "no data"). */
  answer(values: number[]): void;
  /** Values for queries containing `fragment`, instead of the common answer (later calls win). */
  answerQuery(fragment: string, values: number[]): void;
  /** Stops answering with data: every query gets HTTP 503. */
  down(isDown: boolean): void;
  queries: string[];
  close(): Promise<void>;
}

export async function startFakePrometheus(): Promise<FakePrometheus> {
  let values: number[] = [0.01];
  let isDown = false;
  const byFragment: [string, number[]][] = [];
  const queries: string[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    queries.push(url.searchParams.get('query') ?? '');
    if (isDown) {
      response.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable');
      return;
    }
    const now = Date.now() / 1000;
    const query = queries[queries.length - 1];
    const answer = [...byFragment].reverse().find(([fragment]) => query.includes(fragment))?.[1] ?? values;
    const result = answer.map((value, i) => ({ metric: { instance: `pod-${i}` }, value: [now, String(value)] }));
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    answer: (next) => {
      values = next;
    },
    answerQuery: (fragment, next) => {
      byFragment.push([fragment, next]);
    },
    down: (next) => {
      isDown = next;
    },
    queries,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
