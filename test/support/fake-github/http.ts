/** Routing and response plumbing of the fake server: route patterns, errors shaped like GitHub's, pagination. */
import type { FakeState, User } from './state.js';

export interface RequestContext {
  method: string;
  /** Decoded path without the `/api/v3` prefix and without the query. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  /** Who the Authorization header acts as; the app itself for a JWT. */
  actor: Actor;
  state: FakeState;
  /** `http://127.0.0.1:PORT` and `http://127.0.0.1:PORT/api/v3` (or without the prefix if the request had none). */
  webUrl: string;
  apiUrl: string;
  /** The API root the client used, for Link headers. */
  requestApiRoot: string;
}

export type Actor = { kind: 'app' } | { kind: 'installation'; user: User } | { kind: 'user'; user: User };

export interface RouteResult {
  status: number;
  body?: unknown;
  /** A raw text body (raw media type); `body` is ignored when set. */
  text?: string;
  headers?: Record<string, string>;
  /** How the request log counts it when the method alone does not tell (a GraphQL query is a read). */
  recordAs?: 'read' | 'write';
}

export type Handler = (ctx: RequestContext) => RouteResult | Promise<RouteResult>;

export type Access = 'jwt' | 'token';

export interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
  /** App endpoints take the app's JWT; everything else takes an installation or user token. */
  access: Access;
}

/** Compiles `/repos/:owner/:repo/git/ref/*ref`: `:name` is one segment, `*name` the rest of the path. */
export function route(method: string, template: string, handler: Handler, access: Access = 'token'): Route {
  const names: string[] = [];
  const source = template.replace(/[:*]([a-z_]+)/gi, (match, name: string) => {
    names.push(name);
    return match.startsWith(':') ? '([^/]+)' : '(.+)';
  });
  return { method, pattern: new RegExp(`^${source}/?$`), names, handler, access };
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const DOCS = 'https://docs.github.com/rest';

export function notFound(): HttpError {
  return new HttpError(404, 'Not Found', { documentation_url: DOCS });
}

export function unprocessable(message: string, extra: Record<string, unknown> = {}): HttpError {
  return new HttpError(422, message, { documentation_url: DOCS, status: '422', ...extra });
}

/** GitHub's "Validation Failed" with an `errors` array. */
export function validationFailed(errors: Array<Record<string, unknown>>): HttpError {
  return new HttpError(422, 'Validation Failed', { errors, documentation_url: DOCS, status: '422' });
}

export function errorBody(error: HttpError): Record<string, unknown> {
  return { message: error.message, ...error.extra };
}

export function ok(body: unknown, status = 200): RouteResult {
  return { status, body };
}

/** Reads an object body, or fails like GitHub does on a body that is not a JSON object. */
export function bodyObject(ctx: RequestContext): Record<string, unknown> {
  if (ctx.body === undefined || ctx.body === null) return {};
  if (typeof ctx.body !== 'object' || Array.isArray(ctx.body)) throw new HttpError(400, 'Problems parsing JSON');
  return ctx.body as Record<string, unknown>;
}

export function stringField(body: Record<string, unknown>, name: string, required: true): string;
export function stringField(body: Record<string, unknown>, name: string, required?: false): string | undefined;
export function stringField(body: Record<string, unknown>, name: string, required = false): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) throw unprocessable(`Invalid request.\n\n"${name}" wasn't supplied.`);
    return undefined;
  }
  if (typeof value !== 'string') {
    throw unprocessable(`Invalid request.\n\nFor '${name}', ${JSON.stringify(value)} is not a string.`);
  }
  return value;
}

/** Pages a list like GitHub (`per_page` ≤ 100, default 30, `page` from 1) and sets the Link header. */
export function paginate(ctx: RequestContext, items: unknown[]): RouteResult {
  const perPage = Math.min(Math.max(Number(ctx.query.get('per_page') ?? 30) || 30, 1), 100);
  const page = Math.max(Number(ctx.query.get('page') ?? 1) || 1, 1);
  const lastPage = Math.max(Math.ceil(items.length / perPage), 1);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const link = (target: number, rel: string) => {
    const query = new URLSearchParams(ctx.query);
    query.set('per_page', String(perPage));
    query.set('page', String(target));
    return `<${ctx.requestApiRoot}${encodePath(ctx.path)}?${query}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page < lastPage) links.push(link(page + 1, 'next'), link(lastPage, 'last'));
  if (page > 1) links.push(link(1, 'first'), link(page - 1, 'prev'));
  return { status: 200, body: slice, headers: links.length > 0 ? { link: links.join(', ') } : {} };
}

export function encodePath(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}
