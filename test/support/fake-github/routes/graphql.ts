/**
 * `POST /graphql` (and `/api/graphql`, where GitHub Enterprise Server answers it): the part of
 * GitHub's GraphQL API the app uses. `createCommitOnBranch` makes one verified commit with
 * compare-and-swap on `expectedHeadOid` (STALE_DATA when the branch is elsewhere), running the
 * same ref-update hooks as `PATCH /git/refs`; `repository` reads refs, commits (with their
 * parents), trees and blobs, and `object(expression:)` follows git's revision syntax.
 * Queries are recorded as reads, mutations as writes.
 */
import {
  execute,
  GraphqlFieldError,
  GraphqlRequestError,
  prepare,
  type GraphqlObject,
  type Schema,
} from '../graphql.js';
import { bodyObject, route, type RequestContext, type Route, type RouteResult } from '../http.js';
import { applyTreeEdits, BRANCH_PREFIX, resolveCommitish, writeCommit, type TreeEdit } from '../repo-ops.js';
import type { CheckRun, Repo, User } from '../state.js';
import { actingUser } from './common.js';
import { combinedState, latestStatuses } from './statuses.js';

/** A field's arguments, as the query gave them. */
type Args = Record<string, unknown>;

const STRING = 'String';
const SCHEMA: Schema = {
  // enums answer as their value's name, like scalars
  scalars: new Set(['String', 'Int', 'Boolean', 'ID', 'GitObjectID', 'URI', 'GitTimestamp', 'DateTime', 'StatusState', 'CheckStatusState', 'CheckConclusionState']),
  objects: {
    Query: { repository: 'Repository', viewer: 'User!' },
    Mutation: { createCommitOnBranch: 'CreateCommitOnBranchPayload' },
    CreateCommitOnBranchPayload: { clientMutationId: STRING, commit: 'Commit', ref: 'Ref' },
    User: { id: 'ID!', login: 'String!' },
    Repository: { id: 'ID!', name: 'String!', nameWithOwner: 'String!', url: 'URI!', defaultBranchRef: 'Ref', ref: 'Ref', object: 'GitObject' },
    Ref: { id: 'ID!', name: 'String!', prefix: 'String!', target: 'GitObject' },
    GitActor: { name: STRING, email: STRING, date: 'GitTimestamp' },
    Commit: {
      id: 'ID!',
      oid: 'GitObjectID!',
      abbreviatedOid: 'String!',
      url: 'URI!',
      message: 'String!',
      messageHeadline: 'String!',
      messageBody: 'String!',
      committedDate: 'DateTime!',
      author: 'GitActor',
      committer: 'GitActor',
      tree: 'Tree!',
      file: 'TreeEntry',
      parents: 'CommitConnection!',
      history: 'CommitHistoryConnection!',
      status: 'Status',
      checkSuites: 'CheckSuiteConnection',
    },
    CommitConnection: { totalCount: 'Int!', nodes: '[Commit]' },
    CommitHistoryConnection: { totalCount: 'Int!', nodes: '[Commit]' },
    Status: { id: 'ID!', state: 'StatusState!', contexts: '[StatusContext!]!' },
    StatusContext: { id: 'ID!', context: 'String!', state: 'StatusState!', description: STRING, targetUrl: 'URI' },
    CheckSuiteConnection: { totalCount: 'Int!', nodes: '[CheckSuite]' },
    CheckSuite: { id: 'ID!', checkRuns: 'CheckRunConnection' },
    CheckRunConnection: { totalCount: 'Int!', nodes: '[CheckRun]' },
    CheckRun: { id: 'ID!', databaseId: 'Int', name: 'String!', status: 'CheckStatusState!', conclusion: 'CheckConclusionState' },
    Tree: { id: 'ID!', oid: 'GitObjectID!', abbreviatedOid: 'String!', entries: '[TreeEntry!]' },
    TreeEntry: { name: 'String!', path: STRING, oid: 'GitObjectID!', mode: 'Int!', type: 'String!', object: 'GitObject' },
    Blob: { id: 'ID!', oid: 'GitObjectID!', abbreviatedOid: 'String!', text: STRING, byteSize: 'Int!', isBinary: 'Boolean', isTruncated: 'Boolean!' },
  },
  interfaces: {
    GitObject: { fields: { id: 'ID!', oid: 'GitObjectID!', abbreviatedOid: 'String!' }, possibleTypes: ['Commit', 'Tree', 'Blob'] },
  },
};

