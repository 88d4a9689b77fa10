/**
 * Real git repositories in a temporary folder: a bare "remote" and a person's working clone that
 * commits and pushes as a human (or Renovate) would. Only local paths; no network.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runGit } from '../../src/forge/git/git-cli.js';

const PERSON = ['-c', 'user.name=Pat Person', '-c', 'user.email=pat@example.test', '-c', 'commit.gpgsign=false'];

export interface GitRemoteFixture {
  root: string;
  /** The bare repository: what `opsbox watch --repo` is given. */
  remote: string;
  /** A person's working copy of it. */
  person: string;
  git(args: string[], cwd?: string): Promise<string>;
  /** Writes files in the person's copy, commits them and pushes (after pulling what others pushed). */
  personCommits(files: Record<string, string>, message: string): Promise<string>;
  /** Reads a file of the person's copy. */
  read(file: string): Promise<string>;
  /** `git log --first-parent --format=%s` of the remote's branch, oldest first. */
  subjects(branch?: string): Promise<string[]>;
  /** A file's content on the remote's branch. */
  show(file: string, ref?: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** A bare remote holding `files` (or a copy of `fromDir`) in one first commit on `main`. */
export async function createGitRemote(options: { files?: Record<string, string>; fromDir?: string } = {}): Promise<GitRemoteFixture> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'opsbox-git-'));
  const remote = path.join(root, 'remote.git');
  const person = path.join(root, 'person');
  const git = async (args: string[], cwd = person) => (await runGit([...PERSON, ...args], { cwd, timeoutMs: 20_000 })).stdout;
  await mkdir(remote);
  await git(['init', '--quiet', '--bare', '--initial-branch=main'], remote);
  await mkdir(person);
  await git(['init', '--quiet', '--initial-branch=main'], person);
  await git(['remote', 'add', 'origin', remote]);
  if (options.fromDir) await cp(options.fromDir, person, { recursive: true });
  for (const [file, content] of Object.entries(options.files ?? {})) {
    await mkdir(path.dirname(path.join(person, file)), { recursive: true });
    await writeFile(path.join(person, file), content);
  }
  await git(['add', '-A']);
  await git(['commit', '--quiet', '-m', 'Initial manifests']);
  await git(['push', '--quiet', 'origin', 'main']);

  const fixture: GitRemoteFixture = {
    root,
    remote,
    person,
    git,
    async personCommits(files, message) {
      await git(['pull', '--quiet', '--ff-only', 'origin', 'main']);
      for (const [file, content] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(person, file)), { recursive: true });
        await writeFile(path.join(person, file), content);
      }
      await git(['add', '-A']);
      await git(['commit', '--quiet', '-m', message]);
      await git(['push', '--quiet', 'origin', 'HEAD:main']);
      return (await git(['rev-parse', 'HEAD'])).trim();
    },
    read: (file) => readFile(path.join(person, file), 'utf8'),
    async subjects(branch = 'main') {
      const out = await git(['log', '--first-parent', '--reverse', '--format=%s', branch], remote);
      return out.split('\n').filter(Boolean);
    },
    show: (file, ref = 'main') => git(['show', `${ref}:${file}`], remote),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
  return fixture;
}
