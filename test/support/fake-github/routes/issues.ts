/** Issues, issue comments (which pull requests share) and comment reactions. */
import {
  bodyObject,
  notFound,
  ok,
  paginate,
  route,
  stringField,
  validationFailed,
  type RequestContext,
  type Route,
} from '../http.js';
import { commentShape, issueShape, reactionShape } from '../shapes.js';
import { REACTION_CONTENTS, type Comment, type FakeState, type Issue, type ReactionContent, type Repo, type User } from '../state.js';
import { actingUser, numberParam, repoOf, urlsOf } from './common.js';

export function addComment(state: FakeState, repo: Repo, issueNumber: number, body: string, user: User): Comment {
  if (!repo.issues.has(issueNumber)) throw notFound();
  const now = state.now();
  const comment: Comment = { id: state.newId(), repo, issueNumber, body, user, createdAt: now, updatedAt: now };
  state.comments.set(comment.id, comment);
  return comment;
}

function commentOf(ctx: RequestContext, repo: Repo): Comment {
  const comment = ctx.state.comments.get(numberParam(ctx, 'id'));
  if (!comment || comment.repo !== repo) throw notFound();
  return comment;
}

function issueOf(ctx: RequestContext, repo: Repo): Issue {
  const issue = repo.issues.get(numberParam(ctx, 'number'));
  if (!issue) throw notFound();
  return issue;
}

export const issueRoutes: Route[] = [
  route('POST', '/repos/:owner/:repo/issues', (ctx) => {
    const repo = repoOf(ctx);
    const body = bodyObject(ctx);
    const title = stringField(body, 'title', true);
    const now = ctx.state.now();
    const issue: Issue = {
      id: ctx.state.newId(),
      number: repo.nextNumber,
      title,
      body: stringField(body, 'body') ?? null,
      user: actingUser(ctx),
      state: 'open',
      createdAt: now,
      updatedAt: now,
      closedAt: null,
    };
    repo.nextNumber += 1;
    repo.issues.set(issue.number, issue);
    return ok(issueShape(urlsOf(ctx), ctx.state, repo, issue), 201);
  }),

  route('GET', '/repos/:owner/:repo/issues/comments/:id', (ctx) => {
    const repo = repoOf(ctx);
    return ok(commentShape(urlsOf(ctx), ctx.state, commentOf(ctx, repo)));
  }),

  route('PATCH', '/repos/:owner/:repo/issues/comments/:id', (ctx) => {
    const repo = repoOf(ctx);
    actingUser(ctx);
    const comment = commentOf(ctx, repo);
    comment.body = stringField(bodyObject(ctx), 'body', true);
    comment.updatedAt = ctx.state.now();
    return ok(commentShape(urlsOf(ctx), ctx.state, comment));
  }),

  route('DELETE', '/repos/:owner/:repo/issues/comments/:id', (ctx) => {
    const repo = repoOf(ctx);
    actingUser(ctx);
    const comment = commentOf(ctx, repo);
    ctx.state.comments.delete(comment.id);
    for (let index = ctx.state.reactions.length - 1; index >= 0; index -= 1) {
      if (ctx.state.reactions[index].commentId === comment.id) ctx.state.reactions.splice(index, 1);
    }
    return { status: 204 };
  }),

  route('GET', '/repos/:owner/:repo/issues/comments/:id/reactions', (ctx) => {
    const repo = repoOf(ctx);
    const comment = commentOf(ctx, repo);
    const content = ctx.query.get('content');
    const reactions = ctx.state.reactions.filter(
      (reaction) => reaction.commentId === comment.id && (!content || reaction.content === content),
    );
    return paginate(ctx, reactions.map((reaction) => reactionShape(urlsOf(ctx), reaction)));
  }),

  route('POST', '/repos/:owner/:repo/issues/comments/:id/reactions', (ctx) => {
    const repo = repoOf(ctx);
    const user = actingUser(ctx);
    const comment = commentOf(ctx, repo);
    const content = stringField(bodyObject(ctx), 'content', true);
    if (!(REACTION_CONTENTS as readonly string[]).includes(content)) {
      throw validationFailed([{ resource: 'Reaction', field: 'content', code: 'invalid' }]);
    }
    const existing = ctx.state.reactions.find(
      (reaction) => reaction.commentId === comment.id && reaction.user.id === user.id && reaction.content === content,
    );
    if (existing) return ok(reactionShape(urlsOf(ctx), existing), 200);
    const reaction = {
      id: ctx.state.newId(),
      commentId: comment.id,
      content: content as ReactionContent,
      user,
      createdAt: ctx.state.now(),
    };
    ctx.state.reactions.push(reaction);
    return ok(reactionShape(urlsOf(ctx), reaction), 201);
  }),

  route('GET', '/repos/:owner/:repo/issues/:number', (ctx) => {
    const repo = repoOf(ctx);
    return ok(issueShape(urlsOf(ctx), ctx.state, repo, issueOf(ctx, repo)));
  }),

  route('GET', '/repos/:owner/:repo/issues/:number/comments', (ctx) => {
    const repo = repoOf(ctx);
    const issue = issueOf(ctx, repo);
    const since = ctx.query.get('since');
    const comments = [...ctx.state.comments.values()]
      .filter((comment) => comment.repo === repo && comment.issueNumber === issue.number)
      .filter((comment) => !since || Date.parse(comment.updatedAt) >= Date.parse(since))
      .sort((a, b) => a.id - b.id);
    return paginate(ctx, comments.map((comment) => commentShape(urlsOf(ctx), ctx.state, comment)));
  }),

  route('POST', '/repos/:owner/:repo/issues/:number/comments', (ctx) => {
    const repo = repoOf(ctx);
    const issue = issueOf(ctx, repo);
    const body = stringField(bodyObject(ctx), 'body', true);
    const comment = addComment(ctx.state, repo, issue.number, body, actingUser(ctx));
    return ok(commentShape(urlsOf(ctx), ctx.state, comment), 201);
  }),
];
