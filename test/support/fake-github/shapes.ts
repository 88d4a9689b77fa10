/** Response bodies in GitHub's shapes, built from the fake's state. */
import type { CommitObject, Signature } from './git-objects.js';
import type { FileDiff } from './diffs.js';
import type { AppIdentity, CheckRun, Comment, CommitStatus, FakeState, Issue, Reaction, Repo, User } from './state.js';

export interface Urls {
  /** `http://127.0.0.1:PORT` — plays github.com */
  web: string;
  /** `http://127.0.0.1:PORT/api/v3` — plays api.github.com */
  api: string;
}

function nodeId(kind: string, id: number | string): string {
  return Buffer.from(`${kind}:${id}`).toString('base64');
}

export function userShape(urls: Urls, user: User): Record<string, unknown> {
  const api = `${urls.api}/users/${encodeURIComponent(user.login)}`;
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId(user.type, user.id),
    avatar_url: `${urls.web}/avatars/u/${user.id}?v=4`,
    gravatar_id: '',
    url: api,
    html_url: user.type === 'Bot' ? `${urls.web}/apps/${user.login.replace(/\[bot\]$/, '')}` : `${urls.web}/${user.login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: user.type,
    user_view_type: 'public',
    site_admin: false,
  };
}

export function repoShape(urls: Urls, state: FakeState, repo: Repo): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  const openIssues = [...repo.issues.values()].filter((issue) => issue.state === 'open').length;
  return {
    id: repo.id,
    node_id: nodeId('Repository', repo.id),
    name: repo.name,
    full_name: repo.fullName,
    private: repo.private,
    owner: userShape(urls, state.user(repo.owner)),
    html_url: `${urls.web}/${repo.fullName}`,
    description: null,
    fork: false,
    url: api,
    forks_url: `${api}/forks`,
    keys_url: `${api}/keys{/key_id}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    teams_url: `${api}/teams`,
    hooks_url: `${api}/hooks`,
    issue_events_url: `${api}/issues/events{/number}`,
    events_url: `${api}/events`,
    assignees_url: `${api}/assignees{/user}`,
    branches_url: `${api}/branches{/branch}`,
    tags_url: `${api}/tags`,
    blobs_url: `${api}/git/blobs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    trees_url: `${api}/git/trees{/sha}`,
    statuses_url: `${api}/statuses/{sha}`,
    languages_url: `${api}/languages`,
    stargazers_url: `${api}/stargazers`,
    contributors_url: `${api}/contributors`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    commits_url: `${api}/commits{/sha}`,
    git_commits_url: `${api}/git/commits{/sha}`,
    comments_url: `${api}/comments{/number}`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    contents_url: `${api}/contents/{+path}`,
    compare_url: `${api}/compare/{base}...{head}`,
    merges_url: `${api}/merges`,
    archive_url: `${api}/{archive_format}{/ref}`,
    downloads_url: `${api}/downloads`,
    issues_url: `${api}/issues{/number}`,
    pulls_url: `${api}/pulls{/number}`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    labels_url: `${api}/labels{/name}`,
    releases_url: `${api}/releases{/id}`,
    deployments_url: `${api}/deployments`,
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
    pushed_at: repo.createdAt,
    git_url: `git://${new URL(urls.web).host}/${repo.fullName}.git`,
    ssh_url: `git@${new URL(urls.web).hostname}:${repo.fullName}.git`,
    clone_url: `${urls.web}/${repo.fullName}.git`,
    svn_url: `${urls.web}/${repo.fullName}`,
    homepage: null,
    size: 1,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: true,
    has_projects: false,
    has_downloads: true,
    has_wiki: false,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: openIssues,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: repo.private ? 'private' : 'public',
    forks: 0,
    open_issues: openIssues,
    watchers: 0,
    default_branch: repo.defaultBranch,
  };
}

function signatureShape(signature: Signature): Record<string, unknown> {
  return { name: signature.name, email: signature.email, date: signature.date };
}

export function verificationShape(commit: CommitObject): Record<string, unknown> {
  return commit.verified
    ? { verified: true, reason: 'valid', signature: '-----BEGIN PGP SIGNATURE-----\n\nfake\n-----END PGP SIGNATURE-----\n', payload: 'tree', verified_at: commit.committer.date }
    : { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null };
}

/** `GET /repos/:o/:r/git/commits/:sha` */
export function gitCommitShape(urls: Urls, repo: Repo, sha: string, commit: CommitObject): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    sha,
    node_id: nodeId('Commit', sha),
    url: `${api}/git/commits/${sha}`,
    html_url: `${urls.web}/${repo.fullName}/commit/${sha}`,
    author: signatureShape(commit.author),
    committer: signatureShape(commit.committer),
    tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
    message: commit.message,
    parents: commit.parents.map((parent) => ({
      sha: parent,
      url: `${api}/git/commits/${parent}`,
      html_url: `${urls.web}/${repo.fullName}/commit/${parent}`,
    })),
    verification: verificationShape(commit),
  };
}

