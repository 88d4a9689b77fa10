/**
 * Traffic by replica counts: the canary and stable workloads share `total` replicas behind one
 * Service, so the canary gets total·w/100 of them and stable the rest. A weight that needs part of
 * a replica is refused, not rounded.
 */
import { isMap } from 'yaml';
import type { ServiceConfig } from '../config/opsbox.schema.js';
import { ManifestError } from '../manifests/errors.js';
import { findWorkloadsRunning } from '../manifests/workloads.js';
import { applyEditsChecked, insertPair, type TextEdit } from '../manifests/yaml-edit.js';
import type { YamlDocument, YamlFile } from '../manifests/yaml-file.js';
import { trafficError } from './errors.js';
import type { FileSet, TrafficProvider } from './provider.js';
import { parseFileFrom, requireWeight, weightEdit, weightOf } from './weights.js';

/** Kinds whose pods are counted by `spec.replicas`. */
const SCALABLE_KINDS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'Rollout', 'ReplicationController']);
const REPLICAS = ['spec', 'replicas'] as const;

type Role = 'canary' | 'stable';

interface Workload {
  readonly role: Role;
  readonly file: YamlFile;
  readonly doc: YamlDocument;
}

/** The share of `canary` replicas out of `total`, in whole percents, as the provider reads it back. */
export function replicaWeight(total: number, canary: number): number {
  return Math.round((canary * 100) / total);
}

/**
 * The canary replicas that carry `weight` % of the traffic, or undefined when no whole number of
 * replicas does (2 replicas in all express only 0, 50 and 100%).
 */
export function canaryReplicas(total: number, weight: number): number | undefined {
  const canary = Math.round((total * weight) / 100);
  return replicaWeight(total, canary) === weight ? canary : undefined;
}

/** Why `weight` cannot be run on `total` replicas: the nearest weights that can, and a total that could. */
export function inexpressibleWeight(total: number, weight: number): string {
  const below = replicaWeight(total, Math.floor((total * weight) / 100));
  const above = replicaWeight(total, Math.ceil((total * weight) / 100));
  const nearest = below === above ? `${below}%` : `${below}% and ${above}%`;
  // 100 replicas express every percent, so this stays bounded
  let enough = total + 1;
  while (enough < 100 && canaryReplicas(enough, weight) === undefined) enough++;
  return `${weight}% cannot be run with traffic.total ${total}: the canary has whole replicas, and the nearest weights are ${nearest}. Use steps that ${total} replicas can express, or set traffic.total to ${enough}.`;
}

export function createReplicasProvider(service: ServiceConfig, total: number): TrafficProvider {
  const paths = [...new Set([service.canary.file, service.stable.file])];

  const locate = (files: FileSet): Record<Role, Workload> => {
    const parsed = new Map(paths.map((path) => [path, parseFileFrom(files, path)]));
    const find = (role: Role): Workload => {
      const location = service[role];
      const file = parsed.get(location.file)!;
      const doc = workloadDocument(file, service.image, location.name, role);
      if (!doc.kind || !SCALABLE_KINDS.has(doc.kind)) {
        throw trafficError(file, 'workload-not-found', `the ${role} ${file.describe(doc)} has no spec.replicas; the replicas provider needs a Deployment, StatefulSet or Rollout.`);
      }
      return { role, file, doc };
    };
    const canary = find('canary');
    const stable = find('stable');
    if (canary.file === stable.file && canary.doc === stable.doc) {
      throw trafficError(
        canary.file,
        'workload-not-found',
        `canary and stable both resolve to ${canary.file.describe(canary.doc)}; set canary.name and stable.name to the two workloads.`,
      );
    }
    return { canary, stable };
  };

  const readFrom = (files: FileSet): number => {
    const { canary, stable } = locate(files);
    const canaryCount = replicasOf(canary);
    const stableCount = replicasOf(stable);
    if (canaryCount + stableCount !== total) {
      throw trafficError(
        canary.file,
        'inconsistent-weights',
        `the canary runs ${canaryCount} and the stable ${stableCount} replicas, ${canaryCount + stableCount} in all, but traffic.total is ${total}; make them add up to ${total}.`,
        { key: canary.file.describe(canary.doc) },
      );
    }
    return replicaWeight(total, canaryCount);
  };

  return {
    name: 'replicas',
    files: paths,
    readWeight: readFrom,
    setWeight(files: FileSet, weight: number) {
      requireWeight(weight, service.canary.file);
      const workloads = locate(files);
      const canary = canaryReplicas(total, weight);
      // rounding would run a split other than the step's, and analysis would judge the wrong one
      if (canary === undefined) {
        throw trafficError(workloads.canary.file, 'invalid-weight', inexpressibleWeight(total, weight), { key: workloads.canary.file.describe(workloads.canary.doc) });
      }
      const wanted: Record<Role, number> = { canary, stable: total - canary };
      const changed = new Map<string, string>();
      for (const path of paths) {
        const inFile = (['canary', 'stable'] as const).filter((role) => workloads[role].file.path === path);
        const file = workloads[inFile[0]].file;
        const edits = inFile.flatMap((role) => replicasEdit(workloads[role], wanted[role]) ?? []);
        const text = applyEditsChecked(file, edits, (edited) => {
          for (const role of inFile) {
            const doc = edited.documents[workloads[role].doc.index];
            const now = replicasOf({ role, file: edited, doc });
            if (now !== wanted[role]) return `the ${role} has ${now} replicas instead of ${wanted[role]}`;
          }
          return undefined;
        });
        if (text !== file.text) changed.set(path, text);
      }
      return changed;
    },
  };
}

function workloadDocument(file: YamlFile, image: string, name: string | undefined, role: Role): YamlDocument {
  let matches;
  try {
    matches = findWorkloadsRunning(file, image, name);
  } catch (error) {
    if (error instanceof ManifestError && error.code === 'image-not-found') {
      throw trafficError(file, 'workload-not-found', `the replicas provider scales the ${role} workload that runs ${image}, and there is none here: ${error.detail}`);
    }
    throw error;
  }
  if (matches.length > 1) {
    throw file.error('ambiguous', `${matches.length} workloads run ${image} (${file.describeAll(matches.map((match) => match.document))}); set ${role}.name to the metadata.name of the ${role} one.`);
  }
  return matches[0].document;
}

function replicasOf(workload: Workload): number {
  const { file, doc } = workload;
  // Kubernetes runs one replica when spec.replicas is not set
  if (!file.lookup(doc, REPLICAS).found) return 1;
  return weightOf(file, file.editableScalarAt(doc, REPLICAS, 'replica count'), 'spec.replicas');
}

function replicasEdit(workload: Workload, replicas: number): TextEdit | undefined {
  const { file, doc } = workload;
  if (file.lookup(doc, REPLICAS).found) return weightEdit(file, file.editableScalarAt(doc, REPLICAS, 'replica count'), replicas, 'spec.replicas');
  const spec = file.nodeAt(doc, ['spec'], 'workload spec');
  if (!isMap(spec)) throw file.error('not-a-scalar', 'spec must be a map.', { node: spec, key: 'spec' });
  return insertPair(file, spec, 'replicas', replicas, { key: 'spec.replicas' });
}
