/**
 * A repository at one commit, read with GraphQL: every file and folder asked for, and the same
 * files at the commit's first parent, in ONE query of aliased `object(expression: "<rev>:<path>")`
 * fields. Folders are listed with their files' contents in that query too. A path nobody asked for
 * costs one more query when first read; a blob too large (or binary) for GraphQL's `text` is read
 * through the blob API. Implements RepoFiles for checks and templates.
 */
import { RepoReadError, type RepoFiles } from '../../repo/files.js';
import { githubMessage, requestStatus } from './errors.js';
import type { RevisionCache } from './revision-cache.js';
import { decode } from './files.js';

export interface SnapshotOctokit {
  graphql(query: string, parameters?: Record<string, unknown>): Promise<unknown>;
  request(route: string, params: Record<string, unknown>): Promise<{ data: unknown }>;
}

export interface SnapshotWants {
  /** Files at the commit. */
  files?: readonly string[];
  /** Files at the commit's first parent (the other side of a merge). */
  parentFiles?: readonly string[];
  /** Files or folders at the commit, listed with every file under them. */
  folders?: readonly string[];
  /**
   * This many commits of history from the commit, newest first, with the names of the commit
   * statuses and check runs reported on them; read in the same query (only by `read`).
   */
  recentChecks?: number;
}

/** Commit statuses and check runs reported on recent commits: which names a notification posts. */
export interface RecentChecks {
  /** Commits looked at. */
  commits: number;
  /** Each status context or check run name once, sorted. */
  names: string[];
}

/** A file's blob id and its text; text null when GraphQL would not give it (too large, binary). */
interface FileEntry {
  oid: string;
  text: string | null;
}

/** Levels of a folder listed in the one query; deeper folders are listed by further queries. */
const TREE_DEPTH = 4;
/** Further queries for folders deeper than TREE_DEPTH, at most. */
const MAX_DEEPER_QUERIES = 10;

const BLOB_FIELDS = '... on Blob { oid text isTruncated }';

function entriesSelection(depth: number): string {
  const deeper = depth > 1 ? ` ... on Tree { ${entriesSelection(depth - 1)} }` : '';
  return `entries { path type oid object { ${BLOB_FIELDS}${deeper} } }`;
}

interface BlobNode {
  oid?: string;
  text?: string | null;
  isTruncated?: boolean;
  entries?: TreeEntryNode[];
}

interface TreeEntryNode {
  path: string;
  type: string;
  oid: string;
  object: BlobNode | null;
}

interface RecentCommitNode {
  status?: { contexts: { context: string }[] } | null;
  checkSuites?: { nodes: ({ checkRuns: { nodes: ({ name: string } | null)[] } | null } | null)[] } | null;
}

interface RepositoryAnswer {
  repository: Record<string, (BlobNode & { parents?: { nodes: { oid: string }[] }; history?: { nodes: (RecentCommitNode | null)[] } }) | null> | null;
}

/** Check suites per commit and check runs per suite read with the recent commits (GitHub allows 100 each). */
const RECENT_SUITES = 20;
const RECENT_RUNS = 50;

type Request = { alias: string; expression: string; kind: 'file' | 'parentFile' | 'folder'; path: string };

export class CommitSnapshot implements RepoFiles {
  private readonly files = new Map<string, FileEntry | null>();
  private readonly parentFiles = new Map<string, FileEntry | null>();
  private readonly folders = new Map<string, string[] | null>();
  private readonly texts = new Map<string, Promise<string>>();
  private readonly pending = new Map<string, Promise<void>>();
  /**
   * Whether `<sha>^` named the first parent: checked in the same query, so a server that read the
   * revision otherwise costs one more query instead of a wrong "before" side.
   */
  private parentByRevision = true;
  /** The first parent, once read with `includeParent`; null for a root commit. */
  parentSha: string | null | undefined;
  /** Set when `read` was asked for `recentChecks`. */
  recentChecks: RecentChecks | undefined;

