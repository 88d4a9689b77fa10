/** Helpers shared by the route handlers. */
import { HttpError, notFound, type RequestContext } from '../http.js';
import type { Urls } from '../shapes.js';
import type { Repo, User } from '../state.js';

export function urlsOf(ctx: RequestContext): Urls {
  return { web: ctx.webUrl, api: ctx.apiUrl };
}

export function repoOf(ctx: RequestContext): Repo {
  const repo = ctx.state.repo(`${ctx.params.owner}/${ctx.params.repo}`);
  if (!repo) throw notFound();
  return repo;
}

/** The user a write is attributed to: the app's bot for installation tokens. */
export function actingUser(ctx: RequestContext): User {
  if (ctx.actor.kind === 'app') throw new HttpError(403, 'Resource not accessible by integration');
  return ctx.actor.user;
}

export function numberParam(ctx: RequestContext, name: string): number {
  const value = ctx.params[name];
  if (!/^\d+$/.test(value ?? '')) throw notFound();
  return Number(value);
}

/** GitHub wraps base64 at 60 characters in `content` fields. */
export function wrappedBase64(content: Buffer): string {
  const encoded = content.toString('base64');
  const lines = encoded.match(/.{1,60}/g) ?? [];
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
