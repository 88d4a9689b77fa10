/**
 * Deployments and deployment statuses, with GitHub's checks: the ref must resolve; `auto_merge`
 * (default true) refuses a ref behind the default branch with 409; `required_contexts` (default:
 * every context) refuses a ref whose latest commit statuses are not all success with 409; a status
 * with `auto_inactive` (default true) marks the earlier successful deployments of the same
 * non-production, non-transient environment inactive.
 */
import { bodyObject, notFound, ok, paginate, route, stringField, validationFailed, HttpError, type RequestContext, type Route } from '../http.js';
import { resolveCommitish } from '../repo-ops.js';
import { userShape, type Urls } from '../shapes.js';
import type { Deployment, DeploymentStatus, Repo } from '../state.js';
import { actingUser, numberParam, repoOf, urlsOf } from './common.js';
import { latestStatuses } from './statuses.js';

const STATES: DeploymentStatus['state'][] = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];

function deploymentShape(urls: Urls, repo: Repo, d: Deployment): Record<string, unknown> {
  const url = `${urls.api}/repos/${repo.fullName}/deployments/${d.id}`;
  return {
    url,
    id: d.id,
    node_id: `DE_${d.id}`,
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: d.payload,
    original_environment: d.environment,
    environment: d.environment,
    description: d.description,
    creator: userShape(urls, d.creator),
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    statuses_url: `${url}/statuses`,
    repository_url: `${urls.api}/repos/${repo.fullName}`,
    transient_environment: d.transient,
    production_environment: d.production,
  };
}

function statusShape(urls: Urls, repo: Repo, d: Deployment, s: DeploymentStatus): Record<string, unknown> {
  const deploymentUrl = `${urls.api}/repos/${repo.fullName}/deployments/${d.id}`;
  return {
    url: `${deploymentUrl}/statuses/${s.id}`,
    id: s.id,
    node_id: `DES_${s.id}`,
    state: s.state,
    creator: userShape(urls, s.creator),
    description: s.description,
    environment: d.environment,
    target_url: s.logUrl,
    log_url: s.logUrl,
    environment_url: s.environmentUrl,
    created_at: s.createdAt,
    updated_at: s.createdAt,
    deployment_url: deploymentUrl,
    repository_url: `${urls.api}/repos/${repo.fullName}`,
  };
}

function deploymentOf(ctx: RequestContext, repo: Repo): Deployment {
  const id = numberParam(ctx, 'id');
  const found = repo.deployments.find((d) => d.id === id);
  if (!found) throw notFound();
  return found;
}

function booleanField(body: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const value = body[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw validationFailed([{ resource: 'Deployment', field: name, code: 'invalid' }]);
  return value;
}

export const deploymentRoutes: Route[] = [
  route('POST', '/repos/:owner/:repo/deployments', (ctx) => {
    const repo = repoOf(ctx);
    const body = bodyObject(ctx);
    const ref = stringField(body, 'ref', true);
    const sha = resolveCommitish(repo, ref);
    if (!sha) throw new HttpError(422, `No ref found for: ${ref}`, { documentation_url: 'https://docs.github.com/rest/deployments/deployments#create-a-deployment' });
    const head = repo.refs.get(`refs/heads/${repo.defaultBranch}`);
    if (booleanField(body, 'auto_merge', true) && head && !repo.objects.isAncestor(head, sha)) {
      throw new HttpError(409, `Conflict merging ${repo.defaultBranch} into ${ref}.`, { documentation_url: 'https://docs.github.com/rest/deployments/deployments#create-a-deployment' });
    }
    const required = body.required_contexts;
    const latest = latestStatuses(repo.statuses.get(sha) ?? []);
    const checked = Array.isArray(required) ? latest.filter((s) => (required as unknown[]).includes(s.context)) : latest;
    const missing = Array.isArray(required) ? (required as string[]).filter((c) => !latest.some((s) => s.context === c)) : [];
    if (missing.length > 0 || checked.some((s) => s.state !== 'success')) {
      throw new HttpError(409, 'Conflict: Commit status checks failed for ' + ref + '.', { documentation_url: 'https://docs.github.com/rest/deployments/deployments#create-a-deployment' });
    }
    const environment = stringField(body, 'environment') ?? 'production';
    const now = ctx.state.now();
    const deployment: Deployment = {
      id: ctx.state.newId(),
      sha,
      ref,
      task: stringField(body, 'task') ?? 'deploy',
      payload: body.payload ?? {},
      environment,
      description: stringField(body, 'description') ?? null,
      transient: booleanField(body, 'transient_environment', false),
      production: booleanField(body, 'production_environment', environment === 'production'),
      creator: actingUser(ctx),
      createdAt: now,
      updatedAt: now,
      statuses: [],
    };
    repo.deployments.push(deployment);
    return ok(deploymentShape(urlsOf(ctx), repo, deployment), 201);
  }),

  route('GET', '/repos/:owner/:repo/deployments', (ctx) => {
    const repo = repoOf(ctx);
    const filters = ['sha', 'ref', 'task', 'environment'] as const;
    const matching = repo.deployments.filter((d) => filters.every((f) => !ctx.query.get(f) || d[f] === ctx.query.get(f)));
    return paginate(ctx, [...matching].reverse().map((d) => deploymentShape(urlsOf(ctx), repo, d)));
  }),

  route('GET', '/repos/:owner/:repo/deployments/:id', (ctx) => {
    const repo = repoOf(ctx);
    return ok(deploymentShape(urlsOf(ctx), repo, deploymentOf(ctx, repo)));
  }),

  route('POST', '/repos/:owner/:repo/deployments/:id/statuses', (ctx) => {
    const repo = repoOf(ctx);
    const deployment = deploymentOf(ctx, repo);
    const body = bodyObject(ctx);
    const state = stringField(body, 'state', true) as DeploymentStatus['state'];
    if (!STATES.includes(state)) throw validationFailed([{ resource: 'DeploymentStatus', field: 'state', code: 'invalid' }]);
    const now = ctx.state.now();
    const status: DeploymentStatus = {
      id: ctx.state.newId(),
      state,
      description: stringField(body, 'description') ?? '',
      logUrl: stringField(body, 'log_url') ?? stringField(body, 'target_url') ?? '',
      environmentUrl: stringField(body, 'environment_url') ?? '',
      creator: actingUser(ctx),
      createdAt: now,
    };
    deployment.statuses.push(status);
    deployment.updatedAt = now;
    if (state === 'success' && booleanField(body, 'auto_inactive', true)) {
      for (const earlier of repo.deployments) {
        if (earlier === deployment || earlier.environment !== deployment.environment || earlier.transient || earlier.production) continue;
        if (earlier.statuses.at(-1)?.state !== 'success') continue;
        earlier.statuses.push({ ...status, id: ctx.state.newId(), state: 'inactive', description: '' });
      }
    }
    return ok(statusShape(urlsOf(ctx), repo, deployment, status), 201);
  }),

  route('GET', '/repos/:owner/:repo/deployments/:id/statuses', (ctx) => {
    const repo = repoOf(ctx);
    const deployment = deploymentOf(ctx, repo);
    return paginate(ctx, [...deployment.statuses].reverse().map((s) => statusShape(urlsOf(ctx), repo, deployment, s)));
  }),
];
