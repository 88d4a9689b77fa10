/**
 * The port for pacing GitHub writes as one client when several replicas write for the same
 * installation (postgres/write-pace.ts), and the Octokit hook that applies it.
 */

export interface WritePace {
  /** Resolves when the next write of the installation may start. */
  take(installationId: number): Promise<void>;
}

interface HookableOctokit {
  hook?: { before(name: 'request', hook: (options: { method?: string }) => Promise<void>): void };
}

const paced = new WeakSet<object>();

/** Makes every request of `octokit` that is not a read (GET, HEAD) wait for its installation's slot. */
export function paceWrites<T extends object>(octokit: T, installationId: number, pace: WritePace): T {
  const hook = (octokit as HookableOctokit).hook;
  if (!hook || paced.has(octokit)) return octokit;
  paced.add(octokit);
  hook.before('request', async (options) => {
    const method = (options.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') await pace.take(installationId);
  });
  return octokit;
}
