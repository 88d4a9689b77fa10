/** The sync gates this build can wait on, by config key; a config asking for another is refused. */
import { commitStatusGate, type CommitStatusOctokit } from './commit-status.js';
import type { SyncGate, SyncGateName } from './gate.js';

export type SyncGateFactory<O> = (octokit: O) => SyncGate;

export const BUILT_IN_SYNC_GATES: Partial<Record<SyncGateName, SyncGateFactory<CommitStatusOctokit>>> = {
  commitStatus: (octokit) => commitStatusGate(octokit),
};

export function isSupportedGate(name: SyncGateName, extra: readonly SyncGateName[] = []): boolean {
  return BUILT_IN_SYNC_GATES[name] !== undefined || extra.includes(name);
}
