/** Commit reads with changed files, commit lists, compare and branches. */
import { diffTrees } from '../diffs.js';
import { notFound, ok, paginate, route, type RequestContext, type Route } from '../http.js';
import { BRANCH_PREFIX, history, resolveCommitish } from '../repo-ops.js';
import { fileDiffShape, repoCommitShape } from '../shapes.js';
import type { Repo } from '../state.js';
import { repoOf, urlsOf } from './common.js';

/** Files changed by a commit, against its first parent (as GitHub shows them). */
export function commitFiles(repo: Repo, sha: string) {
  const commit = repo.objects.getCommit(sha)!;
  const parent = commit.parents[0];
  return diffTrees(repo.objects, parent ? repo.objects.getCommit(parent)!.tree : null, commit.tree);
}

function commitBody(ctx: RequestContext, repo: Repo, sha: string, withFiles: boolean) {
  const commit = repo.objects.getCommit(sha)!;
  return repoCommitShape(urlsOf(ctx), ctx.state, repo, sha, commit, withFiles ? commitFiles(repo, sha) : undefined);
}

function touchesPath(repo: Repo, sha: string, path: string): boolean {
  const commit = repo.objects.getCommit(sha)!;
  const here = repo.objects.lookup(commit.tree, path)?.sha;
  const parent = commit.parents[0];
  const before = parent ? repo.objects.lookup(repo.objects.getCommit(parent)!.tree, path)?.sha : undefined;
  return here !== before;
}

export const commitRoutes: Route[] = [
  route('GET', '/repos/:owner/:repo/commits', (ctx) => {
    const repo = repoOf(ctx);
    const start = resolveCommitish(repo, ctx.query.get('sha') ?? repo.defaultBranch);
    if (!start) throw notFound();
    const path = ctx.query.get('path');
    const since = ctx.query.get('since');
    const until = ctx.query.get('until');
    const shas = history(repo.objects, start).filter((sha) => {
      const date = Date.parse(repo.objects.getCommit(sha)!.committer.date);
      if (since && date < Date.parse(since)) return false;
      if (until && date > Date.parse(until)) return false;
      return !path || touchesPath(repo, sha, path);
    });
    return paginate(ctx, shas.map((sha) => commitBody(ctx, repo, sha, false)));
  }),

  route('GET', '/repos/:owner/:repo/commits/*ref', (ctx) => {
    const repo = repoOf(ctx);
    const sha = resolveCommitish(repo, ctx.params.ref);
    if (!sha) {
      return { status: 422, body: { message: `No commit found for SHA: ${ctx.params.ref}`, documentation_url: 'https://docs.github.com/rest/commits/commits#get-a-commit', status: '422' } };
    }
    return ok(commitBody(ctx, repo, sha, true));
  }),

  route('GET', '/repos/:owner/:repo/compare/*basehead', (ctx) => {
    const repo = repoOf(ctx);
    const [baseRef, headRef] = ctx.params.basehead.includes('...')
      ? ctx.params.basehead.split('...', 2)
      : ctx.params.basehead.split('..', 2);
    const base = resolveCommitish(repo, baseRef ?? '');
    const head = resolveCommitish(repo, headRef ?? '');
    if (!base || !head) throw notFound();
    const mergeBase = repo.objects.mergeBase(base, head);
    const headAncestors = repo.objects.ancestors(head);
    const baseAncestors = repo.objects.ancestors(base);
    const ahead = history(repo.objects, head).filter((sha) => !baseAncestors.has(sha)).reverse();
    const behind = [...baseAncestors].filter((sha) => !headAncestors.has(sha)).length;
    const status = ahead.length === 0 && behind === 0 ? 'identical' : behind === 0 ? 'ahead' : ahead.length === 0 ? 'behind' : 'diverged';
    const files = diffTrees(
      repo.objects,
      mergeBase ? repo.objects.getCommit(mergeBase)!.tree : null,
      repo.objects.getCommit(head)!.tree,
    );
    const urls = urlsOf(ctx);
    return ok({
      url: `${urls.api}/repos/${repo.fullName}/compare/${baseRef}...${headRef}`,
      html_url: `${urls.web}/${repo.fullName}/compare/${baseRef}...${headRef}`,
      permalink_url: `${urls.web}/${repo.fullName}/compare/${base}...${head}`,
      diff_url: `${urls.web}/${repo.fullName}/compare/${baseRef}...${headRef}.diff`,
      patch_url: `${urls.web}/${repo.fullName}/compare/${baseRef}...${headRef}.patch`,
      base_commit: commitBody(ctx, repo, base, false),
      merge_base_commit: mergeBase ? commitBody(ctx, repo, mergeBase, false) : null,
      status,
      ahead_by: ahead.length,
      behind_by: behind,
      total_commits: ahead.length,
      commits: ahead.map((sha) => commitBody(ctx, repo, sha, false)),
      files: files.map((file) => fileDiffShape(urls, repo, head, file)),
    });
  }),

  route('GET', '/repos/:owner/:repo/branches/*branch', (ctx) => {
    const repo = repoOf(ctx);
    const sha = repo.refs.get(BRANCH_PREFIX + ctx.params.branch);
    if (!sha) {
      return { status: 404, body: { message: 'Branch not found', documentation_url: 'https://docs.github.com/rest/branches/branches#get-a-branch', status: '404' } };
    }
    const urls = urlsOf(ctx);
    return ok({
      name: ctx.params.branch,
      commit: commitBody(ctx, repo, sha, false),
      _links: {
        self: `${urls.api}/repos/${repo.fullName}/branches/${ctx.params.branch}`,
        html: `${urls.web}/${repo.fullName}/tree/${ctx.params.branch}`,
      },
      protected: false,
      protection: { enabled: false, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
      protection_url: `${urls.api}/repos/${repo.fullName}/branches/${ctx.params.branch}/protection`,
    });
  }),
];
