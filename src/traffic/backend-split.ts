/**
 * The shared engine of the providers that split traffic between named backends in one routing
 * object (istio, gateway-api, smi, traefik). A provider only says where its backend lists are
 * and what a backend is called; reading, consistency checks and in-place writes live here.
 */
import { isMap, isSeq, type YAMLMap } from 'yaml';
import type { TrafficProviderName } from '../config/opsbox.schema.js';
import { insertPair, type TextEdit } from '../manifests/yaml-edit.js';
import type { YamlDocument, YamlFile } from '../manifests/yaml-file.js';
import { formatPath, type PathSegment } from '../manifests/yaml-path.js';
import { trafficError } from './errors.js';
import type { TrafficConfigOf, TrafficProvider } from './provider.js';
import { singleFileProvider, weightEdit, weightOf } from './weights.js';

export interface Backend {
  /** How the backend appears in messages, e.g. `api-stable` or `api subset canary`. */
  readonly label: string;
  /** The names it answers to (host, short host, subset; service name). */
  readonly names: readonly string[];
  /** The map that holds (or will hold) its `weight`, and its path. */
  readonly entry: YAMLMap;
  readonly path: readonly PathSegment[];
}

/** Backends that share traffic among themselves: one Istio route, one HTTPRoute rule, … */
export interface BackendGroup {
  /** e.g. `http[0]`, `rules[1]`, `backends`. */
  readonly label: string;
  readonly backends: readonly Backend[];
}

export interface BackendSplitKind {
  readonly provider: TrafficProviderName;
  readonly kinds: readonly string[];
  /** What one backend is called in messages: `route destination`, `backendRef`. */
  readonly backendNoun: string;
  /** What one group is called in messages: `route`, `rule`. */
  readonly groupNoun: string;
  /** The weight of a backend without a `weight` key (Istio: 0, Gateway API and Traefik: 1). */
  readonly defaultWeight: number;
  groups(file: YamlFile, doc: YamlDocument): BackendGroup[];
}

type BackendTraffic = TrafficConfigOf<'istio' | 'gateway-api' | 'smi' | 'traefik'>;

interface Split {
  readonly group: BackendGroup;
  readonly stable: Backend;
  readonly canary: Backend;
}

export function createBackendSplitProvider(kind: BackendSplitKind, traffic: BackendTraffic): TrafficProvider {
  const locate = (file: YamlFile): { doc: YamlDocument; splits: Split[] } => {
    const doc = file.selectDocument({ kinds: kind.kinds, name: traffic.name });
    return { doc, splits: findSplits(kind, traffic, file, doc) };
  };

  const readFrom = (file: YamlFile): number => {
    const { doc, splits } = locate(file);
    const shares = splits.map((split) => canaryShare(kind, file, doc, split));
    if (new Set(shares).size > 1) {
      const listing = splits.map((split, index) => `${split.group.label} ${shares[index]}%`).join(', ');
      throw trafficError(
        file,
        'inconsistent-weights',
        `the ${kind.groupNoun}s that split traffic between "${traffic.stable}" and "${traffic.canary}" disagree on the canary weight: ${listing}. Give them the same weights.`,
        { key: file.describe(doc) },
      );
    }
    return shares[0];
  };

  return singleFileProvider(kind.provider, traffic.file, readFrom, (file, weight) => {
    const { doc, splits } = locate(file);
    return splits.flatMap((split) =>
      [setBackendWeight(file, doc, split.stable, 100 - weight), setBackendWeight(file, doc, split.canary, weight)].flatMap((edit) => edit ?? []),
    );
  });
}

function findSplits(kind: BackendSplitKind, traffic: BackendTraffic, file: YamlFile, doc: YamlDocument): Split[] {
  const groups = kind.groups(file, doc);
  const all = groups.flatMap((group) => group.backends);
  const object = file.describe(doc);
  const found = [...new Set(all.map((backend) => backend.label))].join(', ') || 'none';
  const missing = [traffic.stable, traffic.canary].filter((name) => !all.some((backend) => backend.names.includes(name)));
  if (missing.length) {
    const names = missing.map((name) => `"${name}"`).join(' or ');
    throw trafficError(file, 'backend-not-found', `no ${kind.backendNoun} ${names}; found: ${found}. Fix traffic.stable / traffic.canary or the ${doc.kind ?? 'object'}.`, {
      key: object,
    });
  }
  if (traffic.stable === traffic.canary) {
    throw trafficError(file, 'duplicate-backend', `traffic.stable and traffic.canary are both "${traffic.stable}"; they must name different backends.`, { key: object });
  }

  const splits: Split[] = [];
  for (const group of groups) {
    const stable = matching(group, traffic.stable);
    const canary = matching(group, traffic.canary);
    for (const [name, backends] of [
      [traffic.stable, stable],
      [traffic.canary, canary],
    ] as const) {
      if (backends.length > 1) {
        throw trafficError(
          file,
          'duplicate-backend',
          `${backends.length} ${kind.backendNoun}s of ${group.label} match "${name}" (${backends.map((backend) => backend.label).join(', ')}); name backends so that each matches one (e.g. by subset).`,
          { key: object },
        );
      }
    }
    // a group with only one of them (e.g. a header match that always goes to the canary) is left alone
    if (stable.length === 1 && canary.length === 1) {
      const split = { group, stable: stable[0], canary: canary[0] };
      refuseOtherBackends(kind, file, doc, split);
      splits.push(split);
    }
  }
  if (splits.length === 0) {
    throw trafficError(
      file,
      'backend-not-found',
      `no ${kind.groupNoun} sends traffic to both "${traffic.stable}" and "${traffic.canary}"; found: ${groups.map((group) => `${group.label}: ${group.backends.map((backend) => backend.label).join(', ')}`).join('; ')}. Add both to the ${kind.groupNoun} that should be split.`,
      { key: object },
    );
  }
  return splits;
}