  private constructor(
    private readonly octokit: SnapshotOctokit,
    readonly owner: string,
    readonly repo: string,
    readonly sha: string,
  ) {}

  /** Reads what `wants` names in one query (and the first parent's sha). */
  static async read(octokit: SnapshotOctokit, owner: string, repo: string, sha: string, wants: SnapshotWants): Promise<CommitSnapshot> {
    const snapshot = new CommitSnapshot(octokit, owner, repo, sha);
    await snapshot.queryAll(wants, true);
    return snapshot;
  }

  /** A snapshot that reads nothing until asked, one query per path. */
  static lazy(octokit: SnapshotOctokit, owner: string, repo: string, sha: string): CommitSnapshot {
    return new CommitSnapshot(octokit, owner, repo, sha);
  }

  async readOptional(file: string): Promise<string | null> {
    const path = normalize(file);
    if (!this.files.has(path)) await this.fetch(`file:${path}`, { files: [path] });
    return this.textOf(this.files.get(path) ?? null);
  }

  async readFile(file: string): Promise<string> {
    const text = await this.readOptional(file);
    if (text === null) throw new Error(`${file} does not exist at ${this.sha.slice(0, 12)}`);
    return text;
  }

  /** The file at the first parent, or null. */
  async readParentOptional(file: string): Promise<string | null> {
    const path = normalize(file);
    if (!this.parentFiles.has(path)) await this.fetch(`parent:${path}`, { parentFiles: [path] });
    return this.textOf(this.parentFiles.get(path) ?? null);
  }

  /** Blob ids: the same id on both sides means the same content. */
  async blobSha(file: string): Promise<string | null> {
    const path = normalize(file);
    if (!this.files.has(path)) await this.fetch(`file:${path}`, { files: [path] });
    return this.files.get(path)?.oid ?? null;
  }

  async parentBlobSha(file: string): Promise<string | null> {
    const path = normalize(file);
    if (!this.parentFiles.has(path)) await this.fetch(`parent:${path}`, { parentFiles: [path] });
    return this.parentFiles.get(path)?.oid ?? null;
  }

  async listFiles(wanted: string): Promise<string[] | null> {
    const path = normalize(wanted);
    if (!this.folders.has(path)) await this.fetch(`folder:${path}`, { folders: [path] });
    return this.folders.get(path) ?? null;
  }

  /** Every file known at the commit with its text, and every folder listed: for a cache. */
  async known(): Promise<{ files: Array<{ path: string; content: string | null }>; folders: Array<{ path: string; files: string[] | null }> }> {
    const files = await Promise.all([...this.files].map(async ([path, entry]) => ({ path, content: await this.textOf(entry) })));
    return { files, folders: [...this.folders].map(([path, list]) => ({ path, files: list })) };
  }

  /** Hands what is known to a cache of commits, so later readers need no requests. */
  async saveTo(cache: RevisionCache): Promise<void> {
    const { files, folders } = await this.known();
    for (const { path, content } of files) cache.setFile(this.sha, path, content);
    for (const { path, files: list } of folders) cache.setListing(this.sha, path, list);
  }

  private fetch(key: string, wants: SnapshotWants): Promise<void> {
    let done = this.pending.get(key);
    if (!done) {
      done = this.queryAll(wants, false);
      done.catch(() => this.pending.delete(key));
      this.pending.set(key, done);
    }
    return done;
  }

  /** One query, then one more per level for folders deeper than it listed (bounded). */
  private async queryAll(wants: SnapshotWants, includeParent: boolean): Promise<void> {
    const trees = new Set<string>();
    let deeper = await this.query(wants, includeParent, trees);
    if (includeParent && this.parentSha && !this.parentByRevision && wants.parentFiles?.length) {
      // `<sha>^` did not resolve to the parent the commit names: ask by the parent's own sha
      for (const path of unique(wants.parentFiles)) this.parentFiles.delete(path);
      await this.query({ parentFiles: wants.parentFiles }, false, trees);
    }
    for (let round = 0; round < MAX_DEEPER_QUERIES && deeper.length > 0; round++) {
      deeper = await this.query({ folders: deeper }, false, trees);
    }
    if (deeper.length > 0) throw new Error(`folders nested too deeply under ${[...trees].join(', ')}`);
    // a folder holds every file found under it, however deep
    for (const folder of trees) {
      if (!(wants.folders ?? []).map(normalize).includes(folder)) continue;
      const found = [...this.files].filter(([path, entry]) => entry !== null && path.startsWith(`${folder}/`)).map(([path]) => path);
      this.folders.set(folder, found.length > 0 ? found.sort() : null);
    }
  }

