/** Git data: blobs, trees, commits and refs, with GitHub's fast-forward rule on ref updates. */
import type { Signature } from '../git-objects.js';
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
import { applyTreeEdits, resolveCommitish, signatureOf, type TreeEdit } from '../repo-ops.js';
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

function signatureInput(value: unknown, field: string, fallback: Signature): Signature {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'object') throw unprocessable(`Invalid request.\n\nFor '${field}', ${JSON.stringify(value)} is not an object.`);
  const input = value as Record<string, unknown>;
  if (typeof input.name !== 'string' || typeof input.email !== 'string') {
    throw unprocessable(`Invalid request.\n\n"name" and "email" are required for '${field}'.`);
  }
  const date = typeof input.date === 'string' ? new Date(input.date).toISOString().replace(/\.\d{3}Z$/, 'Z') : fallback.date;
  return { name: input.name, email: input.email, date };
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

  route('POST', '/repos/:owner/:repo/git/blobs', (ctx) => {
    const repo = repoOf(ctx);
    actingUser(ctx);
    const body = bodyObject(ctx);
    const content = stringField(body, 'content', true);
    const encoding = stringField(body, 'encoding') ?? 'utf-8';
    if (encoding !== 'utf-8' && encoding !== 'base64') {
      throw unprocessable(`Invalid request.\n\nencoding must be one of utf-8, base64.`);
    }
    const sha = repo.objects.putBlob(Buffer.from(content, encoding === 'base64' ? 'base64' : 'utf8'));
    return ok({ url: `${ctx.apiUrl}/repos/${repo.fullName}/git/blobs/${sha}`, sha }, 201);
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

  route('POST', '/repos/:owner/:repo/git/trees', (ctx) => {
    const repo = repoOf(ctx);
    actingUser(ctx);
    const body = bodyObject(ctx);
    const baseTree = stringField(body, 'base_tree');
    if (baseTree !== undefined && repo.objects.typeOf(baseTree.toLowerCase()) !== 'tree') {
      throw unprocessable('base_tree is not a valid tree oid');
    }
    if (!Array.isArray(body.tree)) throw unprocessable(`Invalid request.\n\n"tree" wasn't supplied.`);
    const edits: TreeEdit[] = body.tree.map((raw: unknown) => {
      if (!raw || typeof raw !== 'object') throw unprocessable('Invalid tree info');
      const entry = raw as Record<string, unknown>;
      const path = stringField(entry, 'path', true);
      const mode = stringField(entry, 'mode', true);
      const type = stringField(entry, 'type') ?? 'blob';
      if (type !== 'blob' && type !== 'tree' && type !== 'commit') throw unprocessable(`Invalid tree info`);
      const hasSha = 'sha' in entry;
      const hasContent = entry.content !== undefined;
      if (hasSha && hasContent) {
        throw unprocessable('Must supply either tree.sha or tree.content. Request will fail if both are supplied.');
      }
      if (hasContent) {
        if (type !== 'blob' || typeof entry.content !== 'string') throw unprocessable('Invalid tree info');
        return { path, mode, type, sha: repo.objects.putBlob(Buffer.from(entry.content, 'utf8')) };
      }
      if (!hasSha) throw unprocessable('Must supply either tree.sha or tree.content.');
      const sha = entry.sha === null ? null : stringField(entry, 'sha', true).toLowerCase();
      return { path, mode, type, sha };
    });
    const sha = applyTreeEdits(repo.objects, baseTree?.toLowerCase() ?? null, edits);
    return ok(treeShape(ctx, repo, sha, false), 201);
  }),

  route('GET', '/repos/:owner/:repo/git/commits/:sha', (ctx) => {
    const repo = repoOf(ctx);
    const sha = ctx.params.sha.toLowerCase();
    const commit = repo.objects.getCommit(sha);
    if (!commit) throw notFound();
    return ok(gitCommitShape(urlsOf(ctx), repo, sha, commit));
  }),

  route('POST', '/repos/:owner/:repo/git/commits', (ctx) => {
    const repo = repoOf(ctx);
    const user = actingUser(ctx);
    const body = bodyObject(ctx);
    const message = stringField(body, 'message', true);
    const tree = stringField(body, 'tree', true).toLowerCase();
    if (repo.objects.typeOf(tree) !== 'tree') throw unprocessable('Tree SHA does not exist');
    const parentsInput = body.parents ?? [];
    if (!Array.isArray(parentsInput) || parentsInput.some((parent) => typeof parent !== 'string')) {
      throw unprocessable(`Invalid request.\n\nFor 'parents', ${JSON.stringify(parentsInput)} is not an array of strings.`);
    }
    const parents = (parentsInput as string[]).map((parent) => parent.toLowerCase());
    for (const parent of parents) {
      if (repo.objects.typeOf(parent) !== 'commit') throw unprocessable('Parent SHA does not exist or is not a commit object');
    }
    const now = ctx.state.now();
    const own = signatureOf(user, now);
    const author = signatureInput(body.author, 'author', own);
    const customCommitter = body.committer !== undefined && body.committer !== null;
    const committer = signatureInput(body.committer, 'committer', author);
    // GitHub signs commits it creates for an app's installation unless another committer or a signature is given
    const verified = ctx.actor.kind === 'installation' && !customCommitter && body.signature === undefined;
    const sha = repo.objects.putCommit({
      tree,
      parents,
      author,
      committer: verified ? { name: 'GitHub', email: 'noreply@github.com', date: committer.date } : committer,
      message,
      verified,
    });
    return ok(gitCommitShape(urlsOf(ctx), repo, sha, repo.objects.getCommit(sha)!), 201);
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
