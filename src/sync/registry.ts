/** The sync gates this build can wait on, by config key; a config asking for another is refused. */
import type { SyncConfig } from '../config/opsbox.schema.js';
import { ForgeRefusedError, type Forge, type RepoRef } from '../forge/forge.js';
import { argoCdGate } from './argocd.js';
import type { ContainsCommit } from './contains.js';
import { fluxGate } from './flux.js';
import type { SyncGate, SyncGateName } from './gate.js';
import type { CustomObjects } from './kubernetes.js';

/** The repository a gate waits on, and the forge it lives on. */
export interface SyncGateContext {
  forge: Forge;
  repo: RepoRef;
}

export type SyncGateFactory = (context: SyncGateContext) => SyncGate;

export const BUILT_IN_SYNC_GATES: Partial<Record<SyncGateName, SyncGateFactory>> = {
  // Commit statuses are the forge's own: it makes the gate, or has none.
  commitStatus: ({ forge, repo }) => {
    const gate = forge.syncGate(repo, 'commitStatus');
    if (!gate) throw new ForgeRefusedError('refused', `sync.commitStatus is not available for ${repo.key}: its forge (${repo.forge}) has no commit statuses`);
    return gate;
  },
};

export type ClusterGateName = 'argocd' | 'flux';
const CLUSTER_SYNC_GATES: readonly ClusterGateName[] = ['argocd', 'flux'];

/** The gates that read the cluster; the forge answers whether a later commit contains the one waited for. */
export function clusterSyncGates(objects: CustomObjects): Record<ClusterGateName, SyncGateFactory> {
  const contains = ({ forge, repo }: SyncGateContext): ContainsCommit => (target, later) => forge.contains(repo, target.sha, later);
  return {
    argocd: (context) => argoCdGate(objects, contains(context)),
    flux: (context) => fluxGate(objects, contains(context)),
  };
}

export function isSupportedGate(name: SyncGateName, extra: readonly SyncGateName[] = []): boolean {
  return BUILT_IN_SYNC_GATES[name] !== undefined || extra.includes(name);
}

/** Why a gate cannot be waited on here, as the message of a config problem; undefined when it can. */
export type SyncGateCheck = (gate: SyncGateName, sync: SyncConfig) => string | undefined;

/** The check of an app with (or without, and why) access to a cluster. */
export function syncGateCheck(cluster: { configured: boolean; reason?: string }): SyncGateCheck {
  const extra = cluster.configured ? CLUSTER_SYNC_GATES : [];
  return (gate, sync) => (isSupportedGate(gate, extra) ? undefined : refusal(gate, sync, cluster.reason ?? 'it has no cluster access'));
}

/** Every gate this build knows; for checks of a checkout, where cluster access is the app's business. */
export const ANY_SYNC_GATE: SyncGateCheck = () => undefined;

const CLUSTER_RESOURCES: Record<ClusterGateName, { resource: string; kind: string; tool: string }> = {
  argocd: { resource: 'applications.argoproj.io', kind: 'Applications', tool: 'Argo CD' },
  flux: { resource: 'kustomizations.kustomize.toolkit.fluxcd.io', kind: 'Kustomizations', tool: 'Flux' },
};

function refusal(gate: SyncGateName, sync: SyncConfig, reason: string): string {
  if (gate !== 'argocd' && gate !== 'flux') return 'this sync gate is not supported, so the rollout would not wait for it; remove it';
  const { resource, kind, tool } = CLUSTER_RESOURCES[gate];
  const namespace = sync[gate]?.namespace;
  return (
    `the app cannot read ${tool} ${kind}, so the rollout would not wait for this gate: ${reason}. ` +
    `Set KUBECONFIG for the app to a kubeconfig file, or run it in the cluster with a service account allowed to get ${resource}` +
    `${namespace ? ` in namespace ${namespace}` : ''}; or use sync.commitStatus with the status ${tool} notifications post`
  );
}