/**
 * Weights move only between stable and canary, so a third backend that carries traffic would make
 * every percentage wrong (and a promotion would leave it serving); one at weight 0 stays at 0.
 */
function refuseOtherBackends(kind: BackendSplitKind, file: YamlFile, doc: YamlDocument, split: Split): void {
  const others = split.group.backends
    .filter((backend) => backend !== split.stable && backend !== split.canary)
    .map((backend) => ({ backend, weight: backendWeight(kind, file, doc, backend) }))
    .filter(({ weight }) => weight > 0);
  if (others.length === 0) return;
  const weightNode = (backend: Backend) => file.lookup(doc, [...backend.path, 'weight']);
  const listing = others.map(({ backend, weight }) => `"${backend.label}" (weight ${weight}${weightNode(backend).found ? '' : ', the default'})`).join(', ');
  const first = others[0].backend;
  const written = weightNode(first);
  throw trafficError(
    file,
    'other-backend',
    `${split.group.label} of ${file.describe(doc)} also sends traffic to ${listing}; OpsBox moves traffic only between "${split.stable.label}" and "${split.canary.label}", so the canary's share would be wrong. Set the weight of the other ${kind.backendNoun}s to 0, or move them out of this ${kind.groupNoun}.`,
    written.found ? { node: written.node, key: formatPath([...first.path, 'weight']) } : { node: first.entry, key: formatPath(first.path) },
  );
}

function matching(group: BackendGroup, name: string): Backend[] {
  return group.backends.filter((backend) => backend.names.includes(name));
}

function backendWeight(kind: BackendSplitKind, file: YamlFile, doc: YamlDocument, backend: Backend): number {
  const path = [...backend.path, 'weight'];
  if (!file.lookup(doc, path).found) return kind.defaultWeight;
  // SMI examples (Argo Rollouts' among them) write weights as strings: `weight: "100"`
  return weightOf(file, file.editableScalarAt(doc, path, 'weight'), formatPath(path), { allowStrings: true });
}

/** The canary's percentage of what the split sends to stable and canary together. */
function canaryShare(kind: BackendSplitKind, file: YamlFile, doc: YamlDocument, split: Split): number {
  const stable = backendWeight(kind, file, doc, split.stable);
  const canary = backendWeight(kind, file, doc, split.canary);
  if (stable + canary === 0) {
    throw trafficError(file, 'invalid-weight', `${split.group.label} gives weight 0 to both "${split.stable.label}" and "${split.canary.label}"; give stable 100 and canary 0.`, {
      key: file.describe(doc),
    });
  }
  return Math.round((canary * 100) / (stable + canary));
}

function setBackendWeight(file: YamlFile, doc: YamlDocument, backend: Backend, value: number): TextEdit | undefined {
  const path = [...backend.path, 'weight'];
  const key = formatPath(path);
  if (file.lookup(doc, path).found) return weightEdit(file, file.editableScalarAt(doc, path, 'weight'), value, key);
  return insertPair(file, backend.entry, 'weight', value, { key });
}

/** Helpers for providers: the items of a list at `path`, with their paths. */
export function listItems(file: YamlFile, doc: YamlDocument, path: readonly PathSegment[]): { path: PathSegment[]; node: YAMLMap }[] {
  const result = file.lookup(doc, path);
  if (!result.found || !isSeq(result.node)) return [];
  const items: { path: PathSegment[]; node: YAMLMap }[] = [];
  result.node.items.forEach((_, index) => {
    const itemPath = [...path, index];
    const resolved = file.lookup(doc, itemPath);
    if (resolved.found && isMap(resolved.node)) items.push({ path: itemPath, node: resolved.node });
  });
  return items;
}

/** A string field of a map, or undefined. */
export function stringAt(map: YAMLMap, ...keys: string[]): string | undefined {
  const value = map.getIn(keys);
  return typeof value === 'string' ? value : undefined;
}
