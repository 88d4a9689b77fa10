/**
 * A repository at one commit, read through the Git Data API: one recursive tree read lists every
 * file, and each file is one blob read, cached. Implements RepoFiles for checks and templates.
 */
import { RepoReadError, type RepoFiles } from '../repo/files.js';
import { githubMessage, requestStatus } from './errors.js';
import { decode } from './files.js';

export interface SnapshotOctokit {
  request(route: string, params: Record<string, unknown>): Promise<{ data: unknown }>;
}

interface TreeEntry {
  path: string;
  type: string;
  sha: string;
}

export class RepoSnapshot implements RepoFiles {
  private tree: Promise<Map<string, string>> | undefined;
  private readonly blobs = new Map<string, Promise<string>>();
  /** Path → content of every file read so far (null: it does not exist here). */
  private readonly reads = new Map<string, Promise<string | null>>();

  constructor(
    private readonly octokit: SnapshotOctokit,
    readonly owner: string,
    readonly repo: string,
    /** A commit sha (or a ref name). */
    readonly ref: string,
  ) {}

  async readOptional(file: string): Promise<string | null> {
    const path = normalize(file);
    let text = this.reads.get(path);
    if (!text) {
      text = this.files().then((files) => {
        const sha = files.get(path);
        return sha === undefined ? null : this.blob(sha);
      });
      this.reads.set(path, text);
    }
    return text;
  }

  /** Every file read so far with its content, for a cache of what the app already knows. */
  async filesRead(): Promise<Array<{ path: string; content: string | null }>> {
    const settled = await Promise.allSettled([...this.reads].map(async ([path, text]) => ({ path, content: await text })));
    return settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  }

  async readFile(file: string): Promise<string> {
    const text = await this.readOptional(file);
    if (text === null) throw new Error(`${file} does not exist at ${this.ref.slice(0, 12)}`);
    return text;
  }

  /** The blob id of a file, or null: two snapshots with the same id hold the same content. */
  async blobSha(file: string): Promise<string | null> {
    return (await this.files()).get(normalize(file)) ?? null;
  }

  async listFiles(wanted: string): Promise<string[] | null> {
    const files = await this.files();
    const path = normalize(wanted);
    if (files.has(path)) return [path];
    const prefix = path === '' ? '' : `${path}/`;
    const found = [...files.keys()].filter((file) => file.startsWith(prefix)).sort();
    return found.length > 0 ? found : null;
  }

  private files(): Promise<Map<string, string>> {
    this.tree ??= this.octokit
      .request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
        owner: this.owner,
        repo: this.repo,
        tree_sha: this.ref,
        recursive: '1',
      })
      .then(({ data }) => {
        const entries = (data as { tree: TreeEntry[] }).tree;
        return new Map(entries.filter((e) => e.type === 'blob').map((e) => [e.path, e.sha]));
      }, this.readFailed(`the files at ${this.ref.slice(0, 12)}`));
    return this.tree;
  }

  /** A request that failed is a read failure (try again later), never a problem of the files. */
  private readFailed(what: string): (error: unknown) => never {
    return (error) => {
      const status = requestStatus(error);
      throw new RepoReadError(`could not read ${what} of ${this.owner}/${this.repo}${status ? ` (${status})` : ''}: ${githubMessage(error)}`, { cause: error, status });
    };
  }

  private blob(sha: string): Promise<string> {
    let text = this.blobs.get(sha);
    if (!text) {
      text = this.octokit
        .request('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', { owner: this.owner, repo: this.repo, file_sha: sha })
        .then(({ data }) => {
          const blob = data as { content: string; encoding: string };
          return decode(blob.content, blob.encoding);
        }, this.readFailed(`blob ${sha.slice(0, 12)}`));
      this.blobs.set(sha, text);
    }
    return text;
  }
}

function normalize(file: string): string {
  return file.replace(/^\.\//, '').replace(/\/+$/, '');
}
