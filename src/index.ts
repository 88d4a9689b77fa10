/** The Probot app: thin handlers that hand work to the runtime. */
import path from 'node:path';
import type { ApplicationFunction, Probot } from 'probot';
import { appBotLogin, type AppClient } from './forge/github/app-login.js';
import { onIssueCommentCreated } from './handlers/issue-comment-created.js';
import type { DeliveryOutcome } from './handlers/outcome.js';
import { onPullRequestClosed } from './handlers/pull-request-closed.js';
import { onPullRequestUpdated } from './handlers/pull-request-preflight.js';
import { Runtime, type RuntimeOptions } from './app/runtime.js';
import type { InstallationOctokit } from './forge/github/github-forge.js';

export type AppOptions = Partial<Omit<RuntimeOptions, 'auth' | 'appLogin' | 'log'>> & {
  /** Receives the runtime once it exists (tests and benchmarks drive and stop it). */
  onRuntime?: (runtime: Runtime) => void;
  /** Told what each webhook delivery came to (metrics). */
  onDelivery?: (event: string, outcome: DeliveryOutcome | 'failed') => void;
  /** Sees each installation client once it is made (metrics of GitHub requests). */
  onOctokit?: (octokit: InstallationOctokit, installationId: number) => void;
};

export function createOpsboxApp(options: AppOptions = {}): ApplicationFunction {
  return async (app: Probot) => {
    const env = options.env ?? process.env;
    const runtime = await Runtime.create({
      ...options,
      env,
      dataDir: options.dataDir ?? path.resolve(env.OPSBOX_DATA_DIR || '.data'),
      auth: async (installationId) => {
        const octokit = (await app.auth(installationId)) as unknown as InstallationOctokit;
        options.onOctokit?.(octokit, installationId);
        return octokit;
      },
      // without an installation id, Probot authenticates as the app itself
      appLogin: appBotLogin(async () => (await app.auth()) as unknown as AppClient),
      log: app.log,
    });
    options.onRuntime?.(runtime);
    const observed = async (event: string, handle: () => Promise<DeliveryOutcome>) => {
      let outcome: DeliveryOutcome | 'failed' = 'failed';
      try {
        outcome = await handle();
      } finally {
        options.onDelivery?.(event, outcome);
      }
    };
    app.on('pull_request.closed', (context) => observed(context.name, () => onPullRequestClosed(runtime, context)));
    app.on(['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened'], (context) =>
      observed(context.name, () => onPullRequestUpdated(runtime, context)),
    );
    app.on('issue_comment.created', (context) => observed(context.name, () => onIssueCommentCreated(runtime, context)));
  };
}

export const opsboxApp = createOpsboxApp();
export default opsboxApp;
