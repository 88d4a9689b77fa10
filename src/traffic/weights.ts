/** Weight scalars and the frame of one-file providers, shared by the providers. */
import { isScalar, type Scalar } from 'yaml';
import type { TrafficProviderName } from '../config/opsbox.schema.js';
import { applyEditsChecked, replaceScalar, type TextEdit } from '../manifests/yaml-edit.js';
import { YamlFile } from '../manifests/yaml-file.js';
import { TrafficError, trafficError } from './errors.js';
import type { FileSet, TrafficProvider } from './provider.js';

/** Weights are whole percents. */
export function requireWeight(weight: number, file: string): void {
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
    throw new TrafficError('invalid-weight', { file }, `cannot set the canary weight to ${weight}: use a whole number from 0 to 100.`);
  }
}

export function parseFileFrom(files: FileSet, path: string): YamlFile {
  const text = files.get(path);
  if (text === undefined) {
    throw new TrafficError('file-missing', { file: path }, 'the file does not exist on the branch; check the path in .github/opsbox.yml.');
  }
  return YamlFile.parse(path, text);
}

/**
 * A non-negative integer weight. Numbers only, unless `allowStrings` (Helm values and annotations
 * keep numbers in strings).
 */
export function weightOf(file: YamlFile, node: Scalar, key: string, options: { allowStrings?: boolean; max?: number } = {}): number {
  const raw = node.value;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && options.allowStrings && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < 0 || (options.max !== undefined && value > options.max)) {
    const range = options.max === undefined ? 'a whole number of 0 or more' : `a whole number from 0 to ${options.max}`;
    // "100" in quotes looks like a number to a reader: say that the quotes are the problem
    const quoted = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw);
    const detail = quoted ? `the weight is the string ${JSON.stringify(raw)}; write it without quotes, as a number` : `the weight is ${JSON.stringify(raw)}; it must be ${range}`;
    throw trafficError(file, 'invalid-weight', `${detail}.`, { node, key });
  }
  return value;
}

/** The edit that puts `value` into a weight scalar, keeping its style; undefined when it already holds it. */
export function weightEdit(file: YamlFile, node: Scalar, value: number, key: string): TextEdit | undefined {
  const current = isScalar(node) ? node.value : undefined;
  if (current === value || current === String(value)) return undefined;
  // a weight kept as a string ("10") stays a string
  return replaceScalar(file, node, typeof current === 'string' ? String(value) : value, { key });
}

/**
 * A provider whose traffic lives in one file: `read` gives the canary weight of the parsed file,
 * `edits` the splices that set it. The edited text is read back before it is returned.
 */
export function singleFileProvider(
  name: TrafficProviderName,
  path: string,
  read: (file: YamlFile) => number,
  edits: (file: YamlFile, weight: number) => TextEdit[],
): TrafficProvider {
  return {
    name,
    files: [path],
    readWeight: (files) => read(parseFileFrom(files, path)),
    setWeight(files: FileSet, weight: number) {
      requireWeight(weight, path);
      const file = parseFileFrom(files, path);
      const text = applyEditsChecked(file, edits(file, weight), (edited) => {
        const now = read(edited);
        return now === weight ? undefined : `the canary weight reads ${now}% instead of ${weight}%`;
      });
      return text === file.text ? new Map() : new Map([[path, text]]);
    },
  };
}