  /** Returns the folders found below the depth it listed. */
  private async query(wants: SnapshotWants, includeParent: boolean, trees: Set<string>): Promise<string[]> {
    const requests: Request[] = [];
    const add = (kind: Request['kind'], path: string, expression: string) =>
      requests.push({ alias: `o${requests.length}`, kind, path, expression });
    for (const path of unique(wants.files)) add('file', path, `${this.sha}:${path}`);
    // `^` is the first parent in git's revision syntax, which `expression` follows
    const parent = this.parentSha && !this.parentByRevision ? this.parentSha : `${this.sha}^`;
    for (const path of unique(wants.parentFiles)) add('parentFile', path, `${parent}:${path}`);
    for (const path of unique(wants.folders)) add('folder', path, `${this.sha}:${path}`);
    if (requests.length === 0 && !includeParent) return [];

    const variables: Record<string, string> = { owner: this.owner, name: this.repo };
    const fields = requests.map((request) => {
      variables[request.alias] = request.expression;
      const selection = request.kind === 'folder' ? `${BLOB_FIELDS} ... on Tree { ${entriesSelection(TREE_DEPTH)} }` : BLOB_FIELDS;
      return `${request.alias}: object(expression: $${request.alias}) { ${selection} }`;
    });
    if (includeParent) {
      variables.commit = this.sha;
      variables.parent = `${this.sha}^`;
      fields.push('commit: object(expression: $commit) { ... on Commit { parents(first: 1) { nodes { oid } } } }');
      fields.push('parent: object(expression: $parent) { ... on Commit { oid } }');
      if (wants.recentChecks) {
        const runs = `checkSuites(first: ${RECENT_SUITES}) { nodes { checkRuns(first: ${RECENT_RUNS}) { nodes { name } } } }`;
        fields.push(`recent: object(expression: $commit) { ... on Commit { history(first: ${Math.min(100, Math.max(1, Math.floor(wants.recentChecks)))}) { nodes { status { contexts { context } } ${runs} } } } }`);
      }
    }
    const declared = Object.keys(variables).map((name) => `$${name}: String!`).join(', ');
    const answer = (await this.octokit
      .graphql(`query(${declared}) { repository(owner: $owner, name: $name) { ${fields.join(' ')} } }`, variables)
      .catch(this.readFailed(`the files at ${this.sha.slice(0, 12)}`))) as RepositoryAnswer;
    const repository = answer.repository;
    if (!repository) throw new Error(`repository ${this.owner}/${this.repo} not found`);

    if (includeParent) {
      this.parentSha = repository.commit?.parents?.nodes[0]?.oid ?? null;
      this.parentByRevision = (repository.parent?.oid ?? null) === this.parentSha;
      if (wants.recentChecks) this.recentChecks = recentChecksOf(repository.recent?.history?.nodes ?? []);
    }
    const deeper: string[] = [];
    for (const request of requests) {
      const node = repository[request.alias] ?? null;
      if (request.kind === 'file') this.files.set(request.path, fileEntry(node));
      else if (request.kind === 'parentFile') this.parentFiles.set(request.path, fileEntry(node));
      else this.addFolder(request.path, node, deeper, trees);
    }
    return deeper;
  }

