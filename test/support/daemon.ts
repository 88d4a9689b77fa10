/**
 * Runs a server program from a Debian package for a test: a temporary folder for its config and
 * data, a free loopback port, a wait for its ready endpoint (bounded), and a stop that ends it
 * (SIGTERM, then SIGKILL) and removes the folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './free-port.js';

export interface DaemonSpec {
  /** How the program is named in messages: `Prometheus`, `Alertmanager`. */
  name: string;
  bin: string;
  /** Files written into the temporary folder before the start, by name. */
  files: Record<string, string>;
  /** The command line, given the port to listen on and the temporary folder. */
  args(port: number, dir: string): string[];
  /** Path answered with 2xx once the program serves (default `/-/ready`). */
  readyPath?: string;
  readyTimeoutMs?: number;
}

export interface RunningDaemon {
  readonly url: string;
  /** Ends the process and removes its files; safe to call twice. */
  stop(): Promise<void>;
}

export function executableAvailable(bin: string): boolean {
  try {
    accessSync(bin, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function startDaemon(spec: DaemonSpec): Promise<RunningDaemon> {
  const dir = await mkdtemp(path.join(tmpdir(), `opsbox-${spec.name.toLowerCase()}-`));
  for (const [name, content] of Object.entries(spec.files)) await writeFile(path.join(dir, name), content);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child = spawn(spec.bin, spec.args(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
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
    await waitUntilReady(spec, `${url}${spec.readyPath ?? '/-/ready'}`, child);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${spec.name} output:\n${output.join('')}`);
  }
  return { url, stop };
}

async function waitUntilReady(spec: DaemonSpec, readyUrl: string, child: ChildProcess): Promise<void> {
  const timeoutMs = spec.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 1000 && Date.now() < deadline; attempt++) {
    if (child.exitCode !== null) throw new Error(`${spec.name} exited with code ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(readyUrl, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await delay(100);
  }
  throw new Error(`${spec.name} at ${readyUrl} was not ready within ${timeoutMs} ms`);
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const ended = await Promise.race([exited.then(() => true), delay(10_000).then(() => false)]);
  if (!ended) {
    child.kill('SIGKILL');
    await Promise.race([exited, delay(5000)]);
  }
}
