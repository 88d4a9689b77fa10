/**
 * A local copy of one branch of a remote, kept under OPSBOX_DATA_DIR and used without a working
 * tree: files are read from commits (`git cat-file`), commits are built in a temporary index and
 * pushed. Nothing here checks out files, so there is nothing to clean up after a crash.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GitCommandError, runGit, type GitRunOptions } from './git-cli.js';

/** Reads are local and quick; a bound still keeps a stuck disk from hanging the loop. */
const LOCAL_TIMEOUT_MS = 20_000;

export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  oid: string;
}

export interface CommitInfo {
  sha: string;
  /** First parent; undefined for a root commit. */
  parent?: string;
  subject: string;
  message: string;
  author: string;
}

/** A file change of a commit: the whole new content. */
export interface GitFileChange {
  path: string;
  /** null deletes the file. */
  content: string | null;
}

/** Is this a URL or scp-like address (`host:path`), rather than a local path? */
export function isRemoteUrl(remote: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(remote) || /^[^/\\]+@[^/\\:]+:/.test(remote);
}

/** Local paths are made absolute so the copy finds them from its own folder. */
export function normalizeRemote(remote: string, cwd = process.cwd()): string {
  return isRemoteUrl(remote) ? remote : path.resolve(cwd, remote);
}

/** A short, readable, stable key of a remote and branch: the folder of its copy and part of rollout ids. */
export function repositoryKey(remote: string, branch: string): string {
  const base = remote.replace(/\.git$/, '').split(/[/:\\]/).filter(Boolean).pop() ?? 'repo';
  const safe = base.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 40) || 'repo';
  const digest = createHash('sha256').update(`${remote}\n${branch}`).digest('hex').slice(0, 8);
  return `${safe}-${digest}`;
}

export class GitRepository {
  private identityArgs: string[] | undefined;

  private constructor(
    /** The bare copy's folder. */
    readonly dir: string,
    readonly remote: string,
    readonly branch: string,
  ) {}

  /** The remote-tracking ref the branch is fetched into. */
  get trackingRef(): string {
    return `refs/remotes/origin/${this.branch}`;
  }

  /** Opens (creating on first use) the copy of `remote` under `<dataDir>/git/`. */
  static async open(dataDir: string, remote: string, branch: string): Promise<GitRepository> {
    const normalized = normalizeRemote(remote);
    const dir = path.join(dataDir, 'git', repositoryKey(normalized, branch));
    const repo = new GitRepository(dir, normalized, branch);
    const exists = await stat(path.join(dir, 'HEAD')).then(() => true, () => false);
    if (!exists) {
      await mkdir(dir, { recursive: true });
      await repo.git(['init', '--quiet', '--bare'], LOCAL_TIMEOUT_MS);
      await repo.git(['remote', 'add', 'origin', normalized], LOCAL_TIMEOUT_MS);
    } else {
      await repo.git(['remote', 'set-url', 'origin', normalized], LOCAL_TIMEOUT_MS);
    }
    return repo;
  }

  /** Runs git in the copy. */
  git(args: string[], timeoutMs?: number, extra: Omit<GitRunOptions, 'cwd' | 'timeoutMs'> = {}) {
    return runGit(args, { cwd: this.dir, timeoutMs, ...extra });
  }

  /** Fetches the branch; returns its head. */
  async fetch(): Promise<string> {
    await this.git(['fetch', '--quiet', '--no-tags', 'origin', `+refs/heads/${this.branch}:${this.trackingRef}`]);
    return this.head();
  }

  /** The branch head as last fetched. */
  async head(): Promise<string> {
    return (await this.git(['rev-parse', '--verify', `${this.trackingRef}^{commit}`], LOCAL_TIMEOUT_MS)).stdout.trim();
  }

  /** Makes sure the copy has a commit: one pushed since the last fetch is fetched. */
  async ensureCommit(sha: string): Promise<void> {
    const { code } = await this.git(['cat-file', '-e', `${sha}^{commit}`], LOCAL_TIMEOUT_MS, { okCodes: [1, 128] });
    if (code !== 0) await this.fetch();
  }

  /** The head of another branch of the remote (a revert branch), or null when it has none. */
  async remoteBranchHead(branch: string): Promise<string | null> {
    const out = (await this.git(['ls-remote', '--heads', 'origin', `refs/heads/${branch}`])).stdout.trim();
    if (!out) return null;
    return out.split(/\s+/)[0] ?? null;
  }

  async commitInfo(sha: string): Promise<CommitInfo> {
    const out = (await this.git(['show', '-s', '--format=%H%x00%P%x00%an%x00%B', sha], LOCAL_TIMEOUT_MS)).stdout;
    const [full, parents, author, ...rest] = out.split('\0');
    const message = rest.join('\0').replace(/\n+$/, '');
    return { sha: full, parent: parents.split(' ').filter(Boolean)[0], subject: message.split('\n')[0] ?? '', message, author };
  }

  /** First-parent commits after `since` (exclusive) up to `head`, oldest first, at most `limit`. */
  async firstParentSince(since: string | undefined, head: string, limit: number): Promise<string[]> {
    const range = since ? [`${since}..${head}`] : [head];
    // --max-count would keep the newest ones (it applies before --reverse): the oldest go first, the rest next time
    const out = (await this.git(['rev-list', '--first-parent', '--reverse', ...range], LOCAL_TIMEOUT_MS)).stdout;
    return out.split('\n').filter(Boolean).slice(0, limit);
  }

