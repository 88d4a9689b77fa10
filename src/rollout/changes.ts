/**
 * The file edits behind each commit a rollout makes. The app's commits, the revert PR and
 * `opsbox plan` all build their changes here, so what plan prints is what the app commits.
 */
import type { ServiceConfig } from '../config/opsbox.schema.js';
import type { FileChange, ReadFile } from '../forge/forge.js';
import { setImageVersion } from '../manifests/image-tag.js';
import { createTrafficProvider } from '../traffic/index.js';
import type { CommitKind } from './types.js';

/** A rollout edits files and never deletes one. */
export type EditedFile = FileChange & { content: string };

export class MissingFileError extends Error {
  readonly code = 'file-missing';
  constructor(readonly file: string) {
    super(`${file}: the file is not in the repository any more; restore it or fix .github/opsbox.yml`);
    this.name = 'MissingFileError';
  }
}

/** Files touched by a commit of this kind, with their new contents (unchanged files left out). */
export async function buildRolloutChange(
  service: ServiceConfig,
  kind: CommitKind,
  weight: number,
  to: string,
  read: ReadFile,
): Promise<EditedFile[]> {
  const working = new WorkingCopy(read);
  if (kind === 'promote') {
    const stable = await working.read(service.stable.file);
    working.write(service.stable.file, setImageVersion(stable, service.stable, service.image, to));
  }
  const provider = createTrafficProvider(service);
  const current = new Map<string, string>();
  for (const file of provider.files) current.set(file, await working.read(file));
  for (const [file, content] of provider.setWeight(current, weight)) working.write(file, content);
  return working.changes();
}

/** The revert PR's change: the canary tag back to the version it had before the bump. */
export async function buildRevertChange(service: ServiceConfig, from: string, read: ReadFile): Promise<EditedFile[]> {
  const working = new WorkingCopy(read);
  const canary = await working.read(service.canary.file);
  working.write(service.canary.file, setImageVersion(canary, service.canary, service.image, from));
  return working.changes();
}

/** Edits composed in memory, so two edits of one file (e.g. replicas + promotion) both land. */
class WorkingCopy {
  private readonly original = new Map<string, string>();
  private readonly current = new Map<string, string>();

  constructor(private readonly readFile: ReadFile) {}

  async read(file: string): Promise<string> {
    const edited = this.current.get(file);
    if (edited !== undefined) return edited;
    const text = await this.readFile(file);
    if (text === null) throw new MissingFileError(file);
    this.original.set(file, text);
    this.current.set(file, text);
    return text;
  }

  write(file: string, content: string): void {
    this.current.set(file, content);
  }

  changes(): EditedFile[] {
    return [...this.current]
      .filter(([file, content]) => this.original.get(file) !== content)
      .map(([path, content]) => ({ path, content }));
  }
}
