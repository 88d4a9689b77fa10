/**
 * Git data: reads of blobs, trees and commits, and refs with GitHub's fast-forward rule on ref
 * updates. Commits are written through GraphQL `createCommitOnBranch` (routes/graphql.ts).
 */
import {
  bodyObject,
  notFound,
  ok,
  route,
  stringField,
  unprocessable,
  type RequestContext,
  type Route,
} from '../http.js';
import { resolveCommitish } from '../repo-ops.js';
import { gitCommitShape } from '../shapes.js';
import type { Repo } from '../state.js';
import { actingUser, repoOf, urlsOf, wrappedBase64 } from './common.js';

function treeShape(ctx: RequestContext, repo: Repo, sha: string, recursive: boolean): Record<string, unknown> {
  const api = `${ctx.apiUrl}/repos/${repo.fullName}`;
  const entries: Record<string, unknown>[] = [];
  const walk = (treeSha: string, prefix: string) => {
    for (const entry of repo.objects.getTree(treeSha) ?? []) {
      const path = prefix + entry.name;
      entries.push({
        path,
        mode: entry.mode,
        type: entry.type,
        sha: entry.sha,
        ...(entry.type === 'blob' ? { size: repo.objects.getBlob(entry.sha)?.length ?? 0 } : {}),
        url: `${api}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`,
      });
      if (recursive && entry.type === 'tree') walk(entry.sha, `${path}/`);
    }
  };
  walk(sha, '');
  return { sha, url: `${api}/git/trees/${sha}`, tree: entries, truncated: false };
}

function refShape(ctx: RequestContext, repo: Repo, name: string, sha: string): Record<string, unknown> {
  const api = `${ctx.apiUrl}/repos/${repo.fullName}`;
  return {
    ref: name,
    node_id: Buffer.from(`Ref:${repo.id}:${name}`).toString('base64'),
    url: `${api}/git/${name}`,
    object: { sha, type: 'commit', url: `${api}/git/commits/${sha}` },
  };
}

function checkRefName(name: string): void {
  if (!name.startsWith('refs/') || name.split('/').length < 3) {
    throw unprocessable("Reference name must start with 'refs/' and have at least two slashes.");
  }
}

export const gitRoutes: Route[] = [
  route('GET', '/repos/:owner/:repo/git/blobs/:sha', (ctx) => {
    const repo = repoOf(ctx);
    const content = repo.objects.getBlob(ctx.params.sha.toLowerCase());
    if (!content) throw notFound();
    return ok({
      sha: ctx.params.sha.toLowerCase(),
      node_id: Buffer.from(`Blob:${ctx.params.sha}`).toString('base64'),
      size: content.length,
      url: `${ctx.apiUrl}/repos/${repo.fullName}/git/blobs/${ctx.params.sha}`,
      content: wrappedBase64(content),
      encoding: 'base64',
    });
  }),

  route('GET', '/repos/:owner/:repo/git/trees/*sha', (ctx) => {
    const repo = repoOf(ctx);
    let sha: string | undefined = ctx.params.sha.toLowerCase();
    if (repo.objects.typeOf(sha) !== 'tree') {
      const commit = resolveCommitish(repo, ctx.params.sha);
      sha = commit ? repo.objects.getCommit(commit)?.tree : undefined;
    }
    if (!sha) throw notFound();
    return ok(treeShape(ctx, repo, sha, ctx.query.has('recursive')));
  }),

  route('GET', '/repos/:owner/:repo/git/commits/:sha', (ctx) => {
    const repo = repoOf(ctx);
    const sha = ctx.params.sha.toLowerCase();
    const commit = repo.objects.getCommit(sha);
    if (!commit) throw notFound();
    return ok(gitCommitShape(urlsOf(ctx), repo, sha, commit));
  }),

  route('GET', '/repos/:owner/:repo/git/ref/*ref', (ctx) => {
    const repo = repoOf(ctx);
    const name = `refs/${ctx.params.ref}`;
    const sha = repo.refs.get(name);
    if (!sha) throw notFound();
    return ok(refShape(ctx, repo, name, sha));
  }),

  route('GET', '/repos/:owner/:repo/git/refs', (ctx) => {
    const repo = repoOf(ctx);
    return ok([...repo.refs].sort(([a], [b]) => a.localeCompare(b)).map(([name, sha]) => refShape(ctx, repo, name, sha)));
  }),

  route('GET', '/repos/:owner/:repo/git/matching-refs/*ref', (ctx) => {
    const repo = repoOf(ctx);
    const prefix = `refs/${ctx.params.ref}`;
    const matches = [...repo.refs].filter(([name]) => name.startsWith(prefix)).sort(([a], [b]) => a.localeCompare(b));
    return ok(matches.map(([name, sha]) => refShape(ctx, repo, name, sha)));
  }),

  // the legacy form answers one ref for an exact match and an array for a prefix
  route('GET', '/repos/:owner/:repo/git/refs/*ref', (ctx) => {
    const repo = repoOf(ctx);
    const name = `refs/${ctx.params.ref}`;
    const exact = repo.refs.get(name);
    if (exact) return ok(refShape(ctx, repo, name, exact));
    const matches = [...repo.refs].filter(([candidate]) => candidate.startsWith(`${name}/`));
    if (matches.length === 0) throw notFound();
    return ok(matches.sort(([a], [b]) => a.localeCompare(b)).map(([ref, sha]) => refShape(ctx, repo, ref, sha)));
  }),

  route('POST', '/repos/:owner/:repo/git/refs', (ctx) => {
    const repo = repoOf(ctx);
    actingUser(ctx);
    const body = bodyObject(ctx);
    const name = stringField(body, 'ref', true);
    const sha = stringField(body, 'sha', true).toLowerCase();
    checkRefName(name);
    if (repo.refs.has(name)) throw unprocessable('Reference already exists');
    if (repo.objects.typeOf(sha) !== 'commit') throw unprocessable('Object does not exist');
    repo.refs.set(name, sha);
    return ok(refShape(ctx, repo, name, sha), 201);
  }),

  route('PATCH', '/repos/:owner/:repo/git/refs/*ref', async (ctx) => {
    const repo = repoOf(ctx);
    actingUser(ctx);
    const body = bodyObject(ctx);
    const name = `refs/${ctx.params.ref}`;
    const sha = stringField(body, 'sha', true).toLowerCase();
    const force = body.force === true;
    if (!repo.refs.has(name)) throw unprocessable('Reference does not exist');
    if (repo.objects.typeOf(sha) !== 'commit') throw unprocessable('Object does not exist');
    for (const hook of [...ctx.state.refUpdateHooks]) {
      await hook({
        repo: repo.fullName,
        ref: name,
        branch: name.replace(/^refs\/heads\//, ''),
        currentSha: repo.refs.get(name)!,
        newSha: sha,
        force,
      });
    }
    // read the head only now: a hook may have moved it, exactly like a concurrent push would
    const current = repo.refs.get(name);
    if (!current) throw unprocessable('Reference does not exist');
    if (!force && !repo.objects.isAncestor(current, sha)) throw unprocessable('Update is not a fast forward');
    repo.refs.set(name, sha);
    return ok(refShape(ctx, repo, name, sha));
  }),

  route('DELETE', '/repos/:owner/:repo/git/refs/*ref', (ctx) => {
    const repo = repoOf(ctx);
    actingUser(ctx);
    const name = `refs/${ctx.params.ref}`;
    if (!repo.refs.delete(name)) throw unprocessable('Reference does not exist');
    return { status: 204 };
  }),
];
