/** The Probot app: thin handlers that hand work to the runtime. */
import path from 'node:path';
import type { ApplicationFunction, Probot } from 'probot';
import { onIssueCommentCreated } from './handlers/issue-comment-created.js';
import { onPullRequestClosed } from './handlers/pull-request-closed.js';
import { onPullRequestUpdated } from './handlers/pull-request-preflight.js';
import { Runtime, type RuntimeOptions } from './runtime.js';
import type { ConfigOctokit } from './rollout/start.js';

export type AppOptions = Partial<Omit<RuntimeOptions, 'auth' | 'log'>> & {
  /** Receives the runtime once it exists (tests and benchmarks drive and stop it). */
  onRuntime?: (runtime: Runtime) => void;
};

export function createOpsboxApp(options: AppOptions = {}): ApplicationFunction {
  return async (app: Probot) => {
    const env = options.env ?? process.env;
    const runtime = await Runtime.create({
      ...options,
      env,
      dataDir: options.dataDir ?? path.resolve(env.OPSBOX_DATA_DIR || '.data'),
      auth: async (installationId) => (await app.auth(installationId)) as unknown as ConfigOctokit,
      log: app.log,
    });
    options.onRuntime?.(runtime);
    app.on('pull_request.closed', (context) => onPullRequestClosed(runtime, context));
    app.on(['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened'], (context) => onPullRequestUpdated(runtime, context));
    app.on('issue_comment.created', (context) => onIssueCommentCreated(runtime, context));
  };
}

export const opsboxApp = createOpsboxApp();
export default opsboxApp;
