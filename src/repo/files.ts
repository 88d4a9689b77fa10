/**
 * Read access to a manifests repository at one revision: a local checkout (CLI) or a commit read
 * through the GitHub API (the app). Checks and edits are written once against this interface.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { TemplateFileSource } from '../analysis/templates.js';
import { retryableHttpStatus } from '../forge/forge.js';

/**
 * The repository could not be read (GitHub answered 5xx, timed out, refused): nothing is known
 * about the files, so this is never a problem of their content. Whoever started the work tries it
 * again later.
 */
export class RepoReadError extends Error {
  readonly code = 'repo-read-failed';
  /** The HTTP status behind it, when there was an answer. */
  readonly status: number | undefined;
  /** Whether reading again later may work: no answer at all, or an answer that says "not now". */
  readonly retryable: boolean;
  constructor(message: string, options: { cause?: unknown; status?: number } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RepoReadError';
    this.status = options.status;
    this.retryable = options.status === undefined || retryableHttpStatus(options.status);
  }
}

export interface RepoFiles extends TemplateFileSource {
  /** The file's text, or null when there is no file at that path. */
  readOptional(path: string): Promise<string | null>;
}

/** Reads several files at once; missing ones are left out of the map. */
export async function readFiles(files: RepoFiles, paths: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(paths)];
  const texts = await Promise.all(unique.map((file) => files.readOptional(file)));
  const out = new Map<string, string>();
  unique.forEach((file, index) => {
    const text = texts[index];
    if (text !== null) out.set(file, text);
  });
  return out;
}

/** A local checkout. Paths are relative to `root` and may not leave it. */
export class DiskRepoFiles implements RepoFiles {
  constructor(readonly root: string) {}

  async readOptional(file: string): Promise<string | null> {
    try {
      return await readFile(this.resolve(file), 'utf8');
    } catch (error) {
      if (['ENOENT', 'EISDIR', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) return null;
      throw error;
    }
  }

  async readFile(file: string): Promise<string> {
    return readFile(this.resolve(file), 'utf8');
  }

  async listFiles(wanted: string): Promise<string[] | null> {
    const full = this.resolve(wanted);
    const info = await stat(full).catch(() => null);
    if (!info) return null;
    if (info.isFile()) return [normalize(wanted)];
    const found: string[] = [];
    await walk(full, normalize(wanted), found, 0);
    return found.sort();
  }

  private resolve(file: string): string {
    const full = path.resolve(this.root, file);
    const relative = path.relative(this.root, full);
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new Error(`path "${file}" is outside the repository`);
    }
    return full;
  }
}

const MAX_DEPTH = 20;

async function walk(dir: string, prefix: string, found: string[], depth: number): Promise<void> {
  if (depth > MAX_DEPTH) return;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) await walk(path.join(dir, entry.name), relative, found, depth + 1);
    else if (entry.isFile()) found.push(relative);
  }
}

function normalize(file: string): string {
  return file.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
}
