/**
 * Copies the fixture manifests repository (test/fixtures/repo) into a fresh temporary folder and
 * applies edits to it, so tests can make broken variants without touching the fixture itself.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the fixture repository. */
export const FIXTURE_REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/repo');

/** One change to the copied repository. Paths are relative to the repository root. */
export type FixtureEdit =
  /** Replaces the first occurrence of `find`; fails if `find` is not in the file. */
  | { file: string; replace: string; with: string }
  /** Writes the whole file (creating folders as needed). */
  | { file: string; content: string }
  /** Deletes the file; fails if it does not exist. */
  | { file: string; remove: true };

export interface FixtureRepo {
  /** Absolute path of the temporary copy. */
  readonly dir: string;
  read(file: string): Promise<string>;
  apply(...edits: FixtureEdit[]): Promise<void>;
  /** Every file of the copy (relative path → content), for before/after comparisons. */
  snapshot(): Promise<Map<string, string>>;
  /** 1-based line and column where `text` first occurs in `file`. */
  position(file: string, text: string): Promise<{ line: number; column: number }>;
  cleanup(): Promise<void>;
}

/** Reads every file under `root` into a map keyed by the path relative to `root` (with `/`). */
export async function snapshotTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(root, rel), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(child);
      else out.set(child, await readFile(path.join(root, child), 'utf8'));
    }
  };
  await walk('');
  return out;
}

/** Copies the fixture repository into a new temporary folder and applies `edits` in order. */
export async function copyFixtureRepo(...edits: FixtureEdit[]): Promise<FixtureRepo> {
  const dir = await mkdtemp(path.join(tmpdir(), 'opsbox-fixture-repo-'));
  await cp(FIXTURE_REPO, dir, { recursive: true });

  const resolve = (file: string) => {
    const full = path.resolve(dir, file);
    if (!full.startsWith(dir + path.sep)) throw new Error(`fixture edit outside the repository: ${file}`);
    return full;
  };
  const read = (file: string) => readFile(resolve(file), 'utf8');

  const apply = async (...list: FixtureEdit[]) => {
    for (const edit of list) {
      const full = resolve(edit.file);
      if ('content' in edit) {
        await mkdir(path.dirname(full), { recursive: true });
        await writeFile(full, edit.content);
      } else if ('remove' in edit) {
        await read(edit.file); // fails if the file is not there
        await rm(full);
      } else {
        const text = await read(edit.file);
        const at = text.indexOf(edit.replace);
        if (at < 0) throw new Error(`fixture edit: ${JSON.stringify(edit.replace)} not found in ${edit.file}`);
        await writeFile(full, text.slice(0, at) + edit.with + text.slice(at + edit.replace.length));
      }
    }
  };

  const repo: FixtureRepo = {
    dir,
    read,
    apply,
    snapshot: () => snapshotTree(dir),
    async position(file, text) {
      const content = await read(file);
      const at = content.indexOf(text);
      if (at < 0) throw new Error(`${JSON.stringify(text)} not found in ${file}`);
      const before = content.slice(0, at).split('\n');
      return { line: before.length, column: (before.at(-1) ?? '').length + 1 };
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
  try {
    await apply(...edits);
  } catch (error) {
    await repo.cleanup();
    throw error;
  }
  return repo;
}
