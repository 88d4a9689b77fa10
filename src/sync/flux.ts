/**
 * `sync.flux`: the commit counts as applied once the Flux Kustomization has applied it (or a later
 * commit that contains it) and is Ready. Read from the Kustomization resource through the
 * Kubernetes API, so no Flux notification has to be set up.
 */
import { laterNote, reaches, shortRevision, type ContainsCommit } from './contains.js';
import type { SyncGate, SyncTarget, SyncVerdict } from './gate.js';
import type { CustomObjects } from './kubernetes.js';

export const KUSTOMIZATIONS = { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations' } as const;
/** Ready=False reasons that say the attempt itself failed; others (Progressing, DependencyNotReady) pass. */
const FAILED_REASONS = new Set(['ReconciliationFailed', 'HealthCheckFailed', 'BuildFailed', 'PruneFailed']);

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

interface KustomizationStatus {
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  conditions?: Condition[];
}

export function fluxGate(objects: CustomObjects, contains: ContainsCommit): SyncGate {
  return {
    name: 'flux',
    async check(target: SyncTarget): Promise<SyncVerdict> {
      const wanted = target.sync.flux;
      if (!wanted) return { state: 'applied', detail: 'no Flux Kustomization asked for' };
      const label = `Kustomization ${wanted.namespace}/${wanted.kustomization}`;
      const kustomization = await objects.get({ ...KUSTOMIZATIONS, namespace: wanted.namespace, name: wanted.kustomization });
      if (!kustomization) {
        return {
          state: 'failed',
          detail: `${label} was not found in the cluster; check sync.flux.kustomization and sync.flux.namespace, and that Flux runs in the cluster the app reads`,
        };
      }
      const status = (kustomization.status ?? {}) as KustomizationStatus;
      const ready = status.conditions?.find((c) => c.type === 'Ready');
      const applied = commitOf(status.lastAppliedRevision);
      const attempted = commitOf(status.lastAttemptedRevision);
      const readiness = `Ready is ${ready?.status ?? 'Unknown'}${ready?.reason ? ` (${ready.reason})` : ''}`;

      if (ready?.status === 'False' && FAILED_REASONS.has(ready.reason ?? '') && attempted && (await reaches(contains, target, attempted))) {
        return { state: 'failed', detail: `${label} failed to apply ${shortRevision(attempted)}${laterNote(attempted, target.sha)}: ${readiness}${ready.message ? `: ${ready.message}` : ''}` };
      }
      if (ready?.status === 'True' && applied && (await reaches(contains, target, applied))) {
        return { state: 'applied', detail: `${label} applied ${shortRevision(applied)}${laterNote(applied, target.sha)} and is Ready` };
      }
      const revision = status.lastAppliedRevision ? shortRevision(applied ?? status.lastAppliedRevision) : 'nothing yet';
      return { state: 'pending', detail: `${label} has applied ${revision}, ${readiness}` };
    },
  };
}

/** The commit in a Flux revision: `main@sha1:<sha>`, the older `main/<sha>`, or a bare sha. */
function commitOf(revision: string | undefined): string | undefined {
  return revision ? /(?:^|\/|sha1:)([0-9a-f]{40})$/.exec(revision)?.[1] : undefined;
}
