/**
 * The app in a child process (`node --import tsx test/support/app-main.ts`), so a test can kill it
 * with SIGKILL (no shutdown hook, no pending write gets to finish) or stop it with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = fileURLToPath(new URL('./app-main.ts', import.meta.url));
const MAX_OUTPUT = 200_000;

export class AppProcess {
  private output = '';
  private readonly exited: Promise<void>;
  private readonly exitedWith: Promise<number | null>;
  private killedByTest = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-MAX_OUTPUT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exitedWith = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    this.exited = this.exitedWith.then(() => undefined);
  }

  /**
   * Starts the app with this environment (plus PATH and a free PORT; `/metrics` off unless
   * METRICS_PORT is given); `ready()` waits until it serves.
   */
  static spawn(env: Record<string, string>, port: number): AppProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', METRICS_PORT: '0', ...env, HOST: '127.0.0.1', PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new AppProcess(child, port);
  }

  /** Waits (bounded) until the server answers `/ping`. */
  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.running) {
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}/ping`, { signal: AbortSignal.timeout(1000) });
        await response.text();
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the app process did not start:\n${this.output}`);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL, then waits until the process is gone. */
  async kill(): Promise<void> {
    this.killedByTest = true;
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the exit code once the process ended (null: ended by a signal). */
  exitCode(): Promise<number | null> {
    this.killedByTest = true;
    return this.exitedWith;
  }

  /** SIGTERM (a graceful stop), then waits until the process is gone; its exit code (null: killed by a signal). */
  async terminate(): Promise<number | null> {
    this.killedByTest = true;
    if (this.running) this.child.kill('SIGTERM');
    await this.exited;
    return this.child.exitCode;
  }

  /** Rejects when the process ends without `kill()` (it crashed by itself); never resolves otherwise. */
  diedByItself(): Promise<never> {
    return this.exited.then(() => {
      if (!this.killedByTest) throw new Error(`the app process exited by itself (code ${this.child.exitCode}):\n${this.output}`);
      return new Promise<never>(() => undefined);
    });
  }

  /** What the process printed (the tail), for failure messages. */
  get log(): string {
    return this.output;
  }
}
