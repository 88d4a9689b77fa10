/**
 * Benchmarks that need the app in a process of its own (so its memory, CPU time and event loop are
 * its own) talk to it over Node's IPC channel: `call(command, args)` on this side, `serve(handlers)`
 * in the child.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What a child printed is kept (its tail) for error messages; a server in a benchmark has nothing to say otherwise. */
const MAX_OUTPUT = 20_000;

interface Request {
  id: number;
  command: string;
  args: unknown;
}

interface Reply {
  id: number;
  result?: unknown;
  error?: string;
}

export class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly exited: Promise<void>;
  private output = '';

  private constructor(private readonly process: ChildProcess) {
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-MAX_OUTPUT);
    };
    process.stdout?.on('data', keep);
    process.stderr?.on('data', keep);
    process.on('message', (message: Reply) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiting.reject(new Error(message.error));
      else waiting.resolve(message.result);
    });
    this.exited = new Promise((resolve) =>
      process.once('exit', (code, signal) => {
        for (const waiting of this.pending.values()) waiting.reject(new Error(`the child exited (${signal ?? code}):\n${this.output}`));
        this.pending.clear();
        resolve();
      }),
    );
  }

  /**
   * Starts `entry` with the garbage collector exposed: the TypeScript file run through tsx, or with
   * `compiled` its JavaScript under dist/ (built beforehand with `tsc -p tsconfig.json`), as the
   * production entrypoint runs.
   */
  static start(entry: URL, env: Record<string, string> = {}, options: { compiled?: boolean } = {}): Child {
    const source = fileURLToPath(entry);
    const file = options.compiled ? path.join(ROOT, 'dist', path.relative(ROOT, source).replace(/\.ts$/, '.js')) : source;
    const loader = options.compiled ? [] : ['--import', 'tsx'];
    const child = fork(file, [], {
      cwd: ROOT,
      execArgv: [...loader, '--expose-gc', ...(process.env.BENCH_CHILD_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new Child(child);
  }

  call<T>(command: string, args: unknown = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.process.send({ id, command, args } satisfies Request);
    });
  }

  /** Asks the child to end itself (its `exit` command), then waits for that, bounded; kills it if it is still there. */
  async exit(timeoutMs = 30_000): Promise<void> {
    await this.call('exit').catch(() => undefined);
    await Promise.race([this.exited, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    await this.stop();
  }

  /** Kills the child (SIGKILL: nothing of it is needed any more) and waits until it is gone. */
  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
    await this.exited;
  }
}

export type Handlers = Record<string, (args: any) => Promise<unknown> | unknown>;

/** The child side: answers each request with its handler's result or its error. */
export function serve(handlers: Handlers): void {
  process.on('message', async (message: Request) => {
    const handler = handlers[message.command];
    try {
      if (!handler) throw new Error(`unknown command ${message.command}`);
      const result = await handler(message.args);
      process.send?.({ id: message.id, result } satisfies Reply);
    } catch (error) {
      process.send?.({ id: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies Reply);
    }
  });
}
