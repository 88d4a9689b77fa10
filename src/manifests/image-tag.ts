/**
 * Reading and setting the version of an image where a service's canary or stable file keeps it:
 * in workload containers, in a kustomization's `images:`, or at an explicit `path` (SPEC §1).
 */
import { isMap, isScalar, isSeq, type Node, type Scalar, type YAMLMap } from 'yaml';
import type { ImageLocation } from '../config/opsbox.schema.js';
import { ManifestError } from './errors.js';
import { formatImageReference, formatVersion, parseImageReference, parseVersion, sameRepository, type ImageVersion } from './image-ref.js';
import { findWorkloadsRunning } from './workloads.js';
import { applyEditsChecked, insertPair, removePair, replaceScalar, type TextEdit } from './yaml-edit.js';
import { YamlFile, type YamlDocument } from './yaml-file.js';
import { formatPath, type PathSegment } from './yaml-path.js';

/** One place in a file that holds the image's version. */
interface ImageSite {
  /** What the place is, for messages: `container api`, `images[0]`, `image.tag`. */
  readonly label: string;
  readonly key: string;
  readonly node: Node;
  readonly version: ImageVersion;
  edits(target: ImageVersion): TextEdit[];
}

/** The version in use: a tag (`v2`), a digest (`sha256:…`), or both (`v2@sha256:…`). */
export function readImageVersion(text: string, location: ImageLocation, image: string): string {
  return readVersion(YamlFile.parse(location.file, text), location, image);
}

/** Returns the new text with every place of the image set to `version`; the same text when already set. */
export function setImageVersion(text: string, location: ImageLocation, image: string, version: string): string {
  const target = parseVersion(version);
  if (!target) {
    throw new ManifestError(
      'invalid-version',
      { file: location.file },
      `"${version}" is not an image version; use a tag (v2), a digest (sha256:…) or both (v2@sha256:…).`,
    );
  }
  const wanted = formatVersion(target)!;
  const file = YamlFile.parse(location.file, text);
  const sites = locateImage(file, location, image);
  const edits = sites.filter((site) => formatVersion(site.version) !== wanted).flatMap((site) => site.edits(target));
  return applyEditsChecked(file, edits, (edited) => {
    try {
      const now = readVersion(edited, location, image);
      return now === wanted ? undefined : `${image} reads ${now} instead of ${wanted}`;
    } catch (error) {
      return error instanceof ManifestError ? error.detail : String(error);
    }
  });
}

function readVersion(file: YamlFile, location: ImageLocation, image: string): string {
  const sites = locateImage(file, location, image);
  const versions = sites.map((site) => formatVersion(site.version));
  const unversioned = sites.find((_, index) => versions[index] === undefined);
  if (unversioned) {
    throw file.error('version-missing', `${image} has no tag or digest; pin a version (e.g. ${image}:v1) so canary and stable can be compared.`, {
      node: unversioned.node,
      key: unversioned.key,
    });
  }
  if (new Set(versions).size > 1) {
    const listing = sites.map((site, index) => `${site.label} ${versions[index]}`).join(', ');
    throw file.error('versions-disagree', `the places that use ${image} disagree: ${listing}. Give them the same version.`, {
      node: sites[0].node,
      key: sites[0].key,
    });
  }
  return versions[0]!;
}

function locateImage(file: YamlFile, location: ImageLocation, image: string): ImageSite[] {
  if (location.path !== undefined) return [pathSite(file, location.path, location.name, image)];
  const overrides = kustomizationImages(file);
  if (overrides) return kustomizationSites(file, overrides, image);
  return workloadSites(file, location.name, image);
}

function workloadSites(file: YamlFile, name: string | undefined, image: string): ImageSite[] {
  const matches = findWorkloadsRunning(file, image, name);
  if (matches.length > 1) {
    throw file.error('ambiguous', `${matches.length} documents run ${image} (${file.describeAll(matches.map((match) => match.document))}); set \`name\` to the metadata.name of the one to use.`);
  }
  const seen = new Set<Scalar>();
  const sites: ImageSite[] = [];
  for (const container of matches[0].containers) {
    // containers that share an anchored image (`image: *api`) share one scalar: edit it once
    if (seen.has(container.node)) continue;
    seen.add(container.node);
    const reference = parseImageReference(container.reference);
    const key = formatPath(container.path);
    sites.push({
      label: `container ${container.containerName ?? key}`,
      key,
      node: container.node,
      version: reference,
      edits: (target) => [replaceScalar(file, container.node, formatImageReference(reference.repository, target), { key })],
    });
  }
  return sites;
}

interface ImageOverrides {
  readonly doc: YamlDocument;
  /** `images` in a kustomization, `spec.images` in a Flux Kustomization. */
  readonly path: readonly PathSegment[];
}

function kustomizationImages(file: YamlFile): ImageOverrides | undefined {
  for (const doc of file.documents) {
    if (doc.kind !== 'Kustomization') continue;
    if (doc.apiVersion?.startsWith('kustomize.config.k8s.io/')) return { doc, path: ['images'] };
    if (doc.apiVersion?.startsWith('kustomize.toolkit.fluxcd.io/')) return { doc, path: ['spec', 'images'] };
  }
  const basename = file.path.split('/').at(-1) ?? '';
  const first = file.documents[0];
  return first && /^(kustomization\.ya?ml|Kustomization)$/.test(basename) ? { doc: first, path: ['images'] } : undefined;
}