/** Blob.text is cut beyond this many bytes (`isTruncated`); a client then reads the blob another way. */
export const BLOB_TEXT_LIMIT = 512 * 1024;
/** RFC 4648 base64 with its padding, as `FileAddition.contents` must be. */
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function nodeId(kind: string, id: string | number): string {
  return Buffer.from(`${kind}:${id}`).toString('base64');
}

class Graph {
  constructor(private readonly ctx: RequestContext) {}

  root(operation: 'query' | 'mutation'): GraphqlObject {
    if (operation === 'mutation') {
      return { __typename: 'Mutation', createCommitOnBranch: ({ input }: Args) => this.createCommitOnBranch(input) };
    }
    return {
      __typename: 'Query',
      repository: ({ owner, name }: Args) => this.repository(this.findRepo(`${String(owner)}/${String(name)}`)),
      viewer: () => ({ __typename: 'User', id: nodeId('User', this.actor().id), login: this.actor().login }),
    };
  }

  private actor(): User {
    return actingUser(this.ctx);
  }

  private findRepo(fullName: string): Repo {
    const repo = this.ctx.state.repo(fullName);
    if (!repo) throw new GraphqlFieldError('NOT_FOUND', `Could not resolve to a Repository with the name '${fullName}'.`);
    return repo;
  }

  private repository(repo: Repo): GraphqlObject {
    return {
      __typename: 'Repository',
      id: nodeId('Repository', repo.id),
      name: repo.name,
      nameWithOwner: repo.fullName,
      url: `${this.ctx.webUrl}/${repo.fullName}`,
      defaultBranchRef: () => this.ref(repo, BRANCH_PREFIX + repo.defaultBranch),
      ref: ({ qualifiedName }: Args) => {
        const name = String(qualifiedName);
        return this.ref(repo, name.startsWith('refs/') ? name : BRANCH_PREFIX + name);
      },
      object: ({ oid, expression }: Args) => {
        if (typeof oid === 'string') return this.gitObject(repo, oid.toLowerCase(), '');
        if (typeof expression !== 'string') return null;
        const [revision, path] = expression.includes(':') ? [expression.slice(0, expression.indexOf(':')), expression.slice(expression.indexOf(':') + 1)] : [expression, undefined];
        const commit = resolveRevision(repo, revision);
        if (!commit) return null;
        return path === undefined ? this.gitObject(repo, commit, '') : this.entryAt(repo, commit, path)?.object ?? null;
      },
    };
  }

  /** Null for a ref that does not exist, as GitHub answers `ref(qualifiedName:)`. */
  private ref(repo: Repo, qualifiedName: string): GraphqlObject | null {
    const sha = repo.refs.get(qualifiedName);
    if (!sha) return null;
    const prefix = qualifiedName.startsWith(BRANCH_PREFIX) ? BRANCH_PREFIX : qualifiedName.replace(/[^/]+$/, '');
    return {
      __typename: 'Ref',
      id: nodeId(`Ref:${repo.id}`, qualifiedName),
      name: qualifiedName.slice(prefix.length),
      prefix,
      target: () => this.gitObject(repo, sha, ''),
    };
  }

  private gitObject(repo: Repo, sha: string, path: string): GraphqlObject | null {
    switch (repo.objects.typeOf(sha)) {
      case 'commit':
        return this.commit(repo, sha);
      case 'tree':
        return this.tree(repo, sha, path);
      case 'blob':
        return this.blob(repo, sha);
      default:
        return null;
    }
  }

  private commit(repo: Repo, sha: string): GraphqlObject {
    const commit = repo.objects.getCommit(sha)!;
    const [headline, ...rest] = commit.message.split('\n');
    const actor = (who: { name: string; email: string; date: string }) => ({ __typename: 'GitActor', ...who });
    return {
      __typename: 'Commit',
      id: nodeId('Commit', sha),
      oid: sha,
      abbreviatedOid: sha.slice(0, 7),
      url: `${this.ctx.webUrl}/${repo.fullName}/commit/${sha}`,
      message: commit.message,
      messageHeadline: headline,
      messageBody: rest.join('\n').replace(/^\n+/, ''),
      committedDate: commit.committer.date,
      author: actor(commit.author),
      committer: actor(commit.committer),
      tree: () => this.tree(repo, commit.tree, ''),
      file: ({ path }: Args) => this.entryAt(repo, sha, String(path))?.entry ?? null,
      parents: ({ first }: Args) => ({
        __typename: 'CommitConnection',
        totalCount: commit.parents.length,
        nodes: commit.parents.slice(0, typeof first === 'number' ? first : 100).map((parent) => this.commit(repo, parent)),
      }),
      history: ({ first }: Args) => {
        const shas = history(repo, sha, pageSize(first, 'history'));
        return { __typename: 'CommitHistoryConnection', totalCount: history(repo, sha, Number.MAX_SAFE_INTEGER).length, nodes: shas.map((each) => this.commit(repo, each)) };
      },
      status: () => this.status(repo, sha),
      checkSuites: ({ first }: Args) => this.checkSuites(repo, sha, pageSize(first, 'checkSuites')),
    };
  }

