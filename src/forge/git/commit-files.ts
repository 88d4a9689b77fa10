/** The files of one commit of a git copy, and of its first parent: what planning a rollout reads. */
import type { Snapshot } from '../forge.js';
import type { GitRepository } from './repository.js';

export class GitCommitFiles implements Snapshot {
  constructor(
    private readonly repo: GitRepository,
    readonly sha: string,
    /** The first parent (null for a root commit); read by `at`, unknown to a plain file reader. */
    readonly parentSha: string | null = null,
  ) {}

  /** The commit and its first parent. */
  static async at(repo: GitRepository, sha: string): Promise<GitCommitFiles> {
    const info = await repo.commitInfo(sha);
    return new GitCommitFiles(repo, sha, info.parent ?? null);
  }

  readOptional(file: string): Promise<string | null> {
    return this.repo.readFile(this.sha, file);
  }

  async readFile(file: string): Promise<string> {
    const text = await this.readOptional(file);
    if (text === null) throw new Error(`${file} does not exist at ${this.sha.slice(0, 12)}`);
    return text;
  }

  listFiles(wanted: string): Promise<string[] | null> {
    return this.repo.listFiles(this.sha, wanted);
  }

  async readParentOptional(file: string): Promise<string | null> {
    return this.parentSha ? this.repo.readFile(this.parentSha, file) : null;
  }

  async blobSha(file: string): Promise<string | null> {
    return (await this.repo.entry(this.sha, file))?.oid ?? null;
  }

  async parentBlobSha(file: string): Promise<string | null> {
    return this.parentSha ? ((await this.repo.entry(this.parentSha, file))?.oid ?? null) : null;
  }

  /** Reads are local: nothing to keep. */
  async retain(): Promise<void> {}
}
