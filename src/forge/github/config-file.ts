/**
 * Reads `.github/opsbox.yml` the way Probot's `context.config` does (the repository's default
 * branch, else the owner's `.github` repository, then the `_extends` chain, merged key by key with
 * the nearer file winning), but parses each file itself: a file that is not YAML is a problem with
 * line and column, never a thrown error, and a file that cannot be read is a RepoReadError, which
 * means "try again later", never "your config is wrong".
 */
import { parseConfigSource } from '../../config/load.js';
import type { ConfigProblem } from '../../config/problems.js';
import { RepoReadError } from '../../repo/files.js';
import { githubMessage, requestStatus } from './errors.js';

export interface ConfigFileOctokit {
  request(route: string, params: Record<string, unknown>): Promise<{ data: unknown }>;
}

export type LoadedConfig =
  /** No config anywhere: not a repository the app manages. */
  | { kind: 'none' }
  | { kind: 'invalid'; problems: ConfigProblem[] }
  /** `text` is set when a single file made the config, so schema problems can name its lines. */
  | { kind: 'config'; raw: unknown; text?: string };

interface FileRef {
  owner: string;
  repo: string;
  path: string;
  /** A commit or branch to read the repository's own file at (default: its default branch). */
  ref?: string;
}

/** Files in a chain of `_extends`; a longer chain is refused rather than followed. */
export const MAX_EXTENDS = 5;

export async function loadRepoConfig(octokit: ConfigFileOctokit, where: FileRef): Promise<LoadedConfig> {
  const label = (ref: FileRef) => (ref.owner === where.owner && ref.repo === where.repo ? ref.path : `${ref.owner}/${ref.repo}:${ref.path}`);
  let ref: FileRef = where;
  let text = await readText(octokit, ref);
  if (text === null && where.repo !== '.github') {
    ref = { owner: where.owner, repo: '.github', path: where.path };
    text = await readText(octokit, ref);
  }
  if (text === null) return { kind: 'none' };

  const layers: { raw: Record<string, unknown>; text: string }[] = [];
  const visited = new Set<string>();
  for (let depth = 0; ; depth++) {
    const file = label(ref);
    visited.add(`${ref.owner}/${ref.repo}:${ref.path}`.toLowerCase());
    const parsed = parseConfigSource(text, file);
    if (!parsed.ok) return { kind: 'invalid', problems: parsed.problems };
    if (!isMapping(parsed.raw)) {
      // an empty file is an empty config (as in Probot); anything else is the schema's to describe
      if (parsed.raw === null || parsed.raw === undefined) layers.push({ raw: {}, text });
      else if (layers.length === 0) return { kind: 'config', raw: parsed.raw, text };
      else return { kind: 'invalid', problems: [{ file, key: '', line: 1, column: 1, message: 'expected a mapping of config keys' }] };
      break;
    }
    const { _extends: extendsValue, ...raw } = parsed.raw;
    layers.push({ raw, text });
    if (extendsValue === undefined) break;
    const next = extendsTarget(extendsValue, ref);
    if (typeof next === 'string') return { kind: 'invalid', problems: [{ file, key: '_extends', message: next }] };
    const id = `${next.owner}/${next.repo}:${next.path}`.toLowerCase();
    if (visited.has(id)) {
      return { kind: 'invalid', problems: [{ file, key: '_extends', message: `"${String(extendsValue)}" leads back to ${label(next)}, which is already part of this config; remove the loop` }] };
    }
    if (depth + 1 >= MAX_EXTENDS) {
      return { kind: 'invalid', problems: [{ file, key: '_extends', message: `more than ${MAX_EXTENDS} files are chained with _extends; merge some of them` }] };
    }
    const nextText = await readText(octokit, next);
    if (nextText === null) {
      return {
        kind: 'invalid',
        problems: [{ file, key: '_extends', message: `"${String(extendsValue)}" names ${label(next)}, which does not exist or which the app cannot read (is the app installed on ${next.owner}/${next.repo}?)` }],
      };
    }
    ref = next;
    text = nextText;
  }
  // The nearest file wins, key by key at the top level, as with Probot's context.config.
  const raw = Object.assign({}, ...layers.map((layer) => layer.raw).reverse()) as Record<string, unknown>;
  return layers.length === 1 ? { kind: 'config', raw, text: layers[0].text } : { kind: 'config', raw };
}

/** The file's text at `ref.ref` (default branch without it), or null when there is none. */
async function readText(octokit: ConfigFileOctokit, ref: FileRef): Promise<string | null> {
  let data: unknown;
  try {
    const { ref: at, ...file } = ref;
    ({ data } = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', { ...file, ...(at ? { ref: at } : {}), mediaType: { format: 'raw' } }));
  } catch (error) {
    if (requestStatus(error) === 404) return null;
    const status = requestStatus(error);
    throw new RepoReadError(`could not read ${ref.path} of ${ref.owner}/${ref.repo}${status ? ` (${status})` : ''}: ${githubMessage(error)}`, { cause: error, status });
  }
  // A folder or submodule answers with JSON even when the raw file is asked for.
  if (typeof data !== 'string') return null;
  return data;
}

/** `_extends: repo`, `owner/repo` or `owner/repo:path/file.yml`; a string is the problem with it. */
function extendsTarget(value: unknown, from: FileRef): FileRef | string {
  const usage = 'write _extends as "repo", "owner/repo" or "owner/repo:path/to/file.yml"';
  if (typeof value !== 'string') return `expected a string; ${usage}`;
  const match = /^(?:([A-Za-z\d](?:[A-Za-z\d-]{0,38}))\/)?([\w.-]+)(?::([\w./-]+\.ya?ml))?$/.exec(value.trim());
  if (!match) return `"${value}" is not a repository reference; ${usage}`;
  return { owner: match[1] ?? from.owner, repo: match[2], path: match[3] ?? from.path };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
