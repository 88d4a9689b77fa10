/**
 * A graceful stop on SIGTERM (every deploy sends one). In order: `/readyz` answers 503 so the
 * Service stops routing here; webhooks that still arrive are claimed durably as usual (their work is
 * left to the next process); timers stop; effects in flight finish and no new one starts; the
 * webhook server closes; the store is flushed and closed. All within the timeout, then exit 0.
 */
import { parseDuration } from '../util/duration.js';

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/** `OPSBOX_SHUTDOWN_TIMEOUT`: seconds (`10`) or a duration (`10s`, `1m`). */
export function shutdownTimeoutMs(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.OPSBOX_SHUTDOWN_TIMEOUT?.trim();
  if (!raw) return DEFAULT_SHUTDOWN_TIMEOUT_MS;
  try {
    return parseDuration(raw);
  } catch {
    throw new Error(`OPSBOX_SHUTDOWN_TIMEOUT must be a number of seconds or a duration like 10s; got "${raw}"`);
  }
}

export interface ShutdownStep {
  name: string;
  run(): Promise<void> | void;
}

export interface ShutdownLog {
  info(message: string): void;
  error(object: object, message: string): void;
}

/**
 * Runs the steps in order within `timeoutMs`. Resolves true when all finished in time, false when a
 * step failed or time ran out (what is stored is crash-safe either way: the next process resumes).
 */
export async function shutDown(steps: ShutdownStep[], options: { timeoutMs: number; log: ShutdownLog }): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
  });
  let current = '';
  const work = (async () => {
    for (const step of steps) {
      current = step.name;
      await step.run();
    }
    return 'done' as const;
  })();
  try {
    const outcome = await Promise.race([work, deadline]);
    if (outcome === 'timeout') {
      options.log.error({ step: current, timeoutMs: options.timeoutMs }, `shutdown did not finish within ${options.timeoutMs} ms (at: ${current}); stopping anyway`);
      return false;
    }
    options.log.info('shutdown complete');
    return true;
  } catch (error) {
    options.log.error({ err: error, step: current }, `shutdown failed at: ${current}`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}
