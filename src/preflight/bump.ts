/**
 * Which configured services a pull request bumps: the canary version read on both sides. And,
 * for a pull request from a fork, the files the check may trust: the base branch's, with only
 * the canary tag taken from the head (a fork's author must not choose the queries).
 */
import type { OpsboxConfig } from '../config/opsbox.schema.js';
import type { ConfigProblem } from '../config/problems.js';
import { readImageVersion, setImageVersion } from '../manifests/image-tag.js';
import type { RepoFiles } from '../repo/files.js';

export interface PullRequestBump {
  service: string;
  /** The canary version on the base side; empty when it could not be read there. */
  from: string;
  to: string;
}

export interface BumpDetection {
  bumps: PullRequestBump[];
  /** A canary file the head removed or broke. */
  problems: ConfigProblem[];
}

export async function detectBumps(config: OpsboxConfig, base: RepoFiles, head: RepoFiles, configFile: string): Promise<BumpDetection> {
  const bumps: PullRequestBump[] = [];
  const problems: ConfigProblem[] = [];
  for (const [name, service] of Object.entries(config.services)) {
    const [before, after] = await Promise.all([base.readOptional(service.canary.file), head.readOptional(service.canary.file)]);
    if (before === after) continue;
    if (after === null) {
      problems.push({ file: configFile, key: `services.${name}.canary.file`, message: `the pull request removes ${service.canary.file}; restore it or update the config` });
      continue;
    }
    let to: string;
    try {
      to = readImageVersion(after, service.canary, service.image);
    } catch (error) {
      problems.push({ file: service.canary.file, key: `services.${name}.canary`, message: (error as Error).message });
      continue;
    }
    let from = '';
    try {
      if (before !== null) from = readImageVersion(before, service.canary, service.image);
    } catch {
      // a broken base file: the stable version stands in as "from"
    }
    if (from !== to) bumps.push({ service: name, from, to });
  }
  return { bumps, problems };
}

/**
 * The base branch's files with each bumped canary tag set as the head has it. Only the tag
 * travels: every other line of the canary file, the config, templates and traffic stay the base's.
 */
export function withCanaryTags(config: OpsboxConfig, base: RepoFiles, bumps: readonly PullRequestBump[]): RepoFiles {
  const edited = new Map<string, Promise<string | null>>();
  const editedFile = (file: string): Promise<string | null> | undefined => {
    const wanted = bumps.filter((bump) => config.services[bump.service]?.canary.file === file);
    if (wanted.length === 0) return undefined;
    let text = edited.get(file);
    if (!text) {
      text = base.readOptional(file).then((original) => {
        if (original === null) return null;
        let result = original;
        for (const bump of wanted) {
          const service = config.services[bump.service];
          result = setImageVersion(result, service.canary, service.image, bump.to);
        }
        return result;
      });
      edited.set(file, text);
    }
    return text;
  };
  return {
    readOptional: (file) => editedFile(file) ?? base.readOptional(file),
    readFile: async (file) => {
      const text = await (editedFile(file) ?? base.readOptional(file));
      if (text === null) throw new Error(`${file} does not exist on the base branch`);
      return text;
    },
    listFiles: (path) => base.listFiles(path),
  };
}
