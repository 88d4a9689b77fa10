/**
 * Starts a real Alertmanager (the Debian package's /usr/bin/prometheus-alertmanager, or
 * ALERTMANAGER_BIN) on a free loopback port, with a config of its own (one receiver that sends
 * nowhere), a temporary storage directory and clustering off.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './free-port.js';

export const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

export interface RunningAlertmanager {
  readonly url: string;
  /** Stops the process (SIGTERM, then SIGKILL) and removes its files; safe to call twice. */
  stop(): Promise<void>;
}

export function alertmanagerAvailable(): boolean {
  try {
    accessSync(ALERTMANAGER_BIN, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function startAlertmanager(options: { readyTimeoutMs?: number } = {}): Promise<RunningAlertmanager> {
  const dir = await mkdtemp(path.join(tmpdir(), 'opsbox-alertmanager-'));
  await writeFile(path.join(dir, 'alertmanager.yml'), ['route:', '  receiver: nowhere', 'receivers:', '  - name: nowhere', ''].join('\n'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child = spawn(
    ALERTMANAGER_BIN,
    [
      `--config.file=${path.join(dir, 'alertmanager.yml')}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
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
    throw new Error(`${(error as Error).message}\nAlertmanager output:\n${output.join('')}`);
  }
  return { url, stop };
}

async function waitUntilReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 1000 && Date.now() < deadline; attempt++) {
    if (child.exitCode !== null) throw new Error(`Alertmanager exited with code ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await delay(100);
  }
  throw new Error(`Alertmanager at ${url} was not ready within ${timeoutMs} ms`);
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
