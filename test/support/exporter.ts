/**
 * A synthetic Prometheus exporter on loopback: `http_requests_total{service, code}` counters that
 * grow steadily with time, so that rate(5xx) / rate(all) equals each service's error ratio.
 */
import { createServer, type Server } from 'node:http';

export interface ExporterOptions {
  /** Error ratio per service, e.g. { healthy: 0.01, broken: 0.2 }. */
  readonly services: Readonly<Record<string, number>>;
  /** Requests per second per service (default 100). */
  readonly requestsPerSecond?: number;
}

export interface Exporter {
  /** `127.0.0.1:PORT`, as a scrape target. */
  readonly target: string;
  readonly url: string;
  stop(): Promise<void>;
}

export async function startExporter(options: ExporterOptions): Promise<Exporter> {
  const started = Date.now();
  const perSecond = options.requestsPerSecond ?? 100;
  const server: Server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    const seconds = (Date.now() - started) / 1000;
    const lines = ['# HELP http_requests_total Requests served, by service and status code.', '# TYPE http_requests_total counter'];
    for (const [service, errorRatio] of Object.entries(options.services)) {
      const total = seconds * perSecond;
      lines.push(`http_requests_total{service="${service}",code="200"} ${total * (1 - errorRatio)}`);
      lines.push(`http_requests_total{service="${service}",code="500"} ${total * errorRatio}`);
    }
    response.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(`${lines.join('\n')}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  return {
    target: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/metrics`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
