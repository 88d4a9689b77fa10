/** Pull requests: create (with GitHub's duplicate and empty checks), list with `head=owner:branch`, update, merge. */
import { diffTrees } from '../diffs.js';
import {
  bodyObject,
  HttpError,
  notFound,
  ok,
  paginate,
  route,
  stringField,
  validationFailed,
  type RequestContext,
  type Route,
} from '../http.js';
import { branchSha, BRANCH_PREFIX, history, mergeTrees, writeCommit } from '../repo-ops.js';
import { authorAssociation, fileDiffShape, repoShape, userShape, type Urls } from '../shapes.js';
import type { FakeState, Issue, Repo, User } from '../state.js';
import { actingUser, numberParam, repoOf, urlsOf } from './common.js';

export function pullHeadSha(repo: Repo, issue: Issue): string {
  const pull = issue.pull!;
  return pull.closedHeadSha ?? branchSha(repo, pull.headRef) ?? '';
}

export function pullBaseSha(repo: Repo, issue: Issue): string {
  const pull = issue.pull!;
  return pull.closedBaseSha ?? branchSha(repo, pull.baseRef) ?? '';
}

/** The pull request's own commits and the three-dot diff from the merge base. */
function pullChanges(repo: Repo, issue: Issue) {
  const head = pullHeadSha(repo, issue);
  const base = pullBaseSha(repo, issue);
  if (!head || !base) return { commits: [] as string[], files: [] };
  // after a merge the base contains the head; measure against the base as it was before
  const baseAncestors = repo.objects.ancestors(base);
  const commits = history(repo.objects, head).filter((sha) => !baseAncestors.has(sha));
  const mergeBase = repo.objects.mergeBase(base, head);
  const files = diffTrees(
    repo.objects,
    mergeBase ? repo.objects.getCommit(mergeBase)!.tree : null,
    repo.objects.getCommit(head)!.tree,
  );
  return { commits, files };
}

export function pullShape(urls: Urls, state: FakeState, repo: Repo, issue: Issue): Record<string, unknown> {
  const pull = issue.pull!;
  const api = `${urls.api}/repos/${repo.fullName}`;
  const web = `${urls.web}/${repo.fullName}`;
  const owner = state.user(repo.owner);
  const changes = pullChanges(repo, issue);
  const side = (ref: string, sha: string) => ({
    label: `${repo.owner}:${ref}`,
    ref,
    sha,
    user: userShape(urls, owner),
    repo: repoShape(urls, state, repo),
  });
  return {
    url: `${api}/pulls/${issue.number}`,
    id: pull.id,
    node_id: Buffer.from(`PullRequest:${pull.id}`).toString('base64'),
    html_url: `${web}/pull/${issue.number}`,
    diff_url: `${web}/pull/${issue.number}.diff`,
    patch_url: `${web}/pull/${issue.number}.patch`,
    issue_url: `${api}/issues/${issue.number}`,
    number: issue.number,
    state: issue.state,
    locked: false,
    title: issue.title,
    user: userShape(urls, issue.user),
    body: issue.body,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_at: issue.closedAt,
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    labels: [],
    milestone: null,
    draft: pull.draft,
    commits_url: `${api}/pulls/${issue.number}/commits`,
    review_comments_url: `${api}/pulls/${issue.number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${issue.number}/comments`,
    statuses_url: `${api}/statuses/${pullHeadSha(repo, issue)}`,
    head: side(pull.headRef, pullHeadSha(repo, issue)),
    base: side(pull.baseRef, pullBaseSha(repo, issue)),
    _links: {
      self: { href: `${api}/pulls/${issue.number}` },
      html: { href: `${web}/pull/${issue.number}` },
      issue: { href: `${api}/issues/${issue.number}` },
      comments: { href: `${api}/issues/${issue.number}/comments` },
      review_comments: { href: `${api}/pulls/${issue.number}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${api}/pulls/${issue.number}/commits` },
      statuses: { href: `${api}/statuses/${pullHeadSha(repo, issue)}` },
    },
    author_association: authorAssociation(repo, issue.user),
    auto_merge: null,
    active_lock_reason: null,
    merged: pull.merged,
    mergeable: issue.state === 'open' ? true : null,
    rebaseable: issue.state === 'open' ? true : null,
    mergeable_state: issue.state === 'open' ? 'clean' : 'unknown',
    merged_by: pull.mergedBy ? userShape(urls, pull.mergedBy) : null,
    comments: [...state.comments.values()].filter((c) => c.repo === repo && c.issueNumber === issue.number).length,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: changes.commits.length,
    additions: changes.files.reduce((sum, file) => sum + file.additions, 0),
    deletions: changes.files.reduce((sum, file) => sum + file.deletions, 0),
    changed_files: changes.files.length,
  };
}

