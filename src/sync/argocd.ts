/**
 * `sync.argocd`: the commit counts as applied once the Argo CD Application reports it (or a later
 * commit that contains it) Synced and Healthy. Read from the Application resource through the
 * Kubernetes API, so no Argo CD notification has to be set up.
 */
import { laterNote, reaches, shortRevision as short, type ContainsCommit } from './contains.js';
import type { SyncGate, SyncTarget, SyncVerdict } from './gate.js';
import type { CustomObjects } from './kubernetes.js';

export const APPLICATIONS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications' } as const;
const FAILED_OPERATION = new Set(['Failed', 'Error']);

/** The fields of `Application.status` the gate reads; a multi-source Application has `revisions`. */
interface ApplicationStatus {
  sync?: { status?: string; revision?: string; revisions?: string[] };
  health?: { status?: string; message?: string };
  operationState?: {
    phase?: string;
    message?: string;
    syncResult?: { revision?: string; revisions?: string[] };
    operation?: { sync?: { revision?: string; revisions?: string[] } };
  };
}

export function argoCdGate(objects: CustomObjects, contains: ContainsCommit): SyncGate {
  return {
    name: 'argocd',
    async check(target: SyncTarget): Promise<SyncVerdict> {
      const wanted = target.sync.argocd;
      if (!wanted) return { state: 'applied', detail: 'no Argo CD Application asked for' };
      const label = `Application ${wanted.namespace}/${wanted.application}`;
      const app = await objects.get({ ...APPLICATIONS, namespace: wanted.namespace, name: wanted.application });
      if (!app) {
        return {
          state: 'failed',
          detail: `${label} was not found in the cluster; check sync.argocd.application and sync.argocd.namespace, and that Argo CD runs in the cluster the app reads`,
        };
      }
      const status = (app.status ?? {}) as ApplicationStatus;
      const operation = status.operationState;
      if (operation?.phase && FAILED_OPERATION.has(operation.phase)) {
        const source = operation.syncResult ?? operation.operation?.sync;
        const failedAt = await firstReaching(contains, target, [source?.revision, ...(source?.revisions ?? [])]);
        if (failedAt) {
          return { state: 'failed', detail: `${label}: the sync of ${short(failedAt)}${laterNote(failedAt, target.sha)} ended ${operation.phase}${suffix(operation.message)}` };
        }
      }

      const sync = status.sync ?? {};
      const health = status.health?.status;
      const seen = `${label} is ${sync.status ?? 'Unknown'} at ${sync.revision ? short(sync.revision) : sync.revisions?.map(short).join(', ') || 'no revision'}, ${health ?? 'health Unknown'}`;
      // Only a state that would decide needs the revision checked (which may ask GitHub).
      if (health === 'Degraded' || (sync.status === 'Synced' && health === 'Healthy')) {
        const at = await firstReaching(contains, target, [sync.revision, ...(sync.revisions ?? [])]);
        if (at && health === 'Degraded') return { state: 'failed', detail: `${label} is Degraded at ${short(at)}${laterNote(at, target.sha)}${suffix(status.health?.message)}` };
        if (at) return { state: 'applied', detail: `${label} is Synced and Healthy at ${short(at)}${laterNote(at, target.sha)}` };
      }
      return { state: 'pending', detail: operation?.phase === 'Running' ? `${seen}, sync Running` : seen };
    },
  };
}

/** The first of the revisions an Application reports that reaches the commit. */
async function firstReaching(contains: ContainsCommit, target: SyncTarget, revisions: (string | undefined)[]): Promise<string | undefined> {
  for (const revision of revisions) if (await reaches(contains, target, revision)) return revision;
  return undefined;
}

function suffix(message: string | undefined): string {
  return message ? `: ${message}` : '';
}