export function fileDiffShape(urls: Urls, repo: Repo, ref: string, file: FileDiff): Record<string, unknown> {
  const path = file.path.split('/').map(encodeURIComponent).join('/');
  return {
    sha: file.sha,
    filename: file.path,
    status: file.status,
    additions: file.additions,
    deletions: file.deletions,
    changes: file.additions + file.deletions,
    blob_url: `${urls.web}/${repo.fullName}/blob/${ref}/${path}`,
    raw_url: `${urls.web}/${repo.fullName}/raw/${ref}/${path}`,
    contents_url: `${urls.api}/repos/${repo.fullName}/contents/${path}?ref=${ref}`,
    ...(file.patch === undefined ? {} : { patch: file.patch }),
  };
}

/** `GET /repos/:o/:r/commits/:ref` (with `files` when given). */
export function repoCommitShape(
  urls: Urls,
  state: FakeState,
  repo: Repo,
  sha: string,
  commit: CommitObject,
  files?: FileDiff[],
): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  const loginOf = (signature: Signature) =>
    signature.email.match(/^\d+\+(.+)@users\.noreply\./)?.[1] ?? signature.name;
  const known = (signature: Signature) => {
    const login = loginOf(signature);
    return state.knowsUser(login) ? userShape(urls, state.user(login)) : null;
  };
  const body: Record<string, unknown> = {
    sha,
    node_id: nodeId('Commit', sha),
    commit: {
      author: signatureShape(commit.author),
      committer: signatureShape(commit.committer),
      message: commit.message,
      tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
      url: `${api}/git/commits/${sha}`,
      comment_count: 0,
      verification: verificationShape(commit),
    },
    url: `${api}/commits/${sha}`,
    html_url: `${urls.web}/${repo.fullName}/commit/${sha}`,
    comments_url: `${api}/commits/${sha}/comments`,
    author: known(commit.author),
    committer: known(commit.committer),
    parents: commit.parents.map((parent) => ({
      sha: parent,
      url: `${api}/commits/${parent}`,
      html_url: `${urls.web}/${repo.fullName}/commit/${parent}`,
    })),
  };
  if (files) {
    const additions = files.reduce((sum, file) => sum + file.additions, 0);
    const deletions = files.reduce((sum, file) => sum + file.deletions, 0);
    body.stats = { total: additions + deletions, additions, deletions };
    body.files = files.map((file) => fileDiffShape(urls, repo, sha, file));
  }
  return body;
}

export function reactionSummary(urls: Urls, url: string, reactions: Reaction[]): Record<string, unknown> {
  const count = (content: string) => reactions.filter((reaction) => reaction.content === content).length;
  return {
    url: `${url}/reactions`,
    total_count: reactions.length,
    '+1': count('+1'),
    '-1': count('-1'),
    laugh: count('laugh'),
    hooray: count('hooray'),
    confused: count('confused'),
    heart: count('heart'),
    rocket: count('rocket'),
    eyes: count('eyes'),
  };
}

export function authorAssociation(repo: Repo, user: User): string {
  if (user.type === 'Bot') return 'NONE';
  if (user.login.toLowerCase() === repo.owner.toLowerCase()) return 'OWNER';
  const role = repo.roles.get(user.login.toLowerCase());
  if (role && role !== 'none' && role !== 'read') return 'COLLABORATOR';
  return 'NONE';
}

export function commentShape(urls: Urls, state: FakeState, comment: Comment): Record<string, unknown> {
  const api = `${urls.api}/repos/${comment.repo.fullName}`;
  const url = `${api}/issues/comments/${comment.id}`;
  const issue = comment.repo.issues.get(comment.issueNumber);
  const kind = issue?.pull ? 'pull' : 'issues';
  return {
    url,
    html_url: `${urls.web}/${comment.repo.fullName}/${kind}/${comment.issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${api}/issues/${comment.issueNumber}`,
    id: comment.id,
    node_id: nodeId('IssueComment', comment.id),
    user: userShape(urls, comment.user),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    author_association: authorAssociation(comment.repo, comment.user),
    body: comment.body,
    reactions: reactionSummary(
      urls,
      url,
      state.reactions.filter((reaction) => reaction.commentId === comment.id),
    ),
    performed_via_github_app: comment.user.id === state.app.bot.id ? appShape(urls, state.app) : null,
  };
}

