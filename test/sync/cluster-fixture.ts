/** What the Argo CD and Flux gate tests share: commits, a recording `contains`, a fake cluster. */
import { afterEach, beforeEach } from '@jest/globals';
import { syncSchema } from '../../src/config/opsbox.schema.js';
import type { ContainsCommit } from '../../src/sync/contains.js';
import type { SyncTarget } from '../../src/sync/gate.js';
import { clusterAccessFromEnv, type CustomObjects } from '../../src/sync/kubernetes.js';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes.js';

export const SHA = '1a2b3c4d'.repeat(5);
export const LATER = '2b3c4d5e'.repeat(5);
export const OLDER = '0f0f0f0f'.repeat(5);

/** Only LATER contains SHA; every revision asked about is recorded in `asked`. */
function recordingContains(asked: string[]): ContainsCommit {
  return async (target, later) => {
    asked.push(later);
    return target.sha === SHA && later === LATER;
  };
}

export function gateTarget(sync: Record<string, unknown>): SyncTarget {
  return { owner: 'acme', repo: 'manifests', branch: 'main', sha: SHA, sync: syncSchema.parse(sync) };
}

async function startCluster(): Promise<{ kube: FakeKubernetes; objects: CustomObjects }> {
  const kube = await startFakeKubernetes();
  const access = clusterAccessFromEnv({ KUBECONFIG: kube.kubeconfig });
  if (!access.configured) throw new Error(access.reason);
  return { kube, objects: access.objects };
}

export interface Cluster {
  kube: FakeKubernetes;
  objects: CustomObjects;
  /** Revisions the gate asked GitHub about in this test; `contains` says only LATER contains SHA. */
  asked: string[];
  contains: ContainsCommit;
}

/** A fresh fake cluster for each test of the calling `describe`, closed after it. */
export function useCluster(): Cluster {
  const cluster = { asked: [] as string[] } as Cluster;
  cluster.contains = recordingContains(cluster.asked);
  beforeEach(async () => {
    Object.assign(cluster, await startCluster());
    cluster.asked.length = 0;
  });
  afterEach(async () => {
    await cluster.kube.close();
  });
  return cluster;
}
