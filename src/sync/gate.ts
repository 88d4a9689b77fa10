/**
 * Sync gates: when has a commit been applied to the cluster, so that analysis measures the new
 * weight? `sync.delay` is a minimum wait the state machine keeps itself; every other gate is
 * asked, after the delay, by the effect executor, until it says applied, fails, or time runs out.
 */
import type { SyncConfig } from '../config/opsbox.schema.js';

export type SyncGateName = 'commitStatus' | 'argocd' | 'flux';

/** What a gate saw. `pending` is asked again later; `failed` fails the step. */
export type SyncVerdict =
  | { state: 'applied'; detail: string }
  | { state: 'pending'; detail: string }
  | { state: 'failed'; detail: string };

export interface SyncTarget {
  owner: string;
  repo: string;
  branch: string;
  /** The commit that must be applied. */
  sha: string;
  sync: SyncConfig;
}

export interface SyncGate {
  readonly name: SyncGateName;
  check(target: SyncTarget): Promise<SyncVerdict>;
}

/** Gates a config asks for besides the delay, in a fixed order. */
export function configuredGates(sync: SyncConfig): SyncGateName[] {
  return (['commitStatus', 'argocd', 'flux'] as const).filter((gate) => sync[gate] !== undefined);
}

/** All gates must say applied; the first failure decides; otherwise the step keeps waiting. */
export async function checkGates(gates: readonly SyncGate[], target: SyncTarget): Promise<SyncVerdict> {
  const verdicts = await Promise.all(gates.map(async (gate) => ({ gate: gate.name, verdict: await gate.check(target) })));
  const failed = verdicts.find((v) => v.verdict.state === 'failed');
  if (failed) return failed.verdict;
  const pending = verdicts.filter((v) => v.verdict.state === 'pending');
  if (pending.length > 0) return { state: 'pending', detail: pending.map((v) => v.verdict.detail).join('; ') };
  return { state: 'applied', detail: verdicts.map((v) => v.verdict.detail).join('; ') };
}