function kustomizationSites(file: YamlFile, overrides: ImageOverrides, image: string): ImageSite[] {
  const listKey = formatPath(overrides.path);
  const images = file.lookup(overrides.doc, overrides.path);
  if (!images.found || !isSeq(images.node) || images.node.items.length === 0) {
    throw file.error('image-not-found', `the kustomization has no ${listKey}: entries; add one with name: ${image} and newTag: <version>.`);
  }
  const sites: ImageSite[] = [];
  const found: string[] = [];
  images.node.items.forEach((item, index) => {
    if (!isMap(item)) return;
    const name = stringField(file, item, 'name');
    const newName = stringField(file, item, 'newName');
    found.push(newName ? `${name} → ${newName}` : (name ?? `${listKey}[${index}]`));
    if (!(name && sameRepository(name, image)) && !(newName && sameRepository(newName, image))) return;
    sites.push(kustomizationSite(file, overrides, item, index));
  });
  if (sites.length === 0) {
    throw file.error('image-not-found', `no ${listKey}: entry has name or newName ${image}; found: ${found.join(', ')}. Check the service's \`image\`.`, {
      node: images.node,
      key: listKey,
    });
  }
  return sites;
}

function kustomizationSite(file: YamlFile, overrides: ImageOverrides, entry: YAMLMap, index: number): ImageSite {
  const { doc } = overrides;
  const entryPath = [...overrides.path, index];
  const key = formatPath(entryPath);
  const fields = { tag: 'newTag', digest: 'digest' } as const;
  const version: ImageVersion = { tag: stringField(file, entry, fields.tag), digest: stringField(file, entry, fields.digest) };
  return {
    label: key,
    key,
    node: entry,
    version,
    edits(target) {
      const edits: TextEdit[] = [];
      for (const part of ['tag', 'digest'] as const) {
        const field = fields[part];
        const wanted = target[part];
        const fieldPath: PathSegment[] = [...entryPath, field];
        const exists = file.lookup(doc, fieldPath).found;
        const fieldKey = formatPath(fieldPath);
        if (wanted === undefined) {
          if (exists) edits.push(removePair(file, entry, field, { key: fieldKey }));
        } else if (!exists) {
          edits.push(insertPair(file, entry, field, wanted, { key: fieldKey }));
        } else if (version[part] !== wanted) {
          edits.push(replaceScalar(file, file.editableScalarAt(doc, fieldPath, 'image version'), wanted, { key: fieldKey }));
        }
      }
      return edits;
    },
  };
}

function stringField(file: YamlFile, map: YAMLMap, key: string): string | undefined {
  const node = map.get(key, true);
  if (!isScalar(node) || node.value === null) return undefined;
  return file.scalarText(node);
}

function pathSite(file: YamlFile, pathText: string, name: string | undefined, image: string): ImageSite {
  const path = file.parsePath(pathText);
  const doc = file.documentWithPath(path, name);
  const node = file.editableScalarAt(doc, path, 'image version');
  const key = formatPath(path);
  const value = node.value === null ? '' : file.scalarText(node);
  const reference = parseImageReference(value);
  if (value && sameRepository(reference.repository, image)) {
    return {
      label: key,
      key,
      node,
      version: reference,
      edits: (target) => [replaceScalar(file, node, formatImageReference(reference.repository, target), { key })],
    };
  }
  const bare = value === '' ? {} : parseVersion(value);
  if (!bare) {
    throw file.error(
      'image-not-found',
      `holds "${value}", which is neither a version (v2, sha256:…) nor a reference to ${image}. Point \`path\` at the tag or the image reference, or check the service's \`image\`.`,
      { node, key },
    );
  }
  const holds = bareFieldHolds(path, bare);
  const refuse = (version: ImageVersion) => {
    const mismatch = versionMismatch(holds, version);
    if (mismatch) throw file.error('invalid-version', `${mismatch} ${bareFieldAdvice(file, doc, path)}`, { node, key });
  };
  refuse(bare);
  return {
    label: key,
    key,
    node,
    version: bare,
    edits: (target) => {
      refuse(target);
      return [replaceScalar(file, node, formatVersion(target)!, { key })];
    },
  };
}

/**
 * What a key with a bare version holds, by its name (`tag`, `digest`) or else by its value. A
 * chart renders a tag key as `repository:tag` and a digest key as `repository@digest`, so a
 * digest in the one or a tag in the other renders an invalid image reference.
 */
type BareField = 'tag' | 'digest' | 'any';

function bareFieldHolds(path: readonly PathSegment[], current: ImageVersion): BareField {
  const last = path.at(-1);
  if (typeof last === 'string' && /tag$/i.test(last)) return 'tag';
  if (typeof last === 'string' && /digest$/i.test(last)) return 'digest';
  if (current.tag) return 'tag';
  return current.digest ? 'digest' : 'any';
}

function versionMismatch(holds: BareField, version: ImageVersion): string | undefined {
  const text = formatVersion(version);
  if (holds === 'tag' && version.digest && !version.tag) return `holds a tag, and the digest ${text} would render "repository:${text}", which is not a valid image reference.`;
  if (holds === 'digest' && version.tag) return `holds a digest, and ${text} would render "repository@${text}", which is not a valid image reference.`;
  return undefined;
}

function bareFieldAdvice(file: YamlFile, doc: YamlDocument, path: readonly PathSegment[]): string {
  const digestKey = [...path.slice(0, -1), 'digest'];
  const sibling = path.at(-1) !== 'digest' && file.lookup(doc, digestKey).found ? ` (${formatPath(digestKey)} is a separate key; OpsBox writes only the one \`path\` names)` : '';
  return `Bump with a tag or tag@digest, or point \`path\` at a key that holds the full image reference${sibling}.`;
}
