/** Commit statuses (what Argo CD or Flux notifications post) and the combined status. */
import { bodyObject, ok, paginate, route, stringField, unprocessable, validationFailed, type Route } from '../http.js';
import { resolveCommitish } from '../repo-ops.js';
import { repoShape, statusShape } from '../shapes.js';
import type { CommitStatus } from '../state.js';
import { actingUser, repoOf, urlsOf } from './common.js';

const STATES = ['error', 'failure', 'pending', 'success'];

/** Latest status per context, newest first. */
export function latestStatuses(statuses: CommitStatus[]): CommitStatus[] {
  const seen = new Set<string>();
  return [...statuses].reverse().filter((status) => {
    if (seen.has(status.context)) return false;
    seen.add(status.context);
    return true;
  });
}

export function combinedState(statuses: CommitStatus[]): string {
  const latest = latestStatuses(statuses);
  if (latest.some((status) => status.state === 'error' || status.state === 'failure')) return 'failure';
  if (latest.length === 0 || latest.some((status) => status.state === 'pending')) return 'pending';
  return 'success';
}

export const statusRoutes: Route[] = [
  route('POST', '/repos/:owner/:repo/statuses/:sha', (ctx) => {
    const repo = repoOf(ctx);
    const user = actingUser(ctx);
    const body = bodyObject(ctx);
    const state = stringField(body, 'state', true);
    if (!STATES.includes(state)) throw validationFailed([{ resource: 'Status', field: 'state', code: 'custom' }]);
    const sha = ctx.params.sha.toLowerCase();
    if (repo.objects.typeOf(sha) !== 'commit') throw unprocessable(`No commit found for SHA: ${sha}`);
    const now = ctx.state.now();
    const status: CommitStatus = {
      id: ctx.state.newId(),
      state: state as CommitStatus['state'],
      context: stringField(body, 'context') ?? 'default',
      description: stringField(body, 'description') ?? null,
      targetUrl: stringField(body, 'target_url') ?? null,
      creator: user,
      createdAt: now,
      updatedAt: now,
    };
    repo.statuses.set(sha, [...(repo.statuses.get(sha) ?? []), status]);
    return ok(statusShape(urlsOf(ctx), repo, sha, status), 201);
  }),

  route('GET', '/repos/:owner/:repo/commits/*ref/statuses', (ctx) => {
    const repo = repoOf(ctx);
    const sha = resolveCommitish(repo, ctx.params.ref);
    if (!sha) return ok([]);
    const statuses = [...(repo.statuses.get(sha) ?? [])].reverse();
    return paginate(ctx, statuses.map((status) => statusShape(urlsOf(ctx), repo, sha, status)));
  }),

  route('GET', '/repos/:owner/:repo/commits/*ref/status', (ctx) => {
    const repo = repoOf(ctx);
    const sha = resolveCommitish(repo, ctx.params.ref);
    if (!sha) throw unprocessable(`No commit found for SHA: ${ctx.params.ref}`);
    const statuses = repo.statuses.get(sha) ?? [];
    const latest = latestStatuses(statuses);
    const urls = urlsOf(ctx);
    return ok({
      state: combinedState(statuses),
      statuses: latest.map((status) => statusShape(urls, repo, sha, status)),
      sha,
      total_count: latest.length,
      repository: repoShape(urls, ctx.state, repo),
      commit_url: `${urls.api}/repos/${repo.fullName}/commits/${sha}`,
      url: `${urls.api}/repos/${repo.fullName}/commits/${sha}/status`,
    });
  }),
];