  /** The combined status: the latest status of each context; null when the commit has none, as on GitHub. */
  private status(repo: Repo, sha: string): GraphqlObject | null {
    const statuses = repo.statuses.get(sha) ?? [];
    if (statuses.length === 0) return null;
    return {
      __typename: 'Status',
      id: nodeId('Status', sha),
      state: combinedState(statuses).toUpperCase(),
      contexts: latestStatuses(statuses).map((status) => ({
        __typename: 'StatusContext',
        id: nodeId('StatusContext', status.id),
        context: status.context,
        state: status.state.toUpperCase(),
        description: status.description,
        targetUrl: status.targetUrl,
      })),
    };
  }

  /** The commit's check runs, grouped by their suite, oldest suite first. */
  private checkSuites(repo: Repo, sha: string, first: number): GraphqlObject {
    const suites = new Map<number, CheckRun[]>();
    for (const run of this.ctx.state.checkRuns.values()) {
      if (run.repo !== repo || run.headSha !== sha) continue;
      suites.set(run.suiteId, [...(suites.get(run.suiteId) ?? []), run]);
    }
    const nodes = [...suites].sort(([a], [b]) => a - b).slice(0, first).map(([suiteId, runs]) => ({
      __typename: 'CheckSuite',
      id: nodeId('CheckSuite', suiteId),
      checkRuns: ({ first: runsFirst }: Args) => ({
        __typename: 'CheckRunConnection',
        totalCount: runs.length,
        nodes: runs.slice(0, pageSize(runsFirst, 'checkRuns')).map((run) => ({
          __typename: 'CheckRun',
          id: nodeId('CheckRun', run.id),
          databaseId: run.id,
          name: run.name,
          status: run.status.toUpperCase(),
          conclusion: run.conclusion ? run.conclusion.toUpperCase() : null,
        })),
      }),
    }));
    return { __typename: 'CheckSuiteConnection', totalCount: suites.size, nodes };
  }

  private tree(repo: Repo, sha: string, path: string): GraphqlObject {
    return {
      __typename: 'Tree',
      id: nodeId('Tree', sha),
      oid: sha,
      abbreviatedOid: sha.slice(0, 7),
      entries: () =>
        (repo.objects.getTree(sha) ?? []).map((entry) => this.entry(repo, entry, path ? `${path}/${entry.name}` : entry.name)),
    };
  }

  private entry(repo: Repo, entry: { name: string; mode: string; type: string; sha: string }, path: string): GraphqlObject {
    return {
      __typename: 'TreeEntry',
      name: entry.name,
      path,
      oid: entry.sha,
      mode: parseInt(entry.mode, 8),
      type: entry.type,
      object: () => this.gitObject(repo, entry.sha, path),
    };
  }

  /** The tree entry at `path` in a commit, walking its trees. */
  private entryAt(repo: Repo, commitSha: string, path: string): { entry: GraphqlObject; object: GraphqlObject | null } | undefined {
    let treeSha: string | undefined = repo.objects.getCommit(commitSha)?.tree;
    const parts = path.split('/').filter(Boolean);
    for (const [index, part] of parts.entries()) {
      const found = (treeSha ? repo.objects.getTree(treeSha) : undefined)?.find((entry) => entry.name === part);
      if (!found) return undefined;
      if (index === parts.length - 1) {
        const full = parts.join('/');
        return { entry: this.entry(repo, found, full), object: this.gitObject(repo, found.sha, full) };
      }
      treeSha = found.type === 'tree' ? found.sha : undefined;
    }
    return undefined;
  }

  private blob(repo: Repo, sha: string): GraphqlObject {
    const content = repo.objects.getBlob(sha)!;
    const isBinary = content.includes(0);
    const isTruncated = !isBinary && content.length > BLOB_TEXT_LIMIT;
    return {
      __typename: 'Blob',
      id: nodeId('Blob', sha),
      oid: sha,
      abbreviatedOid: sha.slice(0, 7),
      text: isBinary ? null : content.subarray(0, BLOB_TEXT_LIMIT).toString('utf8'),
      byteSize: content.length,
      isBinary,
      isTruncated,
    };
  }

