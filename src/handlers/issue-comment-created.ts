/** `issue_comment.created`: a command on a pull request. Records it and returns at once. */
import type { Context } from 'probot';
import { parseComment } from '../chatops/parse.js';
import type { CommandRequest } from '../app/run-command.js';
import { githubRepoRef } from '../forge/github/github-forge.js';
import type { Runtime } from '../app/runtime.js';
import type { DeliveryOutcome } from './outcome.js';

export async function onIssueCommentCreated(runtime: Runtime, context: Context<'issue_comment.created'>): Promise<DeliveryOutcome> {
  const { comment, issue, repository, installation } = context.payload;
  if (!issue.pull_request || !installation) return 'ignored';
  // Bots, the app itself included, never command a rollout.
  if (comment.user?.type === 'Bot' || !comment.user) return 'ignored';
  const parsed = parseComment(comment.body);
  if (parsed.kind === 'none') return 'ignored';
  const request: CommandRequest = {
    repo: githubRepoRef({ installationId: installation.id, owner: repository.owner.login, repo: repository.name, defaultBranch: repository.default_branch }),
    issueNumber: issue.number,
    commentId: comment.id,
    createdAt: comment.created_at,
    author: comment.user.login,
    parsed,
  };
  // The comment id makes a redelivered webhook a no-op; the claim keeps the command until it is done.
  const key = `comment:${repository.full_name}:${comment.id}`;
  if (!(await runtime.inbox.claimOnce(key, request))) return 'duplicate';
  runtime.runCommand(key, request);
  return 'claimed';
}
