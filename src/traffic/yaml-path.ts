/** Any YAML: `canaryPath` gets the canary weight, the optional `stablePath` gets 100 − weight. */
import type { Scalar } from 'yaml';
import type { YamlDocument, YamlFile } from '../manifests/yaml-file.js';
import { formatPath, type PathSegment } from '../manifests/yaml-path.js';
import { trafficError } from './errors.js';
import type { TrafficConfigOf, TrafficProvider } from './provider.js';
import { singleFileProvider, weightEdit, weightOf } from './weights.js';

interface Located {
  readonly doc: YamlDocument;
  readonly canary: PathSegment[];
  readonly stable?: PathSegment[];
}

export function createYamlPathProvider(traffic: TrafficConfigOf<'yaml-path'>): TrafficProvider {
  const locate = (file: YamlFile): Located => {
    const canary = file.parsePath(traffic.canaryPath);
    const stable = traffic.stablePath === undefined ? undefined : file.parsePath(traffic.stablePath);
    return { doc: file.documentWithPath(canary, traffic.name), canary, stable };
  };

  // the current value is validated before it is replaced, so a typo'd path or a non-number is reported, not overwritten
  const weightAt = (file: YamlFile, doc: YamlDocument, path: PathSegment[]): { node: Scalar; weight: number } => {
    const node = file.editableScalarAt(doc, path, 'weight');
    return { node, weight: weightOf(file, node, formatPath(path), { allowStrings: true, max: 100 }) };
  };

  const readFrom = (file: YamlFile): number => {
    const { doc, canary, stable } = locate(file);
    const weight = weightAt(file, doc, canary).weight;
    if (stable) {
      const stableWeight = weightAt(file, doc, stable).weight;
      if (weight + stableWeight !== 100) {
        throw trafficError(
          file,
          'inconsistent-weights',
          `${formatPath(canary)} is ${weight} and ${formatPath(stable)} is ${stableWeight}; they must add up to 100.`,
          { key: file.describe(doc) },
        );
      }
    }
    return weight;
  };

  return singleFileProvider('yaml-path', traffic.file, readFrom, (file, weight) => {
    const { doc, canary, stable } = locate(file);
    const targets: [PathSegment[], number][] = [[canary, weight]];
    if (stable) targets.push([stable, 100 - weight]);
    return targets.flatMap(([path, value]) => weightEdit(file, weightAt(file, doc, path).node, value, formatPath(path)) ?? []);
  });
}
