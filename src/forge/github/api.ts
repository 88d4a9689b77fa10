/**
 * The Octokit methods the GitHub edges call, typed structurally with only the fields they use.
 * Each edge takes a `{ rest: { … Pick<…> } }` of exactly its methods, so Probot's Octokit,
 * `@octokit/rest` and a hand-written test double all fit.
 */

// parameter shapes are type literals, not interfaces: only those fit Octokit's index-signed RequestParameters
export type RepoParams = {
  owner: string;
  repo: string;
};

export interface GitApi {
  getRef(params: RepoParams & { ref: string }): Promise<{ data: { object: { sha: string } } }>;
  createRef(params: RepoParams & { ref: string; sha: string }): Promise<{ data: { object: { sha: string } } }>;
  updateRef(params: RepoParams & { ref: string; sha: string; force?: boolean }): Promise<{ data: { object: { sha: string } } }>;
  deleteRef(params: RepoParams & { ref: string }): Promise<unknown>;
  getBlob(params: RepoParams & { file_sha: string }): Promise<{ data: { content: string; encoding: string } }>;
}

export interface ReposApi {
  /** A file, a directory listing, a symlink or a submodule: narrowed at run time. */
  getContent(params: RepoParams & { path: string; ref?: string }): Promise<{ data: unknown }>;
  compareCommitsWithBasehead(
    params: RepoParams & { basehead: string },
  ): Promise<{ data: { ahead_by: number; behind_by: number; base_commit: { sha: string } } }>;
  getCombinedStatusForRef(
    params: RepoParams & { ref: string; per_page?: number },
  ): Promise<{ data: { state: string; sha: string; statuses: Array<{ context: string; state: string; description?: string | null }> } }>;
  listCommits(params: RepoParams & { sha?: string; per_page?: number }): Promise<{ data: Array<{ sha: string; commit: { message: string } }> }>;
  getCollaboratorPermissionLevel(
    params: RepoParams & { username: string },
  ): Promise<{ data: { permission: string; role_name?: string | null } }>;
}

export interface PullRequestSummary {
  number: number;
  html_url: string;
  body?: string | null;
  head: { sha: string };
}

export interface PullsApi {
  list(
    params: RepoParams & { head?: string; base?: string; state?: 'open' | 'closed' | 'all'; per_page?: number },
  ): Promise<{ data: PullRequestSummary[] }>;
  create(params: RepoParams & { title: string; head: string; base: string; body?: string }): Promise<{ data: PullRequestSummary }>;
  update(
    params: RepoParams & { pull_number: number; body?: string; title?: string; state?: 'open' | 'closed' },
  ): Promise<{ data: PullRequestSummary }>;
  get(params: RepoParams & { pull_number: number }): Promise<{ data: PullRequestState }>;
}

export interface PullRequestState {
  number: number;
  state: string;
  merged?: boolean | null;
  merged_at?: string | null;
  head?: { sha: string; repo: { full_name: string } | null };
  base?: { sha: string; ref: string; repo: { full_name: string; default_branch: string } };
}

export interface IssueComment {
  id: number;
  body?: string;
  user: { login: string; type: string } | null;
}

export interface IssuesApi {
  createComment(params: RepoParams & { issue_number: number; body: string }): Promise<{ data: IssueComment }>;
  updateComment(params: RepoParams & { comment_id: number; body: string }): Promise<{ data: IssueComment }>;
  listComments(
    params: RepoParams & { issue_number: number; per_page?: number; page?: number },
  ): Promise<{ data: IssueComment[] }>;
}

export type ReactionContent = '+1' | '-1' | 'laugh' | 'confused' | 'heart' | 'hooray' | 'rocket' | 'eyes';

export interface ReactionsApi {
  createForIssueComment(
    params: RepoParams & { comment_id: number; content: ReactionContent },
  ): Promise<{ status: number; data: { id: number } }>;
}

export type CheckRunStatus = 'queued' | 'in_progress' | 'completed';
export type CheckRunConclusion =
  | 'action_required'
  | 'cancelled'
  | 'failure'
  | 'neutral'
  | 'success'
  | 'skipped'
  | 'timed_out';

export type CheckRunFields = {
  name?: string;
  status?: CheckRunStatus;
  conclusion?: CheckRunConclusion;
  completed_at?: string;
  details_url?: string;
  external_id?: string;
  output?: { title: string; summary: string; text?: string };
};

export interface ChecksApi {
  create(params: RepoParams & CheckRunFields & { name: string; head_sha: string }): Promise<{ data: { id: number } }>;
  update(params: RepoParams & CheckRunFields & { check_run_id: number }): Promise<{ data: { id: number } }>;
  listForRef(
    params: RepoParams & { ref: string; check_name?: string; filter?: 'latest' | 'all'; per_page?: number },
  ): Promise<{
    data: { check_runs: Array<{ id: number; external_id: string | null; status: string; conclusion: string | null }> };
  }>;
}
