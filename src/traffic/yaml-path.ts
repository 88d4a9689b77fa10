/** Any YAML: `canaryPath` gets the canary weight, the optional `stablePath` gets 100 − weight. */
import { applyEditsChecked, type TextEdit } from '../manifests/yaml-edit.js';
import type { YamlDocument, YamlFile } from '../manifests/yaml-file.js';
import { formatPath, type PathSegment } from '../manifests/yaml-path.js';
import { trafficError } from './errors.js';
import type { FileSet, TrafficProvider } from './provider.js';
import { parseFileFrom, requireWeight, weightEdit, weightOf } from './weights.js';

export interface YamlPathTraffic {
  readonly file: string;
  readonly name?: string;
  readonly canaryPath: string;
  readonly stablePath?: string;
}

interface Located {
  readonly doc: YamlDocument;
  readonly canary: PathSegment[];
  readonly stable?: PathSegment[];
}

export function createYamlPathProvider(traffic: YamlPathTraffic): TrafficProvider {
  const locate = (file: YamlFile): Located => {
    const canary = file.parsePath(traffic.canaryPath);
    const stable = traffic.stablePath === undefined ? undefined : file.parsePath(traffic.stablePath);
    return { doc: file.documentWithPath(canary, traffic.name), canary, stable };
  };

  const valueAt = (file: YamlFile, doc: YamlDocument, path: PathSegment[]): number =>
    weightOf(file, file.editableScalarAt(doc, path, 'weight'), formatPath(path), { allowStrings: true, max: 100 });

  const readFrom = (file: YamlFile): number => {
    const { doc, canary, stable } = locate(file);
    const weight = valueAt(file, doc, canary);
    if (stable) {
      const stableWeight = valueAt(file, doc, stable);
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

  return {
    name: 'yaml-path',
    files: [traffic.file],
    readWeight: (files) => readFrom(parseFileFrom(files, traffic.file)),
    setWeight(files: FileSet, weight: number) {
      requireWeight(weight, traffic.file);
      const file = parseFileFrom(files, traffic.file);
      const { doc, canary, stable } = locate(file);
      const targets: [PathSegment[], number][] = [[canary, weight]];
      if (stable) targets.push([stable, 100 - weight]);
      const edits = targets.flatMap(([path, value]): TextEdit[] => {
        // the current value is validated first, so a typo'd path or a non-number is reported, not overwritten
        valueAt(file, doc, path);
        const edit = weightEdit(file, file.editableScalarAt(doc, path, 'weight'), value, formatPath(path));
        return edit ? [edit] : [];
      });
      const text = applyEditsChecked(file, edits, (edited) => {
        const now = readFrom(edited);
        return now === weight ? undefined : `the canary weight reads ${now}% instead of ${weight}%`;
      });
      return text === file.text ? new Map() : new Map([[traffic.file, text]]);
    },
  };
}
