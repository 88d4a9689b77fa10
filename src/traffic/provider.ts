/** The one interface every traffic provider implements (SPEC §1, traffic providers table). */
import type { TrafficConfig, TrafficProviderName } from '../config/opsbox.schema.js';

/** The `traffic:` block of the named providers, as the config schema gives it. */
export type TrafficConfigOf<Name extends TrafficProviderName> = Extract<TrafficConfig, { provider: Name }>;

/** File contents by path relative to the repository root. */
export type FileSet = ReadonlyMap<string, string>;

export interface TrafficProvider {
  readonly name: TrafficProviderName;
  /** Files this provider reads and writes (relative to repo root). */
  readonly files: readonly string[];
  /** Current canary weight 0–100; throws TrafficError (e.g. backends missing) — used by validate. */
  readWeight(files: FileSet): number;
  /** New contents of the files that change (only those) to put `weight` % on the canary. */
  setWeight(files: FileSet, weight: number): Map<string, string>;
}
