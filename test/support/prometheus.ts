/**
 * Starts a real Prometheus (the Debian package's /usr/bin/prometheus, or PROMETHEUS_BIN) on a
 * free loopback port, with a temporary config and storage directory, scraping the given targets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export interface PrometheusOptions {
  /** `host:port` targets to scrape at /metrics. */
  readonly scrapeTargets: readonly string[];
  /** Prometheus duration, e.g. `1s`. */
  readonly scrapeInterval?: string;
  /** How long to wait for /-/ready (default 30 s). */
  readonly readyTimeoutMs?: number;
}

export interface RunningPrometheus {
  readonly url: string;
  /** Stops the process (SIGTERM, then SIGKILL) and removes its files; safe to call twice. */
  stop(): Promise<void>;
}

export function prometheusAvailable(): boolean {
  try {
    accessSync(PROMETHEUS_BIN, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const dir = await mkdtemp(path.join(tmpdir(), 'opsbox-prometheus-'));
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
  await writeFile(path.join(dir, 'prometheus.yml'), config);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const remember = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await terminate(child);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(url, child, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\nPrometheus output:\n${output.join('')}`);
  }
  return { url, stop };
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

async function waitUntilReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 1000 && Date.now() < deadline; attempt++) {
    if (child.exitCode !== null) throw new Error(`Prometheus exited with code ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await delay(100);
  }
  throw new Error(`Prometheus at ${url} was not ready within ${timeoutMs} ms`);
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killed = await Promise.race([exited.then(() => true), delay(10_000).then(() => false)]);
  if (!killed) {
    child.kill('SIGKILL');
    await Promise.race([exited, delay(5000)]);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
