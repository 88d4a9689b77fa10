/**
 * Comments: the status comment edited in place (found again by its hidden marker after a crash),
 * one-off replies, and reactions.
 */
import type { IssueComment, IssuesApi, ReactionContent, ReactionsApi } from './api.js';
import { attempt, isNotFound, requestFailed } from './errors.js';

export interface UpsertCommentOctokit {
  rest: { issues: Pick<IssuesApi, 'createComment' | 'updateComment' | 'listComments'> };
}

export interface PostCommentOctokit {
  rest: { issues: Pick<IssuesApi, 'createComment'> };
}

export interface ReactionOctokit {
  rest: { reactions: Pick<ReactionsApi, 'createForIssueComment'> };
}

export interface UpsertCommentOptions {
  owner: string;
  repo: string;
  issueNumber: number;
  /** The comment made earlier, when its id was saved. */
  commentId?: number | null;
  body: string;
  /** A hidden HTML comment, e.g. `<!-- opsbox:status rollout=… -->`, added to the body when missing. */
  marker: string;
  /**
   * This app's own login (`<app-slug>[bot]`): only its comments are edited, so another bot cannot
   * plant the marker. Asked for only when a marked comment by a bot turns up.
   */
  ownLogin: () => Promise<string>;
  /** Pages of 100 comments searched for the marker (default 20). */
  maxPages?: number;
  /**
   * Whether an earlier call may have made the comment without its id being kept (default true).
   * False skips the search for the marker: the caller knows no such comment was made.
   */
  mayExist?: boolean;
}

const PAGE_SIZE = 100;
const DEFAULT_MAX_PAGES = 20;

function withMarker(body: string, marker: string): string {
  return body.includes(marker) ? body : `${body}\n\n${marker}`;
}

/** The first comment by this app that carries the marker; people quoting it, and other bots, do not count. */
async function findMarked(octokit: UpsertCommentOctokit, options: UpsertCommentOptions): Promise<IssueComment | undefined> {
  const { owner, repo, issueNumber, marker } = options;
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  let own: string | undefined;
  for (let page = 1; page <= maxPages; page += 1) {
    const { data } = await attempt(`listing comments of #${issueNumber}`, () =>
      octokit.rest.issues.listComments({ owner, repo, issue_number: issueNumber, per_page: PAGE_SIZE, page }),
    );
    const marked = data.filter((comment) => comment.user?.type === 'Bot' && (comment.body ?? '').includes(marker));
    if (marked.length > 0) {
      own ??= (await options.ownLogin()).toLowerCase();
      const found = marked.find((comment) => comment.user?.login.toLowerCase() === own);
      if (found) return found;
    }
    if (data.length < PAGE_SIZE) return undefined;
  }
  return undefined;
}

/**
 * Edits the comment in place, or finds the one carrying the marker, or creates it; returns its id.
 * Looking for the marker before creating means a crash between creating the comment and saving its
 * id does not lead to a second comment.
 */
export async function upsertComment(octokit: UpsertCommentOctokit, options: UpsertCommentOptions): Promise<number> {
  const { owner, repo, issueNumber } = options;
  const body = withMarker(options.body, options.marker);
  if (options.commentId) {
    const commentId = options.commentId;
    try {
      await octokit.rest.issues.updateComment({ owner, repo, comment_id: commentId, body });
      return commentId;
    } catch (error) {
      // deleted by someone: fall through and post it again
      if (!isNotFound(error)) throw requestFailed(`updating comment ${commentId}`, error);
    }
  }
  const existing = options.mayExist === false ? undefined : await findMarked(octokit, options);
  if (existing) {
    if (existing.body !== body) {
      await attempt(`updating comment ${existing.id}`, () =>
        octokit.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body }),
      );
    }
    return existing.id;
  }
  return postComment(octokit, { owner, repo, issueNumber, body });
}

/** A new comment (a reply to a command, a refusal); returns its id. */
export async function postComment(
  octokit: PostCommentOctokit,
  options: { owner: string; repo: string; issueNumber: number; body: string },
): Promise<number> {
  const { owner, repo, issueNumber, body } = options;
  const { data } = await attempt(`commenting on #${issueNumber}`, () =>
    octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body }),
  );
  return data.id;
}

/** Reacts to a comment; `created` is false when the app had already reacted the same way. */
export async function addReaction(
  octokit: ReactionOctokit,
  options: { owner: string; repo: string; commentId: number; content: ReactionContent },
): Promise<{ id: number; created: boolean }> {
  const { owner, repo, commentId, content } = options;
  const response = await attempt(`reacting to comment ${commentId}`, () =>
    octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: commentId, content }),
  );
  return { id: response.data.id, created: response.status === 201 };
}
