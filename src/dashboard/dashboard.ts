/**
 * The read-only dashboard, served beside `/metrics` on the internal port: `/` (the list),
 * `/rollouts/<id>` (one rollout), `/api/rollouts` and `/api/rollouts/<id>` (the same as JSON).
 * It reads through the store's interface only and never changes a rollout.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ForgeLinks, RepoRef } from '../forge/forge.js';
import { githubLinks } from '../forge/github/links.js';
import type { RolloutStore } from '../state/store.js';
import { authorized, challenge, type DashboardAuth } from './auth.js';
import { compilePages, readAsset, type Pages } from './pages.js';
import { PHASES, QueryError, rolloutQueryOf, SINCE_OPTIONS } from './query.js';
import { rolloutDetail, rolloutListJson } from './rollout-json.js';

export interface DashboardOptions {
  store: Pick<RolloutStore, 'get' | 'listRollouts'>;
  /** `https://github.com` or the GitHub Enterprise Server URL, for links. */
  serverUrl: string;
  /** Links of a repository's forge; default: GitHub's at `serverUrl`. */
  links?: (repo: RepoRef) => ForgeLinks;
  auth?: DashboardAuth;
  clock?: () => number;
}

/** Handles a request if it is the dashboard's; false for any other path (the caller answers 404). */
export type DashboardHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Pages may load only this server's stylesheet and script: an injected tag could run nothing. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export function createDashboard(options: DashboardOptions): DashboardHandler {
  const pages: Pages = compilePages();
  const assets = { '/dashboard.css': ['text/css; charset=utf-8', readAsset('dashboard.css')], '/dashboard.js': ['text/javascript; charset=utf-8', readAsset('dashboard.js')] } as const;
  const clock = options.clock ?? Date.now;
  const github = githubLinks(options.serverUrl);
  const links = options.links ?? (() => github);

  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS }).end(body);
  };
  const fail = (res: ServerResponse, status: number, message: string, json: boolean) =>
    json ? send(res, status, 'application/json; charset=utf-8', JSON.stringify({ error: message })) : send(res, status, 'text/plain; charset=utf-8', `${message}\n`);

  async function route(path: string, url: URL, res: ServerResponse): Promise<void> {
    const now = clock();
    const api = path.startsWith('/api/');
    if (path === '/' || path === '/api/rollouts') {
      let query;
      try {
        query = rolloutQueryOf(url.searchParams, now);
      } catch (error) {
        if (error instanceof QueryError) return fail(res, 400, error.message, api);
        throw error;
      }
      const list = rolloutListJson(await options.store.listRollouts(query), links, now);
      if (api) return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(list));
      return send(res, 200, 'text/html; charset=utf-8', pages['dashboard-list'](listPage(list, url)));
    }
    const id = path.startsWith('/rollouts/') ? path.slice('/rollouts/'.length) : path.slice('/api/rollouts/'.length);
    let decoded: string;
    try {
      decoded = decodeURIComponent(id);
    } catch {
      return fail(res, 400, `"${id}" is not a valid rollout id in a URL (encode it with encodeURIComponent)`, api);
    }
    const stored = await options.store.get(decoded);
    if (!stored) return fail(res, 404, `no rollout ${JSON.stringify(decoded)} (archived rollouts are not listed but still found by id; this one is in neither)`, api);
    const { json, charts } = rolloutDetail(stored.state, links, now);
    if (api) return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(json));
    const metrics = json.metrics.map((metric) => ({ json: metric, chart: charts.get(`${metric.analysis}/${metric.name}`) }));
    send(res, 200, 'text/html; charset=utf-8', pages['dashboard-detail']({ r: json, metrics, apiUrl: `/api/rollouts/${encodeURIComponent(decoded)}` }));
  }

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const path = url.pathname;
    if (path === '/favicon.ico') {
      // no icon: an empty answer rather than a 404 in every browser console
      res.writeHead(204).end();
      return true;
    }
    const isAsset = path === '/dashboard.css' || path === '/dashboard.js';
    const isPage = path === '/' || path === '/api/rollouts' || /^\/(api\/)?rollouts\/[^/]+$/.test(path);
    if (!isAsset && !isPage) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('the dashboard is read-only: only GET is served; act with ChatOps commands on the pull request\n');
      return true;
    }
    if (!authorized(options.auth, req.headers.authorization)) {
      res.writeHead(401, { 'www-authenticate': challenge(options.auth!), 'content-type': 'text/plain' }).end('the dashboard needs the credentials set in OPSBOX_DASHBOARD_AUTH\n');
      return true;
    }
    if (isAsset) {
      const [type, body] = assets[path as keyof typeof assets];
      send(res, 200, type, body);
      return true;
    }
    route(path, url, res).catch((error: unknown) => {
      if (!res.headersSent) fail(res, 500, `reading rollouts failed: ${(error as Error).message}`, path.startsWith('/api/'));
    });
    return true;
  };
}

function listPage(list: ReturnType<typeof rolloutListJson>, url: URL) {
  const params = url.searchParams;
  const pageLink = (offset: number) => {
    const next = new URLSearchParams(params);
    next.delete('offset');
    next.set('page', String(Math.floor(offset / list.limit) + 1));
    return `/?${next.toString()}`;
  };
  const phase = params.get('phase') ?? '';
  const since = params.get('since') ?? '';
  return {
    ...list,
    search: url.search,
    filters: { repository: params.get('repository') ?? '', service: params.get('service') ?? '' },
    phaseOptions: PHASES.map((value) => ({ value, label: value, selected: value === phase })),
    sinceOptions: SINCE_OPTIONS.map((option) => ({ ...option, selected: option.value === since })),
    from: list.total === 0 ? 0 : list.offset + 1,
    to: list.offset + list.rollouts.length,
    previous: list.offset > 0 ? pageLink(Math.max(0, list.offset - list.limit)) : undefined,
    next: list.offset + list.limit < list.total ? pageLink(list.offset + list.limit) : undefined,
  };
}
