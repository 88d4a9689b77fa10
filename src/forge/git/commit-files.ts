/** The files of one commit of a git copy, and of its first parent: what planning a rollout reads. */
import type { Snapshot } from '../forge.js';
import type { GitRepository } from './repository.js';

export class GitCommitFiles implements Snapshot {
  private present: Promise<void> | undefined;

  constructor(
    private readonly repo: GitRepository,
    readonly sha: string,
    /** The first parent (null for a root commit); read by `at`, unknown to a plain file reader. */
    readonly parentSha: string | null = null,
  ) {}

  /** The commit and its first parent. */
  static async at(repo: GitRepository, sha: string): Promise<GitCommitFiles> {
    await repo.ensureCommit(sha);
    const info = await repo.commitInfo(sha);
    return new GitCommitFiles(repo, sha, info.parent ?? null);
  }

  async readOptional(file: string): Promise<string | null> {
    await this.ensure();
    return this.repo.readFile(this.sha, file);
  }

  async readFile(file: string): Promise<string> {
    const text = await this.readOptional(file);
    if (text === null) throw new Error(`${file} does not exist at ${this.sha.slice(0, 12)}`);
    return text;
  }

  async listFiles(wanted: string): Promise<string[] | null> {
    await this.ensure();
    return this.repo.listFiles(this.sha, wanted);
  }

  async readParentOptional(file: string): Promise<string | null> {
    return this.parentSha ? this.repo.readFile(this.parentSha, file) : null;
  }

  async blobSha(file: string): Promise<string | null> {
    await this.ensure();
    return (await this.repo.entry(this.sha, file))?.oid ?? null;
  }

  async parentBlobSha(file: string): Promise<string | null> {
    return this.parentSha ? ((await this.repo.entry(this.parentSha, file))?.oid ?? null) : null;
  }

  /** A commit pushed since the last fetch is fetched once, before the first read. */
  private ensure(): Promise<void> {
    this.present ??= this.repo.ensureCommit(this.sha);
    this.present.catch(() => (this.present = undefined));
    return this.present;
  }

  /** Reads are local: nothing to keep. */
  async retain(): Promise<void> {}
}
