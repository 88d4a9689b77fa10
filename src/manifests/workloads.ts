/**
 * Workload documents and the container images they run: anything with a pod template
 * (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, Argo Rollout), CronJob's job template,
 * and bare Pods.
 */
import { isMap, isScalar, isSeq, type Scalar } from 'yaml';
import { canonicalRepository, parseImageReference, sameRepository } from './image-ref.js';
import type { YamlDocument, YamlFile } from './yaml-file.js';
import type { PathSegment } from './yaml-path.js';

export interface ContainerImage {
  readonly document: YamlDocument;
  /** e.g. `spec.template.spec.containers[1].image` */
  readonly path: readonly PathSegment[];
  /** The scalar holding the reference; for `image: *alias` the anchored scalar. */
  readonly node: Scalar;
  readonly reference: string;
  readonly containerName?: string;
}

const POD_SPEC_PATHS: readonly (readonly string[])[] = [
  ['spec', 'template', 'spec'],
  ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
];
const CONTAINER_LISTS = ['initContainers', 'containers'] as const;

/** Path of the pod spec of a workload document, or undefined when it has none. */
export function podSpecPath(file: YamlFile, doc: YamlDocument): readonly string[] | undefined {
  if (doc.kind === 'Pod') return isMap(doc.document.contents) && file.lookup(doc, ['spec']).found ? ['spec'] : undefined;
  return POD_SPEC_PATHS.find((path) => {
    const result = file.lookup(doc, path);
    return result.found && isMap(result.node);
  });
}

export function containerImages(file: YamlFile, doc: YamlDocument): ContainerImage[] {
  const specPath = podSpecPath(file, doc);
  if (!specPath) return [];
  const images: ContainerImage[] = [];
  for (const list of CONTAINER_LISTS) {
    const listPath = [...specPath, list];
    const result = file.lookup(doc, listPath);
    if (!result.found || !isSeq(result.node)) continue;
    result.node.items.forEach((_, index) => {
      const imagePath = [...listPath, index, 'image'];
      const image = file.lookup(doc, imagePath);
      if (!image.found || !isScalar(image.node) || typeof image.node.value !== 'string') return;
      const name = file.lookup(doc, [...listPath, index, 'name']);
      images.push({
        document: doc,
        path: imagePath,
        node: image.node,
        reference: image.node.value,
        containerName: name.found && isScalar(name.node) ? String(name.node.value) : undefined,
      });
    });
  }
  return images;
}

export interface WorkloadMatch {
  readonly document: YamlDocument;
  /** The containers (and init containers) of this document that run the image. */
  readonly containers: readonly ContainerImage[];
}

/**
 * The workload documents of a file that run `image` (only the one named `name` when given).
 * Throws `document-not-found` or `image-not-found` with what the file does contain.
 */
export function findWorkloadsRunning(file: YamlFile, image: string, name?: string): WorkloadMatch[] {
  const candidates = name === undefined ? file.documents : file.named(name);
  const all = candidates.flatMap((doc) => containerImages(file, doc));
  const matches: WorkloadMatch[] = [];
  for (const doc of candidates) {
    const containers = all.filter((container) => container.document === doc && sameRepository(parseImageReference(container.reference).repository, image));
    if (containers.length) matches.push({ document: doc, containers });
  }
  if (matches.length) return matches;

  const scope = name === undefined ? 'this file' : `"${name}"`;
  if (all.length === 0) {
    throw file.error(
      'image-not-found',
      `no workload with containers in ${scope} (found: ${file.describeAll(candidates)}). For a Helm values file or another format, set \`path\` to the field that holds the tag (e.g. image.tag).`,
    );
  }
  const found = [...new Set(all.map((container) => container.reference))].join(', ');
  throw file.error('image-not-found', `no container in ${scope} runs ${image} (compared as ${canonicalRepository(image)}); found images: ${found}. Check the service's \`image\`.`);
}