export function reactionShape(urls: Urls, reaction: Reaction): Record<string, unknown> {
  return {
    id: reaction.id,
    node_id: nodeId('Reaction', reaction.id),
    user: userShape(urls, reaction.user),
    content: reaction.content,
    created_at: reaction.createdAt,
  };
}

export const APP_PERMISSIONS = {
  checks: 'write',
  contents: 'write',
  issues: 'write',
  metadata: 'read',
  pull_requests: 'write',
  statuses: 'read',
} as const;

export const APP_EVENTS = ['issue_comment', 'pull_request', 'check_run'];

export function appShape(urls: Urls, app: AppIdentity): Record<string, unknown> {
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId('App', app.id),
    client_id: `Iv1.${app.id.toString(16).padStart(16, '0')}`,
    owner: userShape(urls, app.owner),
    name: app.name,
    description: '',
    external_url: urls.web,
    html_url: `${urls.web}/apps/${app.slug}`,
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
    permissions: APP_PERMISSIONS,
    events: APP_EVENTS,
    installations_count: 1,
  };
}

export function installationShape(urls: Urls, state: FakeState, account: User): Record<string, unknown> {
  const app = state.app;
  return {
    id: app.installationId,
    account: userShape(urls, account),
    repository_selection: 'all',
    access_tokens_url: `${urls.api}/app/installations/${app.installationId}/access_tokens`,
    repositories_url: `${urls.api}/installation/repositories`,
    html_url: `${urls.web}/organizations/${account.login}/settings/installations/${app.installationId}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: account.id,
    target_type: account.type === 'Organization' ? 'Organization' : 'User',
    permissions: APP_PERMISSIONS,
    events: APP_EVENTS,
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: null,
  };
}

/** Issue fields shared by issues and pull requests. */
export function issueShape(urls: Urls, state: FakeState, repo: Repo, issue: Issue): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}`;
  const url = `${api}/issues/${issue.number}`;
  const comments = [...state.comments.values()].filter(
    (comment) => comment.repo === repo && comment.issueNumber === issue.number,
  ).length;
  const body: Record<string, unknown> = {
    url,
    repository_url: api,
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${urls.web}/${repo.fullName}/${issue.pull ? 'pull' : 'issues'}/${issue.number}`,
    id: issue.id,
    node_id: nodeId(issue.pull ? 'PullRequest' : 'Issue', issue.id),
    number: issue.number,
    title: issue.title,
    user: userShape(urls, issue.user),
    labels: [],
    state: issue.state,
    locked: false,
    assignee: null,
    assignees: [],
    milestone: null,
    comments,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_at: issue.closedAt,
    author_association: authorAssociation(repo, issue.user),
    active_lock_reason: null,
    body: issue.body,
    reactions: reactionSummary(urls, url, []),
    state_reason: issue.state === 'closed' ? 'completed' : null,
  };
  if (issue.pull) {
    body.draft = issue.pull.draft;
    body.pull_request = {
      url: `${api}/pulls/${issue.number}`,
      html_url: `${urls.web}/${repo.fullName}/pull/${issue.number}`,
      diff_url: `${urls.web}/${repo.fullName}/pull/${issue.number}.diff`,
      patch_url: `${urls.web}/${repo.fullName}/pull/${issue.number}.patch`,
      merged_at: issue.pull.mergedAt,
    };
  }
  return body;
}

export function checkRunShape(urls: Urls, state: FakeState, run: CheckRun): Record<string, unknown> {
  const api = `${urls.api}/repos/${run.repo.fullName}`;
  return {
    id: run.id,
    head_sha: run.headSha,
    node_id: nodeId('CheckRun', run.id),
    external_id: run.externalId ?? '',
    url: `${api}/check-runs/${run.id}`,
    html_url: `${urls.web}/${run.repo.fullName}/runs/${run.id}`,
    details_url: run.detailsUrl ?? `${urls.web}/${run.repo.fullName}/runs/${run.id}`,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: 0,
      annotations_url: `${api}/check-runs/${run.id}/annotations`,
    },
    name: run.name,
    check_suite: { id: run.suiteId },
    app: run.appSlug === state.app.slug ? appShape(urls, state.app) : { id: 1, slug: run.appSlug, name: run.appSlug },
    pull_requests: [],
  };
}

export function statusShape(urls: Urls, repo: Repo, sha: string, status: CommitStatus): Record<string, unknown> {
  return {
    url: `${urls.api}/repos/${repo.fullName}/statuses/${sha}`,
    avatar_url: null,
    id: status.id,
    node_id: nodeId('StatusContext', status.id),
    state: status.state,
    description: status.description,
    target_url: status.targetUrl,
    context: status.context,
    created_at: status.createdAt,
    updated_at: status.updatedAt,
    creator: userShape(urls, status.creator),
  };
}
