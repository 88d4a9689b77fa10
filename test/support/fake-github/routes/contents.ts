/** `GET /repos/:o/:r/contents/:path`: files (base64 or raw), directories, 404s — what Probot's config loader reads. */
import { notFound, ok, route, type RequestContext, type RouteResult, type Route } from '../http.js';
import { resolveCommitish } from '../repo-ops.js';
import type { Repo } from '../state.js';
import { repoOf, wrappedBase64 } from './common.js';

/** The contents API stops inlining file bodies above 1 MiB. */
const INLINE_LIMIT = 1024 * 1024;

function wantsRaw(ctx: RequestContext): boolean {
  const accept = String(ctx.headers.accept ?? '');
  return /application\/vnd\.github(\.v3)?(\.|\+)?raw/.test(accept);
}

function entryLinks(ctx: RequestContext, repo: Repo, ref: string, path: string, type: string, sha: string) {
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  const self = `${ctx.apiUrl}/repos/${repo.fullName}/contents/${encoded}?ref=${encodeURIComponent(ref)}`;
  const git = `${ctx.apiUrl}/repos/${repo.fullName}/git/${type === 'dir' ? 'trees' : 'blobs'}/${sha}`;
  const html = `${ctx.webUrl}/${repo.fullName}/${type === 'dir' ? 'tree' : 'blob'}/${ref}/${encoded}`;
  return {
    url: self,
    html_url: html,
    git_url: git,
    download_url: type === 'file' ? `${ctx.webUrl}/${repo.fullName}/raw/${ref}/${encoded}` : null,
    _links: { self, git, html },
  };
}

function contents(ctx: RequestContext): RouteResult {
  const repo = repoOf(ctx);
  const ref = ctx.query.get('ref') ?? repo.defaultBranch;
  const commitSha = resolveCommitish(repo, ref);
  if (!commitSha) {
    return { status: 404, body: { message: `No commit found for the ref ${ref}`, documentation_url: 'https://docs.github.com/rest/repos/contents#get-repository-content', status: '404' } };
  }
  const path = (ctx.params.path ?? '').replace(/^\/+|\/+$/g, '');
  const tree = repo.objects.getCommit(commitSha)!.tree;
  const entry = repo.objects.lookup(tree, path);
  if (!entry) throw notFound();
  if (entry.type === 'tree') {
    const listing = (repo.objects.getTree(entry.sha) ?? []).map((child) => {
      const childPath = path ? `${path}/${child.name}` : child.name;
      const type = child.type === 'tree' ? 'dir' : child.type === 'commit' ? 'submodule' : 'file';
      return {
        type,
        size: child.type === 'blob' ? (repo.objects.getBlob(child.sha)?.length ?? 0) : 0,
        name: child.name,
        path: childPath,
        sha: child.sha,
        ...entryLinks(ctx, repo, ref, childPath, type, child.sha),
      };
    });
    return ok(listing);
  }
  if (entry.type !== 'blob') throw notFound();
  const content = repo.objects.getBlob(entry.sha)!;
  if (wantsRaw(ctx)) {
    return { status: 200, text: content.toString('utf8'), headers: { 'content-type': 'application/vnd.github.raw; charset=utf-8' } };
  }
  const inline = content.length <= INLINE_LIMIT;
  return ok({
    type: 'file',
    encoding: inline ? 'base64' : 'none',
    size: content.length,
    name: path.split('/').pop(),
    path,
    content: inline ? wrappedBase64(content) : '',
    sha: entry.sha,
    ...entryLinks(ctx, repo, ref, path, 'file', entry.sha),
  });
}

export const contentsRoutes: Route[] = [
  route('GET', '/repos/:owner/:repo/contents', contents),
  route('GET', '/repos/:owner/:repo/contents/*path', contents),
];