  /** The entry at a path in a commit, or null. */
  async entry(sha: string, file: string): Promise<TreeEntry | null> {
    const out = (await this.git(['ls-tree', '-z', sha, '--', file], LOCAL_TIMEOUT_MS)).stdout;
    const line = out.split('\0').find(Boolean);
    if (!line) return null;
    const [meta] = line.split('\t');
    const [mode, type, oid] = meta.split(' ');
    return { mode, type: type as TreeEntry['type'], oid };
  }

  /** A file's text at a commit; null when there is no file there. */
  async readFile(sha: string, file: string): Promise<string | null> {
    const found = await this.entry(sha, file);
    if (!found || found.type !== 'blob') return null;
    return (await this.git(['cat-file', 'blob', found.oid], LOCAL_TIMEOUT_MS)).stdout;
  }

  /** The files under a folder (or the file itself) at a commit; null when the path does not exist. */
  async listFiles(sha: string, wanted: string): Promise<string[] | null> {
    const clean = wanted.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
    const out = (await this.git(['ls-tree', '-r', '-z', '--name-only', sha, '--', clean], LOCAL_TIMEOUT_MS)).stdout;
    const files = out.split('\0').filter((name) => name === clean || name.startsWith(`${clean}/`));
    return files.length > 0 ? files.sort() : null;
  }

  /** Does `ancestor` belong to the history of `commit`? */
  async contains(commit: string, ancestor: string): Promise<boolean> {
    const { code } = await this.git(['merge-base', '--is-ancestor', ancestor, commit], LOCAL_TIMEOUT_MS, { okCodes: [1] });
    return code === 0;
  }

  /** The newest first-parent commit within `depth` of `head` whose message is exactly `message`. */
  async findCommitWithMessage(head: string, message: string, depth = 50): Promise<string | null> {
    const out = (await this.git(['log', '--first-parent', `--max-count=${depth}`, '--format=%H%x00%B%x1e', head], LOCAL_TIMEOUT_MS)).stdout;
    const wanted = message.trim();
    for (const record of out.split('\x1e')) {
      const [sha, body] = record.replace(/^\n/, '').split('\0');
      if (sha && body !== undefined && body.trim() === wanted) return sha;
    }
    return null;
  }

  /**
   * Makes a commit on top of `parent` with these files changed, without a working tree (a
   * temporary index). Returns the new commit's sha; nothing is pushed.
   */
  async commit(parent: string, changes: readonly GitFileChange[], message: string): Promise<string> {
    const index = path.join(os.tmpdir(), `opsbox-index-${process.pid}-${randomUUID()}`);
    const env = { GIT_INDEX_FILE: index };
    try {
      await this.git(['read-tree', parent], LOCAL_TIMEOUT_MS, { env });
      for (const change of changes) {
        if (change.content === null) {
          await this.git(['update-index', '--force-remove', '--', change.path], LOCAL_TIMEOUT_MS, { env });
          continue;
        }
        const oid = (await this.git(['hash-object', '-w', '--stdin'], LOCAL_TIMEOUT_MS, { input: change.content })).stdout.trim();
        const mode = (await this.entry(parent, change.path))?.mode ?? '100644';
        await this.git(['update-index', '--add', '--cacheinfo', `${mode},${oid},${change.path}`], LOCAL_TIMEOUT_MS, { env });
      }
      const tree = (await this.git(['write-tree'], LOCAL_TIMEOUT_MS, { env })).stdout.trim();
      const identity = await this.identity();
      return (await this.git([...identity, 'commit-tree', tree, '-p', parent, '-F', '-'], LOCAL_TIMEOUT_MS, { input: `${message.trim()}\n` })).stdout.trim();
    } finally {
      await rm(index, { force: true });
    }
  }

  /**
   * Pushes `sha` to `branch`. A push that is not a fast-forward is refused by the remote: that
   * refusal is the compare-and-swap on the branch head, answered with `false`.
   */
  async push(sha: string, branch: string, options: { force?: boolean } = {}): Promise<boolean> {
    const refspec = `${options.force ? '+' : ''}${sha}:refs/heads/${branch}`;
    const { code, stdout, stderr } = await this.git(['push', '--porcelain', 'origin', refspec], undefined, { okCodes: [1] });
    if (code === 0) return true;
    const said = `${stdout}\n${stderr}`;
    if (/\[rejected\]|non-fast-forward|fetch first|\(stale info\)|cannot lock ref/.test(said)) return false;
    throw new GitCommandError(['push', 'origin', refspec], code, said, false);
  }

  /** Deletes a branch of the remote; a branch that is already gone is fine. */
  async deleteBranch(branch: string): Promise<void> {
    if ((await this.remoteBranchHead(branch)) === null) return;
    await this.git(['push', '--quiet', 'origin', `:refs/heads/${branch}`]);
  }

  /** The committer: git's own configuration, or a named default where none is set (a fresh server). */
  private async identity(): Promise<string[]> {
    if (this.identityArgs) return this.identityArgs;
    const email = await this.git(['config', '--get', 'user.email'], LOCAL_TIMEOUT_MS, { okCodes: [1] });
    const fromEnv = process.env.GIT_AUTHOR_EMAIL || process.env.GIT_COMMITTER_EMAIL;
    this.identityArgs = email.stdout.trim() || fromEnv ? [] : ['-c', 'user.name=OpsBox Canary', '-c', 'user.email=opsbox@localhost'];
    return this.identityArgs;
  }
}
