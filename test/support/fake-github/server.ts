/** The HTTP side of the fake: authentication, routing at `/` and `/api/v3`, the request log, injected failures. */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorBody, HttpError, type Actor, type RequestContext, type Route, type RouteResult } from './http.js';
import { appRoutes } from './routes/app.js';
import { checkRoutes } from './routes/checks.js';
import { collaboratorRoutes } from './routes/collaborators.js';
import { commitRoutes } from './routes/commits.js';
import { contentsRoutes } from './routes/contents.js';
import { gitRoutes } from './routes/git.js';
import { hookDeliveryRoutes } from './routes/hook-deliveries.js';
import { graphqlRoutes } from './routes/graphql.js';
import { issueRoutes } from './routes/issues.js';
import { pullRoutes } from './routes/pulls.js';
import { statusRoutes } from './routes/statuses.js';
import { deploymentRoutes } from './routes/deployments.js';
import type { FakeState } from './state.js';

/** Specific suffix routes (`/commits/:ref/check-runs`) come before the catch-all `/commits/:ref`. */
const ROUTES: Route[] = [
  ...appRoutes,
  ...hookDeliveryRoutes,
  ...gitRoutes,
  ...contentsRoutes,
  ...checkRoutes,
  ...statusRoutes,
  ...deploymentRoutes,
  ...commitRoutes,
  ...pullRoutes,
  ...issueRoutes,
  ...collaboratorRoutes,
  ...graphqlRoutes,
];

export interface RecordedRequest {
  method: string;
  /** Decoded path without `/api/v3` and without the query string. */
  path: string;
  query: string;
  status: number;
  /** GET and HEAD are reads; everything else is a write. */
  read: boolean;
  write: boolean;
  /** Login the request acted as (`opsbox-canary[bot]` for installation tokens), `app` for a JWT, or `anonymous`. */
  actor: string;
}

export interface FailureRule {
  method?: string;
  /** Matched against the decoded path without `/api/v3`; a string must match exactly. */
  path: string | RegExp;
  status: number;
  message?: string;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** The error body (default `{ message }`), e.g. a "Validation Failed" with `errors`. */
  body?: Record<string, unknown>;
  /** Runs just before the failure is answered, e.g. to make what a concurrent writer did. */
  before?: () => void;
}

const API_PREFIX = '/api/v3';
const MAX_BODY_BYTES = 64 * 1024 * 1024;

function isJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
}

export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  readonly unhandled: RecordedRequest[] = [];
  /** Exceptions thrown by the fake itself (answered with 500): a bug in the fake or an unexpected input. */
  readonly errors: Error[] = [];
  readonly failures: FailureRule[] = [];
  private server: Server | undefined;
  url = '';

  constructor(private readonly state: FakeState) {}

  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.errors.push(error instanceof Error ? error : new Error(String(error)));
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ message: 'fake GitHub failed' }));
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this.url;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private actorOf(req: IncomingMessage): Actor | undefined {
    const header = req.headers.authorization;
    if (!header) return undefined;
    const token = header.replace(/^(token|bearer)\s+/i, '').trim();
    if (isJwt(token)) return { kind: 'app' };
    const login = this.state.tokens.get(token);
    if (login && login !== this.state.app.bot.login) return { kind: 'user', user: this.state.user(login) };
    // installation tokens, and any token a test makes up, act as the app's installation
    return { kind: 'installation', user: this.state.app.bot };
  }

  private async readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new HttpError(413, 'Payload too large');
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private takeFailure(method: string, path: string): FailureRule | undefined {
    const index = this.failures.findIndex(
      (rule) =>
        (!rule.method || rule.method.toUpperCase() === method) &&
        (typeof rule.path === 'string' ? rule.path === path : rule.path.test(path)),
    );
    if (index < 0) return undefined;
    const rule = this.failures[index];
    const left = (rule.times ?? 1) - 1;
    if (left <= 0) this.failures.splice(index, 1);
    else this.failures[index] = { ...rule, times: left };
    return rule;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', this.url);
    const prefixed = url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`);
    const rawPath = prefixed ? url.pathname.slice(API_PREFIX.length) || '/' : url.pathname;
    const actor = this.actorOf(req);
    const record: RecordedRequest = {
      method,
      path: rawPath,
      query: url.search.replace(/^\?/, ''),
      status: 0,
      read: method === 'GET' || method === 'HEAD',
      write: method !== 'GET' && method !== 'HEAD',
      actor: !actor ? 'anonymous' : actor.kind === 'app' ? 'app' : actor.user.login,
    };
    let result: RouteResult;
    try {
      const body = await this.readBody(req);
      let path: string;
      try {
        path = decodeURIComponent(rawPath);
      } catch {
        throw new HttpError(400, 'Bad Request');
      }
      record.path = path;
      result = await this.dispatch(req, method, path, url, prefixed, actor, body, record);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      result = { status: error.status, body: errorBody(error) };
    }
    record.status = result.status;
    if (result.recordAs) {
      record.read = result.recordAs === 'read';
      record.write = result.recordAs === 'write';
    }
    this.requests.push(record);
    const headers: Record<string, string> = {
      'x-github-request-id': randomUUID(),
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-used': '1',
      'x-ratelimit-resource': 'core',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      ...result.headers,
    };
    if (result.status === 204 || method === 'HEAD') {
      res.writeHead(result.status, headers);
      res.end();
      return;
    }
    if (result.text !== undefined) {
      res.writeHead(result.status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(result.text);
      return;
    }
    res.writeHead(result.status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(result.body ?? null));
  }

  private async dispatch(
    req: IncomingMessage,
    method: string,
    path: string,
    url: URL,
    prefixed: boolean,
    actor: Actor | undefined,
    rawBody: string,
    record: RecordedRequest,
  ): Promise<RouteResult> {
    const failure = this.takeFailure(method, path);
    if (failure) {
      failure.before?.();
      const body = failure.body ?? { message: failure.message ?? 'Injected failure', documentation_url: 'https://docs.github.com/rest' };
      return { status: failure.status, body };
    }
    const candidates = ROUTES.filter((candidate) => candidate.pattern.test(path));
    const matched = candidates.find((candidate) => candidate.method === method);
    if (!matched) {
      this.unhandled.push({ ...record, status: 404 });
      return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
    }
    if (!actor) return { status: 401, body: { message: 'Requires authentication', documentation_url: 'https://docs.github.com/rest' } };
    if (matched.access === 'jwt' && actor.kind !== 'app') {
      return { status: 401, body: { message: 'A JSON web token could not be decoded', documentation_url: 'https://docs.github.com/rest' } };
    }
    if (matched.access === 'token' && actor.kind === 'app') {
      return { status: 403, body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' } };
    }
    let body: unknown;
    if (rawBody.trim().length > 0) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        throw new HttpError(400, 'Problems parsing JSON');
      }
    }
    const values = matched.pattern.exec(path)!.slice(1);
    const params = Object.fromEntries(matched.names.map((name, index) => [name, values[index]]));
    const ctx: RequestContext = {
      method,
      path,
      params,
      query: url.searchParams,
      body,
      headers: req.headers,
      actor,
      state: this.state,
      webUrl: this.url,
      apiUrl: `${this.url}${API_PREFIX}`,
      requestApiRoot: prefixed ? `${this.url}${API_PREFIX}` : this.url,
    };
    return matched.handler(ctx);
  }
}
