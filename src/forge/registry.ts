/**
 * The forges of this process, by kind. A rollout's saved `repo.forge` picks the adapter, so
 * rollouts of several forges can run in one engine. A new forge is one line in `createForges`'
 * caller (the runtime or the CLI) once its folder implements `Forge`.
 */
import type { Forge, ForgeKind, RepoRef } from './forge.js';
import { ForgeRefusedError } from './forge.js';

export class ForgeRegistry {
  private readonly forges = new Map<ForgeKind, Forge>();

  constructor(forges: Iterable<Forge>) {
    for (const forge of forges) this.forges.set(forge.kind, forge);
  }

  /** The adapter of a repository; refuses (not retryable) when this process has none for its forge. */
  of(repo: Pick<RepoRef, 'forge' | 'key'>): Forge {
    const forge = this.forges.get(repo.forge);
    if (!forge) {
      const known = [...this.forges.keys()].join(', ') || 'none';
      throw new ForgeRefusedError('refused', `${repo.key} is on forge "${repo.forge}", which this process does not serve (it serves: ${known})`);
    }
    return forge;
  }
}