  private addFolder(path: string, node: BlobNode | null, deeper: string[], trees: Set<string>): void {
    if (node === null) {
      this.folders.set(path, null);
      return;
    }
    if (!node.entries) {
      // a file named in analysisTemplates
      this.files.set(path, fileEntry(node));
      this.folders.set(path, [path]);
      return;
    }
    trees.add(path);
    const walk = (entries: TreeEntryNode[]) => {
      for (const entry of entries) {
        if (entry.type === 'blob') {
          this.files.set(entry.path, fileEntry(entry.object) ?? { oid: entry.oid, text: null });
        } else if (entry.type === 'tree') {
          if (entry.object?.entries) walk(entry.object.entries);
          else deeper.push(entry.path);
        }
      }
    };
    walk(node.entries);
  }

  /** A request that failed is a read failure (try again later), never a problem of the files. */
  private readFailed(what: string): (error: unknown) => never {
    return (error) => {
      const status = requestStatus(error);
      throw new RepoReadError(`could not read ${what} of ${this.owner}/${this.repo}${status ? ` (${status})` : ''}: ${githubMessage(error)}`, { cause: error, status });
    };
  }

  private textOf(entry: FileEntry | null): Promise<string | null> | string | null {
    if (entry === null) return null;
    if (entry.text !== null) return entry.text;
    let text = this.texts.get(entry.oid);
    if (!text) {
      text = this.octokit
        .request('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', { owner: this.owner, repo: this.repo, file_sha: entry.oid })
        .then(({ data }) => {
          const blob = data as { content: string; encoding: string };
          return decode(blob.content, blob.encoding);
        }, this.readFailed(`blob ${entry.oid.slice(0, 12)}`));
      text.catch(() => this.texts.delete(entry.oid));
      this.texts.set(entry.oid, text);
    }
    return text;
  }
}

/**
 * The files of a commit as a cache of commits knows them (what the rollout's start read at the
 * merge commit); whatever it does not know is read with one query and added to it.
 */
export class CachedCommitFiles implements RepoFiles {
  private snapshot: CommitSnapshot | undefined;

  constructor(
    private readonly cache: RevisionCache,
    private readonly octokit: SnapshotOctokit,
    readonly owner: string,
    readonly repo: string,
    readonly sha: string,
  ) {}

  async readOptional(file: string): Promise<string | null> {
    const path = normalize(file);
    const known = this.cache.file(this.sha, path);
    if (known !== undefined) return known;
    const text = await this.reader().readOptional(path);
    this.cache.setFile(this.sha, path, text);
    return text;
  }

  async readFile(file: string): Promise<string> {
    const text = await this.readOptional(file);
    if (text === null) throw new Error(`${file} does not exist at ${this.sha.slice(0, 12)}`);
    return text;
  }

  async listFiles(wanted: string): Promise<string[] | null> {
    const path = normalize(wanted);
    const known = this.cache.listing(this.sha, path);
    if (known !== undefined) return known;
    const reader = this.reader();
    const list = await reader.listFiles(path);
    await reader.saveTo(this.cache);
    return list;
  }

  private reader(): CommitSnapshot {
    this.snapshot ??= CommitSnapshot.lazy(this.octokit, this.owner, this.repo, this.sha);
    return this.snapshot;
  }
}

function recentChecksOf(commits: (RecentCommitNode | null)[]): RecentChecks {
  const names = new Set<string>();
  for (const commit of commits) {
    for (const status of commit?.status?.contexts ?? []) names.add(status.context);
    for (const suite of commit?.checkSuites?.nodes ?? []) for (const run of suite?.checkRuns?.nodes ?? []) if (run) names.add(run.name);
  }
  return { commits: commits.length, names: [...names].sort() };
}

function fileEntry(node: BlobNode | null | undefined): FileEntry | null {
  if (!node || typeof node.oid !== 'string' || node.entries) return null;
  const text = typeof node.text === 'string' && !node.isTruncated ? node.text : null;
  return { oid: node.oid, text };
}

function unique(paths: readonly string[] | undefined): string[] {
  return [...new Set((paths ?? []).map(normalize))];
}

function normalize(file: string): string {
  return file.replace(/^\.\//, '').replace(/\/+$/, '');
}
