/**
 * GitHub Deployments for rollouts (opt-in: `github.deployments: { environment }`), so the
 * repository's Environments page shows every canary: one deployment per rollout on its merge
 * commit, created when the rollout starts, then one status per commit the rollout makes
 * (`in_progress` for a weight, `success` for the promotion, `failure` for the rollback) and
 * `inactive` when a newer bump supersedes it. log_url is the status comment. Writes run in the
 * background, one rollout's in order, retried with backoff; a failure is logged and never holds up
 * or fails the rollout.
 */
import type { Logger } from 'pino';
import { statusCommentUrl } from '../../notify/alert-content.js';
import type { Notifier } from '../../notify/notifier.js';
import type { RolloutEvent, RolloutState } from '../../rollout/types.js';
import { installationOf } from './github-forge.js';
import { githubLinks } from './links.js';
import { retryableHttpStatus } from '../forge.js';
import { requestStatus } from './errors.js';

/** The part of Octokit this file uses. */
export interface DeploymentsOctokit {
  request(route: string, parameters: Record<string, unknown>): Promise<{ data: unknown }>;
}

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'inactive';

export type DeploymentUpdate = { kind: 'create' } | { kind: 'status'; state: DeploymentState; description: string };

/** The task deployments of rollouts carry; with the payload's rollout id it finds one again after a restart. */
export const DEPLOYMENT_TASK = 'deploy:canary';
const MAX_ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 1000;

/** What one transition means for the rollout's deployment: at most one write. */
export function deploymentUpdate(before: RolloutState, event: RolloutEvent, after: RolloutState): DeploymentUpdate | undefined {
  // a GitHub feature: rollouts of other forges have no deployments
  if (!after.deployments || after.repo.forge !== 'github') return undefined;
  // the start of a rollout happens once (a merge starts each rollout once)
  if (event.type === 'start') return { kind: 'create' };
  if (after.commits.length > before.commits.length) {
    const commit = after.commits[after.commits.length - 1];
    if (commit.kind === 'promote') return { kind: 'status', state: 'success', description: `${after.to} promoted` };
    if (commit.kind === 'rollback') return { kind: 'status', state: 'failure', description: `${after.to} rolled back to ${after.from}` };
    return { kind: 'status', state: 'in_progress', description: `canary ${after.to} at ${commit.weight}%` };
  }
  if (after.phase === 'Superseded' && before.phase !== 'Superseded') {
    return { kind: 'status', state: 'inactive', description: `superseded by ${after.supersededBy ?? 'a newer bump'}` };
  }
  return undefined;
}

export interface DeploymentsOptions {
  auth(installationId: number): Promise<DeploymentsOctokit>;
  serverUrl: string;
  log?: Pick<Logger, 'warn'>;
  sleep?: (ms: number) => Promise<void>;
}

export class DeploymentsNotifier implements Notifier {
  /** Deployment id by rollout, once created or found. */
  private readonly ids = new Map<string, number>();
  /** The writes of each rollout, one after another. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: DeploymentsOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()));
  }

  transition(before: RolloutState, event: RolloutEvent, after: RolloutState): void {
    const update = deploymentUpdate(before, event, after);
    if (!update) return;
    const previous = this.chains.get(after.id) ?? Promise.resolve();
    const next = previous.then(() => this.apply(after, update)).catch((error) => this.options.log?.warn({ err: error, rollout: after.id }, 'updating the GitHub deployment failed'));
    this.chains.set(after.id, next);
    this.inFlight.add(next);
    void next.finally(() => {
      this.inFlight.delete(next);
      if (this.chains.get(after.id) === next) this.chains.delete(after.id);
    });
  }

  merged(): void {
    // A merge concerns deployments only through the rollouts it starts.
  }

  async idle(): Promise<void> {
    for (let round = 0; round < 20 && this.inFlight.size > 0; round++) await Promise.allSettled([...this.inFlight]);
  }

  async stop(): Promise<void> {
    await this.idle();
  }

  private async apply(state: RolloutState, update: DeploymentUpdate): Promise<void> {
    const octokit = await this.options.auth(installationOf(state.repo));
    const { owner, repo } = state.repo;
    const environment = state.deployments!.environment;
    if (update.kind === 'create') {
      const { data } = await this.withRetries(state, 'creating the deployment', () =>
        octokit.request('POST /repos/{owner}/{repo}/deployments', {
          owner,
          repo,
          ref: state.source.mergeSha,
          environment,
          task: DEPLOYMENT_TASK,
          // the merge commit as merged: no merging of the default branch, no status checks
          auto_merge: false,
          required_contexts: [],
          production_environment: environment === 'production',
          description: `canary of ${state.service}: ${state.from} → ${state.to}`,
          payload: { rollout: state.id, service: state.service, from: state.from, to: state.to },
        }),
      );
      this.ids.set(state.id, (data as { id: number }).id);
      return;
    }
    const id = this.ids.get(state.id) ?? (await this.find(octokit, state, environment));
    if (id === undefined) {
      this.options.log?.warn({ rollout: state.id }, `no GitHub deployment found for the rollout; its ${update.state} status is not posted`);
      return;
    }
    await this.withRetries(state, `posting the ${update.state} deployment status`, () =>
      octokit.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
        owner,
        repo,
        deployment_id: id,
        state: update.state,
        description: update.description.slice(0, 140),
        log_url: statusCommentUrl(state, githubLinks(this.options.serverUrl)),
        environment,
      }),
    );
  }

  /** After a restart: the rollout's deployment, by merge commit, environment, task and payload. */
  private async find(octokit: DeploymentsOctokit, state: RolloutState, environment: string): Promise<number | undefined> {
    const { data } = await this.withRetries(state, 'finding the deployment', () =>
      octokit.request('GET /repos/{owner}/{repo}/deployments', {
        owner: state.repo.owner,
        repo: state.repo.repo,
        sha: state.source.mergeSha,
        environment,
        task: DEPLOYMENT_TASK,
        per_page: 100,
      }),
    );
    const found = (data as { id: number; payload?: { rollout?: string } }[]).find((d) => d.payload?.rollout === state.id);
    if (found) this.ids.set(state.id, found.id);
    return found?.id;
  }

  /** Server errors, rate limits, conflicts and network failures are tried again with backoff; other 4xx are not. */
  private async withRetries<T>(state: RolloutState, what: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        // no answer at all (the network) may work later; an answer is judged like any other GitHub request
        const status = requestStatus(error);
        const retryable = status === undefined || retryableHttpStatus(status);
        if (!retryable || attempt >= MAX_ATTEMPTS) throw new Error(`${what} for ${state.id} failed: ${(error as Error).message}`, { cause: error });
        await this.sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 1));
      }
    }
  }
}
