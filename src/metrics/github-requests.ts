/**
 * Counts the app's GitHub API requests and keeps the rate-limit headroom GitHub reports, by hooking
 * an Octokit instance once. GraphQL queries are reads and mutations writes, as GitHub bills them.
 */
import type { OpsboxMetrics } from './metrics.js';

/** The part of Octokit's hook API used here. */
export interface HookableOctokit {
  hook: {
    wrap(name: 'request', wrapper: (request: (options: RequestOptions) => Promise<Answer>, options: RequestOptions) => Promise<Answer>): void;
  };
}

interface RequestOptions {
  method?: string;
  url?: string;
  query?: unknown;
  [key: string]: unknown;
}

interface Answer {
  status?: number;
  headers?: Record<string, string | number | undefined>;
}

const hooked = new WeakSet<object>();

export function observeGitHubRequests<T extends object>(octokit: T, metrics: OpsboxMetrics, installation?: number): T {
  if (hooked.has(octokit)) return octokit;
  hooked.add(octokit);
  (octokit as unknown as HookableOctokit).hook.wrap('request', async (request, options) => {
    const kind = requestKind(options);
    try {
      const answer = await request(options);
      metrics.githubRequests.inc({ kind, status: String(answer.status ?? 0) });
      keepRateLimit(metrics, installation, answer.headers);
      return answer;
    } catch (error) {
      const { status, response } = error as { status?: number; response?: Answer };
      metrics.githubRequests.inc({ kind, status: String(status ?? 0) });
      keepRateLimit(metrics, installation, response?.headers);
      throw error;
    }
  });
  return octokit;
}

export function requestKind(options: RequestOptions): 'read' | 'write' {
  const method = (options.method ?? 'GET').toUpperCase();
  if (method === 'GET' || method === 'HEAD') return 'read';
  if (/\/graphql$/.test(options.url ?? '') && typeof options.query === 'string') {
    return /^\s*mutation\b/.test(options.query) ? 'write' : 'read';
  }
  return 'write';
}

function keepRateLimit(metrics: OpsboxMetrics, installation: number | undefined, headers: Answer['headers']): void {
  const remaining = Number(headers?.['x-ratelimit-remaining']);
  if (headers?.['x-ratelimit-remaining'] === undefined || !Number.isFinite(remaining)) return;
  metrics.githubRateLimitRemaining.set({ installation: installation === undefined ? 'app' : String(installation) }, remaining);
}
