/**
 * `/metrics` on a port of its own (`METRICS_PORT`), so the ingress that lets GitHub's webhooks in
 * never exposes it. The read-only dashboard is served here too, for the same reason; `/metrics`
 * stays outside its optional authentication so Prometheus scrapes it as before.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DashboardHandler } from '../dashboard/dashboard.js';
import type { OpsboxMetrics } from '../metrics/metrics.js';

export const DEFAULT_METRICS_PORT = 9464;

/** The port from `METRICS_PORT`: the default when unset, undefined for `0` (off). */
export function metricsPort(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const raw = env.METRICS_PORT?.trim();
  if (raw === undefined || raw === '') return DEFAULT_METRICS_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`METRICS_PORT must be a port number from 1 to 65535, or 0 to turn /metrics off; got "${raw}"`);
  }
  return port === 0 ? undefined : port;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(metrics: OpsboxMetrics, options: { port: number; host?: string; dashboard?: DashboardHandler }): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' && options.dashboard?.(req, res)) return;
    if (req.method !== 'GET' || path !== '/metrics') {
      const served = options.dashboard ? 'GET /metrics and the dashboard (/, /rollouts/<id>, /api/rollouts) are' : 'only GET /metrics is';
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`${served} served here\n`);
      return;
    }
    metrics.exposition().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${(error as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`METRICS_PORT ${options.port} is already in use; set METRICS_PORT to a free port, or 0 to turn /metrics off`) : error),
    );
    server.listen({ port: options.port, host: options.host }, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
