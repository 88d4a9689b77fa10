/**
 * ingress-nginx canary Ingress: annotations `nginx.ingress.kubernetes.io/canary: "true"` and
 * `nginx.ingress.kubernetes.io/canary-weight: "w"`. Annotation values are strings, so they are
 * written double-quoted (or single-quoted where the file already does).
 */
import { isMap, isScalar, type Scalar, type YAMLMap } from 'yaml';
import { insertPair, replaceScalar, type ScalarStyle, type TextEdit } from '../manifests/yaml-edit.js';
import type { YamlDocument, YamlFile } from '../manifests/yaml-file.js';
import { formatPath } from '../manifests/yaml-path.js';
import { trafficError } from './errors.js';
import type { TrafficConfigOf, TrafficProvider } from './provider.js';
import { singleFileProvider, weightOf } from './weights.js';

export const CANARY_ANNOTATION = 'nginx.ingress.kubernetes.io/canary';
export const WEIGHT_ANNOTATION = 'nginx.ingress.kubernetes.io/canary-weight';
export const WEIGHT_TOTAL_ANNOTATION = 'nginx.ingress.kubernetes.io/canary-weight-total';

const ANNOTATIONS = ['metadata', 'annotations'] as const;

export function createNginxProvider(traffic: TrafficConfigOf<'nginx'>): TrafficProvider {
  const locate = (file: YamlFile): YamlDocument =>
    file.selectDocument({ kinds: ['Ingress'], name: traffic.name, prefer: (doc) => annotationText(file, doc, CANARY_ANNOTATION) === 'true' });

  const readFrom = (file: YamlFile): number => {
    const doc = locate(file);
    const canary = annotationText(file, doc, CANARY_ANNOTATION);
    if (canary !== 'true') {
      const now = canary === undefined ? 'is missing' : `is "${canary}"`;
      throw trafficError(file, 'not-canary', `the annotation ${CANARY_ANNOTATION} ${now}, so this Ingress takes traffic as a regular Ingress; set it to "true".`, {
        node: annotationNode(file, doc, CANARY_ANNOTATION),
        key: file.describe(doc),
      });
    }
    const weight = annotationNode(file, doc, WEIGHT_ANNOTATION);
    // without the annotation ingress-nginx sends the canary nothing
    if (!weight) return 0;
    const total = weightTotal(file, doc);
    const value = weightOf(file, weight, annotationKey(WEIGHT_ANNOTATION), { allowStrings: true, max: total });
    return Math.round((value * 100) / total);
  };

  return singleFileProvider('nginx', traffic.file, readFrom, (file, weight) => {
    const doc = locate(file);
    const total = weightTotal(file, doc);
    // Rounding would commit a weight other than the step's, and analysis would judge the wrong split.
    if ((weight * total) % 100 !== 0) {
      const nearest = Math.round((Math.round((weight * total) / 100) * 100) / total);
      throw trafficError(
        file,
        'invalid-weight',
        `${weight}% cannot be written with a weight total of ${total} (the nearest is ${nearest}%); set ${WEIGHT_TOTAL_ANNOTATION} to a multiple of 100, or use steps it can express.`,
        { node: annotationNode(file, doc, WEIGHT_TOTAL_ANNOTATION), key: annotationKey(WEIGHT_TOTAL_ANNOTATION) },
      );
    }
    const value = (weight * total) / 100;
    return annotationEdits(file, doc, [
      [CANARY_ANNOTATION, 'true'],
      [WEIGHT_ANNOTATION, String(value)],
    ]);
  });
}

function annotationKey(name: string): string {
  return formatPath([...ANNOTATIONS, name]);
}

function annotationNode(file: YamlFile, doc: YamlDocument, name: string): Scalar | undefined {
  const result = file.lookup(doc, [...ANNOTATIONS, name]);
  return result.found && isScalar(result.node) ? result.node : undefined;
}

function annotationText(file: YamlFile, doc: YamlDocument, name: string): string | undefined {
  const node = annotationNode(file, doc, name);
  return node && node.value !== null ? file.scalarText(node) : undefined;
}

/** `canary-weight-total` (default 100) lets weights be finer than percents. */
function weightTotal(file: YamlFile, doc: YamlDocument): number {
  const node = annotationNode(file, doc, WEIGHT_TOTAL_ANNOTATION);
  if (!node) return 100;
  const total = weightOf(file, node, annotationKey(WEIGHT_TOTAL_ANNOTATION), { allowStrings: true });
  if (total === 0) throw trafficError(file, 'invalid-weight', 'the weight total is 0; remove the annotation or set it to "100".', { node, key: annotationKey(WEIGHT_TOTAL_ANNOTATION) });
  return total;
}

function annotationEdits(file: YamlFile, doc: YamlDocument, wanted: readonly (readonly [string, string])[]): TextEdit[] {
  const annotations = file.lookup(doc, ANNOTATIONS);
  if (!annotations.found) {
    const metadata = file.nodeAt(doc, ['metadata'], 'Ingress metadata');
    if (!isMap(metadata)) throw file.error('not-a-scalar', 'metadata must be a map.', { node: metadata, key: 'metadata' });
    return [insertPair(file, metadata, 'annotations', Object.fromEntries(wanted), { style: 'QUOTE_DOUBLE', key: 'metadata.annotations' })];
  }
  if (!isMap(annotations.node)) {
    throw file.error('unsupported-yaml', 'metadata.annotations has no entries; write `annotations: {}` or add the annotations by hand.', {
      node: annotations.node,
      key: formatPath(ANNOTATIONS),
    });
  }
  const map = annotations.node as YAMLMap;
  const edits: TextEdit[] = [];
  for (const [name, value] of wanted) {
    const key = annotationKey(name);
    const node = annotationNode(file, doc, name);
    if (!node) {
      edits.push(insertPair(file, map, name, value, { style: 'QUOTE_DOUBLE', key }));
      continue;
    }
    if (node.value === value && node.type !== 'PLAIN') continue;
    const editable = file.editableScalarAt(doc, [...ANNOTATIONS, name], 'annotation');
    // a plain 10 would reach Kubernetes as a number, which annotations reject: quote it
    const style: ScalarStyle = editable.type === 'QUOTE_SINGLE' ? 'QUOTE_SINGLE' : 'QUOTE_DOUBLE';
    edits.push(replaceScalar(file, editable, value, { style, key }));
  }
  return edits;
}
