/**
 * Starts a real Prometheus (the Debian package's /usr/bin/prometheus, or PROMETHEUS_BIN) on a
 * free loopback port, with a temporary config and storage directory, scraping the given targets.
 */
import path from 'node:path';
import { executableAvailable, startDaemon, type RunningDaemon } from './daemon.js';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export interface PrometheusOptions {
  /** `host:port` targets to scrape at /metrics. */
  readonly scrapeTargets: readonly string[];
  /** Prometheus duration, e.g. `1s`. */
  readonly scrapeInterval?: string;
  /** How long to wait for /-/ready (default 30 s). */
  readonly readyTimeoutMs?: number;
}

export type RunningPrometheus = RunningDaemon;

export function prometheusAvailable(): boolean {
  return executableAvailable(PROMETHEUS_BIN);
}

export function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const interval = options.scrapeInterval ?? '1s';
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    '  - job_name: synthetic',
    `    scrape_interval: ${interval}`,
    '    static_configs:',
    `      - targets: [${options.scrapeTargets.map((t) => JSON.stringify(t)).join(', ')}]`,
    '',
  ].join('\n');
  return startDaemon({
    name: 'Prometheus',
    bin: PROMETHEUS_BIN,
    files: { 'prometheus.yml': config },
    args: (port, dir) => [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    readyTimeoutMs: options.readyTimeoutMs,
  });
}

/**
 * Polls an instant query until it returns at least `minSeries` finite samples (bounded by
 * `timeoutMs`), so that rate() windows have data before a test measures.
 */
export async function waitForSamples(url: string, query: string, { minSeries = 1, timeoutMs = 30_000 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 1000 && Date.now() < deadline; attempt++) {
    try {
      const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query })}`, { signal: AbortSignal.timeout(2000) });
      const body = (await response.json()) as { data?: { result?: { value?: [number, string] }[] } };
      const samples = body.data?.result ?? [];
      if (samples.length >= minSeries && samples.every((sample) => sample.value && Number.isFinite(Number(sample.value[1])))) return;
    } catch {
      // Not ready yet; try again.
    }
    await delay(250);
  }
  throw new Error(`Prometheus at ${url} had no samples for ${query} within ${timeoutMs} ms`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