/** Opens a pull request with GitHub's checks; used by the route and by the test helper. */
export function createPull(
  state: FakeState,
  repo: Repo,
  input: { title: string; head: string; base: string; body: string | null; draft: boolean; user: User },
): Issue {
  const [headOwner, headRef] = input.head.includes(':') ? input.head.split(/:(.*)/s, 2) : [repo.owner, input.head];
  if (headOwner.toLowerCase() !== repo.owner.toLowerCase() || !branchSha(repo, headRef)) {
    throw validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
  }
  if (!branchSha(repo, input.base)) throw validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
  const duplicate = [...repo.issues.values()].find(
    (issue) => issue.state === 'open' && issue.pull?.headRef === headRef && issue.pull.baseRef === input.base,
  );
  if (duplicate) {
    throw validationFailed([
      { resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${repo.owner}:${headRef}.` },
    ]);
  }
  if (repo.objects.isAncestor(branchSha(repo, headRef)!, branchSha(repo, input.base)!)) {
    throw validationFailed([
      { resource: 'PullRequest', code: 'custom', message: `No commits between ${input.base} and ${headRef}` },
    ]);
  }
  const now = state.now();
  const issue: Issue = {
    id: state.newId(),
    number: repo.nextNumber,
    title: input.title,
    body: input.body,
    user: input.user,
    state: 'open',
    createdAt: now,
    updatedAt: now,
    closedAt: null,
    pull: {
      id: state.newId(),
      headRef,
      baseRef: input.base,
      draft: input.draft,
      merged: false,
      mergedAt: null,
      mergedBy: null,
      mergeCommitSha: null,
      closedHeadSha: null,
      closedBaseSha: null,
    },
  };
  repo.nextNumber += 1;
  repo.issues.set(issue.number, issue);
  return issue;
}

export interface MergeResult {
  mergeCommitSha: string;
  /** The base branch head before the merge. */
  baseSha: string;
  headSha: string;
}

/** Merges like the merge button: a merge commit (or a squash commit) on the base, signed by GitHub. */
export function mergePull(
  state: FakeState,
  repo: Repo,
  issue: Issue,
  options: { mergedBy: User; method?: 'merge' | 'squash'; expectedHeadSha?: string; commitTitle?: string },
): MergeResult {
  const pull = issue.pull;
  if (!pull || issue.state !== 'open') throw new HttpError(405, 'Pull Request is not mergeable');
  const headSha = branchSha(repo, pull.headRef);
  const baseSha = branchSha(repo, pull.baseRef);
  if (!headSha || !baseSha) throw new HttpError(405, 'Pull Request is not mergeable');
  if (options.expectedHeadSha && options.expectedHeadSha !== headSha) {
    throw new HttpError(409, 'Head branch was modified. Review and try the merge again.');
  }
  const tree = mergeTrees(repo.objects, repo.objects.mergeBase(baseSha, headSha), baseSha, headSha);
  const method = options.method ?? 'merge';
  const message =
    method === 'squash'
      ? `${options.commitTitle ?? `${issue.title} (#${issue.number})`}`
      : `${options.commitTitle ?? `Merge pull request #${issue.number} from ${repo.owner}/${pull.headRef}`}\n\n${issue.title}`;
  const mergeCommitSha = writeCommit(state, repo, {
    tree,
    parents: method === 'squash' ? [baseSha] : [baseSha, headSha],
    message,
    author: options.mergedBy,
    verified: true,
  });
  repo.refs.set(BRANCH_PREFIX + pull.baseRef, mergeCommitSha);
  const now = state.now();
  Object.assign(pull, {
    merged: true,
    mergedAt: now,
    mergedBy: options.mergedBy,
    mergeCommitSha,
    closedHeadSha: headSha,
    closedBaseSha: baseSha,
  });
  Object.assign(issue, { state: 'closed', closedAt: now, updatedAt: now });
  return { mergeCommitSha, baseSha, headSha };
}

function pullOf(ctx: RequestContext, repo: Repo): Issue {
  const issue = repo.issues.get(numberParam(ctx, 'number'));
  if (!issue?.pull) throw notFound();
  return issue;
}

export const pullRoutes: Route[] = [
  route('POST', '/repos/:owner/:repo/pulls', (ctx) => {
    const repo = repoOf(ctx);
    const body = bodyObject(ctx);
    const issue = createPull(ctx.state, repo, {
      title: stringField(body, 'title', true),
      head: stringField(body, 'head', true),
      base: stringField(body, 'base', true),
      body: stringField(body, 'body') ?? null,
      draft: body.draft === true,
      user: actingUser(ctx),
    });
    return ok(pullShape(urlsOf(ctx), ctx.state, repo, issue), 201);
  }),

  route('GET', '/repos/:owner/:repo/pulls', (ctx) => {
    const repo = repoOf(ctx);
    const state = ctx.query.get('state') ?? 'open';
    const head = ctx.query.get('head');
    const base = ctx.query.get('base');
    // GitHub ignores a `head` filter that is not `owner:branch`
    const [headOwner, headRef] = head?.includes(':') ? head.split(/:(.*)/s, 2) : [undefined, undefined];
    const pulls = [...repo.issues.values()]
      .filter((issue) => issue.pull)
      .filter((issue) => state === 'all' || issue.state === state)
      .filter((issue) => headRef === undefined || (headOwner!.toLowerCase() === repo.owner.toLowerCase() && issue.pull!.headRef === headRef))
      .filter((issue) => !base || issue.pull!.baseRef === base)
      .sort((a, b) => (ctx.query.get('direction') === 'asc' ? a.number - b.number : b.number - a.number));
    return paginate(ctx, pulls.map((issue) => pullShape(urlsOf(ctx), ctx.state, repo, issue)));
  }),

  route('GET', '/repos/:owner/:repo/pulls/:number', (ctx) => {
    const repo = repoOf(ctx);
    return ok(pullShape(urlsOf(ctx), ctx.state, repo, pullOf(ctx, repo)));
  }),

  route('PATCH', '/repos/:owner/:repo/pulls/:number', (ctx) => {
    const repo = repoOf(ctx);
    actingUser(ctx);
    const issue = pullOf(ctx, repo);
    const body = bodyObject(ctx);
    const title = stringField(body, 'title');
    const text = body.body === null ? null : stringField(body, 'body');
    const state = stringField(body, 'state');
    const base = stringField(body, 'base');
    if (state !== undefined && state !== 'open' && state !== 'closed') {
      throw validationFailed([{ resource: 'PullRequest', field: 'state', code: 'invalid' }]);
    }
    if (base !== undefined && !branchSha(repo, base)) {
      throw validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    }
    const now = ctx.state.now();
    if (title !== undefined) issue.title = title;
    if (text !== undefined) issue.body = text;
    if (base !== undefined && issue.state === 'open') issue.pull!.baseRef = base;
    if (state === 'closed' && issue.state === 'open' && !issue.pull!.merged) {
      issue.pull!.closedHeadSha = branchSha(repo, issue.pull!.headRef) ?? null;
      issue.pull!.closedBaseSha = branchSha(repo, issue.pull!.baseRef) ?? null;
      Object.assign(issue, { state: 'closed', closedAt: now });
    } else if (state === 'open' && issue.state === 'closed' && !issue.pull!.merged) {
      Object.assign(issue.pull!, { closedHeadSha: null, closedBaseSha: null });
      Object.assign(issue, { state: 'open', closedAt: null });
    }
    issue.updatedAt = now;
    return ok(pullShape(urlsOf(ctx), ctx.state, repo, issue));
  }),

  route('GET', '/repos/:owner/:repo/pulls/:number/files', (ctx) => {
    const repo = repoOf(ctx);
    const issue = pullOf(ctx, repo);
    const head = pullHeadSha(repo, issue);
    return paginate(ctx, pullChanges(repo, issue).files.map((file) => fileDiffShape(urlsOf(ctx), repo, head, file)));
  }),

  route('PUT', '/repos/:owner/:repo/pulls/:number/merge', (ctx) => {
    const repo = repoOf(ctx);
    const issue = pullOf(ctx, repo);
    const body = bodyObject(ctx);
    const method = stringField(body, 'merge_method') ?? 'merge';
    if (method !== 'merge' && method !== 'squash') {
      throw validationFailed([{ resource: 'PullRequest', field: 'merge_method', code: 'invalid' }]);
    }
    const result = mergePull(ctx.state, repo, issue, {
      mergedBy: actingUser(ctx),
      method,
      expectedHeadSha: stringField(body, 'sha'),
      commitTitle: stringField(body, 'commit_title'),
    });
    return ok({ sha: result.mergeCommitSha, merged: true, message: 'Pull Request successfully merged' });
  }),
];