  private async createCommitOnBranch(input: unknown): Promise<GraphqlObject> {
    const author = this.actor();
    const fields = inputObject(input, 'input');
    const branchInput = inputObject(fields.branch, 'branch');
    const message = inputObject(fields.message, 'message');
    const headline = requiredString(message.headline, 'headline');
    const body = optionalString(message.body, 'body');
    const expectedHeadOid = requiredString(fields.expectedHeadOid, 'expectedHeadOid').toLowerCase();
    const changes = fields.fileChanges === undefined || fields.fileChanges === null ? {} : inputObject(fields.fileChanges, 'fileChanges');
    const additions = inputList(changes.additions, 'additions').map((entry) => inputObject(entry, 'additions'));
    const deletions = inputList(changes.deletions, 'deletions').map((entry) => inputObject(entry, 'deletions'));

    const { repo, refName } = this.committableBranch(branchInput);
    const paths = [...additions, ...deletions].map((entry) => requiredString(entry.path, 'path'));
    if (new Set(paths).size !== paths.length) {
      throw new GraphqlFieldError('UNPROCESSABLE', 'path values must be unique across all additions and deletions');
    }
    const stale = () => new GraphqlFieldError('STALE_DATA', `Expected branch to point to "${expectedHeadOid}" but it did not.  Pull and try again.`);
    const base = repo.objects.getCommit(expectedHeadOid);
    if (!base) throw stale();
    const edits: TreeEdit[] = additions.map((addition) => {
      const path = String(addition.path);
      const contents = requiredString(addition.contents, 'contents');
      if (!STRICT_BASE64.test(contents)) throw new GraphqlFieldError('UNPROCESSABLE', `The contents of ${path} are not valid base64 (RFC 4648, with padding)`);
      return { path, mode: '100644', type: 'blob', sha: repo.objects.putBlob(Buffer.from(contents, 'base64')) };
    });
    const existing = repo.objects.flatten(base.tree);
    for (const deletion of deletions) {
      const path = String(deletion.path);
      if (!existing.has(path)) {
        throw new GraphqlFieldError('UNPROCESSABLE', `A path was requested for deletion which does not exist as of commit oid \`${expectedHeadOid}\``);
      }
      edits.push({ path, mode: '100644', type: 'blob', sha: null });
    }
    let tree: string;
    try {
      tree = applyTreeEdits(repo.objects, base.tree, edits);
    } catch (error) {
      throw new GraphqlFieldError('UNPROCESSABLE', (error as Error).message);
    }
    const sha = writeCommit(this.ctx.state, repo, {
      tree,
      parents: [expectedHeadOid],
      message: body ? `${headline}\n\n${body}` : headline,
      author,
      // commits made with this mutation are signed by GitHub, for people and apps alike
      verified: true,
    });
    for (const hook of [...this.ctx.state.refUpdateHooks]) {
      await hook({ repo: repo.fullName, ref: refName, branch: refName.slice(BRANCH_PREFIX.length), currentSha: repo.refs.get(refName)!, newSha: sha, force: false });
    }
    // read the head only now: a hook may have moved it, exactly like a concurrent push would
    if (repo.refs.get(refName) !== expectedHeadOid) throw stale();
    repo.refs.set(refName, sha);
    return {
      __typename: 'CreateCommitOnBranchPayload',
      clientMutationId: optionalString(fields.clientMutationId, 'clientMutationId') ?? null,
      commit: this.commit(repo, sha),
      ref: this.ref(repo, refName),
    };
  }

  /** A branch by `repositoryNameWithOwner` and `branchName` (with or without `refs/heads/`), or by the ref's node id. */
  private committableBranch(branch: Record<string, unknown>): { repo: Repo; refName: string } {
    let repo: Repo | undefined;
    let refName: string;
    if (typeof branch.id === 'string') {
      const [kind, repoId, ...name] = Buffer.from(branch.id, 'base64').toString('utf8').split(':');
      repo = kind === 'Ref' ? [...this.ctx.state.repos.values()].find((candidate) => String(candidate.id) === repoId) : undefined;
      if (!repo) throw new GraphqlFieldError('NOT_FOUND', `Could not resolve to a node with the global id of '${branch.id}'`);
      refName = name.join(':');
    } else {
      repo = this.findRepo(requiredString(branch.repositoryNameWithOwner, 'repositoryNameWithOwner'));
      const name = requiredString(branch.branchName, 'branchName');
      refName = name.startsWith(BRANCH_PREFIX) ? name : BRANCH_PREFIX + name;
    }
    if (!refName.startsWith(BRANCH_PREFIX)) throw new GraphqlFieldError('UNPROCESSABLE', `${refName} is not a branch`);
    if (!repo.refs.has(refName)) throw new GraphqlFieldError('NOT_FOUND', `Could not resolve to a Ref with the name '${refName}'.`);
    return { repo, refName };
  }
}

