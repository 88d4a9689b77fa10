/** GitHub App endpoints (JWT) and the installation token exchange. */
import { randomBytes } from 'node:crypto';
import { HttpError, notFound, ok, route, type Route } from '../http.js';
import { appShape, APP_PERMISSIONS, installationShape, repoShape } from '../shapes.js';
import { repoOf, urlsOf } from './common.js';

export const appRoutes: Route[] = [
  route('GET', '/app', (ctx) => ok(appShape(urlsOf(ctx), ctx.state.app)), 'jwt'),

  route(
    'GET',
    '/app/installations',
    (ctx) => {
      const owners = [...new Set([...ctx.state.repos.values()].map((repo) => repo.owner))];
      const account = ctx.state.user(owners[0] ?? ctx.state.app.owner.login);
      return ok([installationShape(urlsOf(ctx), ctx.state, account)]);
    },
    'jwt',
  ),

  route(
    'GET',
    '/app/installations/:id',
    (ctx) => {
      if (Number(ctx.params.id) !== ctx.state.app.installationId) throw notFound();
      const owner = [...ctx.state.repos.values()][0]?.owner ?? ctx.state.app.owner.login;
      return ok(installationShape(urlsOf(ctx), ctx.state, ctx.state.user(owner)));
    },
    'jwt',
  ),

  route(
    'POST',
    '/app/installations/:id/access_tokens',
    (ctx) => {
      if (Number(ctx.params.id) !== ctx.state.app.installationId) throw notFound();
      const token = `ghs_${randomBytes(18).toString('hex')}`;
      ctx.state.tokens.set(token, ctx.state.app.bot.login);
      const expires = new Date(ctx.state.clock().getTime() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      return ok({ token, expires_at: expires, permissions: APP_PERMISSIONS, repository_selection: 'all' }, 201);
    },
    'jwt',
  ),

  route(
    'GET',
    '/repos/:owner/:repo/installation',
    (ctx) => {
      const repo = repoOf(ctx);
      return ok(installationShape(urlsOf(ctx), ctx.state, ctx.state.user(repo.owner)));
    },
    'jwt',
  ),

  route('GET', '/installation/repositories', (ctx) => {
    if (ctx.actor.kind !== 'installation') throw new HttpError(403, 'Resource not accessible by integration');
    const repositories = [...ctx.state.repos.values()].map((repo) => repoShape(urlsOf(ctx), ctx.state, repo));
    return ok({ total_count: repositories.length, repository_selection: 'all', repositories });
  }),

  route('GET', '/repos/:owner/:repo', (ctx) => ok(repoShape(urlsOf(ctx), ctx.state, repoOf(ctx)))),
];