/**
 * A revision as git's rev-parse reads it, as far as the app uses it: a ref or commit followed by
 * `^`, `^N` (the Nth parent; `^0` the commit itself) and `~N` (N first parents back). Undefined
 * when any step leads nowhere (a root commit has no `^`).
 */
function resolveRevision(repo: Repo, revision: string): string | undefined {
  const match = /^(.*?)((?:\^\d*|~\d*)*)$/.exec(revision);
  if (!match || match[1] === '') return undefined;
  let sha = resolveCommitish(repo, match[1]);
  for (const step of match[2].match(/\^\d*|~\d*/g) ?? []) {
    if (!sha) return undefined;
    const count = step.length > 1 ? Number(step.slice(1)) : 1;
    if (step.startsWith('^')) {
      sha = count === 0 ? sha : repo.objects.getCommit(sha)?.parents[count - 1];
    } else {
      for (let i = 0; i < count && sha; i++) sha = repo.objects.getCommit(sha)?.parents[0];
    }
  }
  return sha;
}

/**
 * `Commit.history`: the commit and its ancestors in `git log`'s default order, newest commit date
 * first (every parent followed, not only the first), each once.
 */
function history(repo: Repo, start: string, limit: number): string[] {
  const found: string[] = [];
  const seen = new Set([start]);
  const queue = [start];
  const dateOf = (sha: string) => Date.parse(repo.objects.getCommit(sha)?.committer.date ?? '') || 0;
  while (queue.length > 0 && found.length < limit) {
    queue.sort((a, b) => dateOf(b) - dateOf(a));
    const sha = queue.shift()!;
    found.push(sha);
    for (const parent of repo.objects.getCommit(sha)?.parents ?? []) {
      if (!seen.has(parent)) {
        seen.add(parent);
        queue.push(parent);
      }
    }
  }
  return found;
}

/** A connection's `first`, which GitHub requires and caps at 100. */
function pageSize(first: unknown, field: string): number {
  if (typeof first !== 'number' || !Number.isInteger(first) || first < 0 || first > 100) {
    throw new GraphqlFieldError('INVALID_ARGUMENTS', `Requesting ${String(first)} records on the \`${field}\` connection is not supported: \`first\` must be from 0 to 100.`);
  }
  return first;
}

/** Input that does not fit the input type is refused before anything runs, like GitHub's coercion. */
function invalidInput(field: string, explanation: string): GraphqlRequestError {
  return new GraphqlRequestError([{ message: `Argument 'input' on Field 'createCommitOnBranch' has an invalid value for ${field} (${explanation})` }]);
}

function inputObject(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined || value === null) throw invalidInput(field, 'Expected value to not be null');
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidInput(field, 'Expected an input object');
  return value as Record<string, unknown>;
}

function inputList(value: unknown, field: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidInput(field, 'Expected a list');
  return value;
}

function requiredString(value: unknown, field: string): string {
  if (value === undefined || value === null) throw invalidInput(field, 'Expected value to not be null');
  if (typeof value !== 'string') throw invalidInput(field, `Could not coerce value ${JSON.stringify(value)} to String`);
  return value;
}

function optionalString(value: unknown, field: string): string | undefined {
  return value === undefined || value === null ? undefined : requiredString(value, field);
}

async function handle(ctx: RequestContext): Promise<RouteResult> {
  try {
    const { operation, variables } = prepare(SCHEMA, bodyObject(ctx));
    const recordAs = operation.operation === 'query' ? 'read' : 'write';
    try {
      const result = await execute(SCHEMA, operation, variables, new Graph(ctx).root(operation.operation));
      return { status: 200, body: result, recordAs };
    } catch (error) {
      if (error instanceof GraphqlRequestError) return { status: 200, body: { errors: error.errors }, recordAs };
      throw error;
    }
  } catch (error) {
    if (error instanceof GraphqlRequestError) return { status: 200, body: { errors: error.errors } };
    throw error;
  }
}

export const graphqlRoutes: Route[] = [route('POST', '/graphql', handle), route('POST', '/api/graphql', handle)];
