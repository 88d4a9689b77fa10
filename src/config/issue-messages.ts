/**
 * Turns the schema's issues into messages that say what the user most likely meant: the Argo
 * steps OpsBox does not run, a did-you-mean for a misspelt key, where a mis-indented key was
 * found, and Flagger's analysis block pointed at the Argo syntax.
 */
import type { z } from 'zod';
import { closestWord } from '../util/closest-word.js';
import { configSchema } from './opsbox.schema.js';
import { formatKeyPath } from './problems.js';

export interface ExplainedIssue {
  path: PropertyKey[];
  message: string;
  /** Point at the key itself (an unknown or misplaced key), not at its value. */
  atKey: boolean;
}

/** Line of a key path in the source, when the text is at hand. */
export type LineOf = (path: PropertyKey[]) => number | undefined;

/** Valid Argo Rollouts canary steps that OpsBox Canary does not run. */
const UNSUPPORTED_ARGO_STEPS = ['setCanaryScale', 'experiment', 'setHeaderRoute', 'setMirrorRoute', 'plugin'];

/** Keys of Flagger's `analysis:` block (its Canary resource), none of which Argo's has. */
const FLAGGER_ANALYSIS_KEYS = ['interval', 'threshold', 'metrics', 'iterations', 'maxWeight', 'stepWeight', 'stepWeights', 'stepWeightPromotion', 'webhooks', 'mirror', 'match'];

type Issue = z.core.$ZodIssue;

export function explainIssues(issues: readonly Issue[], raw: unknown, lineOf: LineOf = () => undefined): ExplainedIssue[] {
  const flagger = flaggerAnalyses(raw);
  const misplacedServices = misplacedServiceKeys(raw);
  const within = (path: readonly PropertyKey[], prefix: readonly PropertyKey[]) => prefix.every((part, index) => path[index] === part);

  // unknown keys one by one, each with its own explanation
  const unknown = issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys' ? issue.keys.map((key) => ({ parent: [...issue.path], key, suggestion: suggestKey([...issue.path], key) })) : [],
  );
  const suggested = (parent: readonly PropertyKey[], key: PropertyKey) =>
    unknown.some((entry) => entry.suggestion === key && entry.parent.length === parent.length && within(entry.parent, parent));

  const explained: ExplainedIssue[] = [];
  const reported = new Set<string>();
  const once = (issue: ExplainedIssue) => {
    const id = `${formatKeyPath(issue.path)}\n${issue.message}`;
    if (!reported.has(id)) explained.push(issue);
    reported.add(id);
  };

  for (const issue of issues) {
    const path = [...issue.path];
    const analysis = flagger.find((entry) => within(path, entry.path));
    if (analysis) {
      once({ path: analysis.path, atKey: true, message: flaggerMessage(analysis.keys) });
      continue;
    }
    const misplaced = misplacedServices.find((name) => within(path, ['services', name]));
    if (misplaced) {
      once({
        path: ['services', misplaced],
        atKey: true,
        message: `"${misplaced}" is not a service but a key of one: indent it under its service (services.<name>.${misplaced})`,
      });
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) once({ path: [...path, key], atKey: true, message: unknownKeyMessage(path, key, suggestKey(path, key)) });
      continue;
    }
    const missing = path.at(-1);
    if (issue.code === 'invalid_type' && issue.input === undefined && missing !== undefined) {
      const parent = path.slice(0, -1);
      // the misspelt key already says "did you mean" this one
      if (suggested(parent, missing)) continue;
      once({ path, atKey: false, message: `is required (${issue.expected})${foundElsewhere(raw, missing, path, lineOf)}` });
      continue;
    }
    // "a step has exactly one of …" adds nothing when the step's key was unknown
    if (issue.code === 'custom' && unknown.some((entry) => entry.parent.length === path.length && within(entry.parent, path))) continue;
    once({ path, atKey: false, message: issue.message });
  }
  return explained;
}

function unknownKeyMessage(parent: readonly PropertyKey[], key: string, suggestion: string | undefined): string {
  if (isStepPath(parent) && UNSUPPORTED_ARGO_STEPS.includes(key)) {
    return `"${key}" is an Argo Rollouts step that is not supported by OpsBox Canary; use setWeight, pause and analysis steps`;
  }
  if (suggestion) return `unknown key "${key}"; did you mean "${suggestion}"?`;
  const home = KEY_HOMES.get(key);
  if (home) return `unknown key "${key}" here; "${key}" belongs at ${home}: check its indentation`;
  return `unknown key "${key}"; check the spelling against the config reference`;
}

function isStepPath(path: readonly PropertyKey[]): boolean {
  return path.length >= 2 && path.at(-2) === 'steps' && typeof path.at(-1) === 'number';
}

/** The known key closest to `key` at `parent` (case does not count), if one clearly is. */
function suggestKey(parent: readonly PropertyKey[], key: string): string | undefined {
  const known = keysAt(CONFIG, parent);
  const byLower = new Map(known.map((name) => [name.toLowerCase(), name]));
  const closest = closestWord(key.toLowerCase(), [...byLower.keys()]);
  return closest === undefined ? undefined : byLower.get(closest);
}

function flaggerMessage(keys: readonly string[]): string {
  const weights = keys.some((key) => /weight/i.test(key)) ? ', the weights as `- setWeight: N` steps' : '';
  return (
    `this is Flagger's analysis (${keys.join(', ')}); OpsBox Canary uses Argo Rollouts' syntax: ` +
    `put the metrics in an AnalysisTemplate and reference it with analysis: { templates: [{ templateName: <name> }], args: [...] }${weights} (see the config reference)`
  );
}

/** `analysis:` blocks (background or in a step) written with Flagger's keys and without `templates`. */
function flaggerAnalyses(raw: unknown): { path: PropertyKey[]; keys: string[] }[] {
  const found: { path: PropertyKey[]; keys: string[] }[] = [];
  const services = objectAt(raw, ['services']);
  for (const [name, service] of Object.entries(services ?? {})) {
    const candidates: PropertyKey[][] = [['services', name, 'analysis']];
    const steps = isObject(service) ? service.steps : undefined;
    if (Array.isArray(steps)) steps.forEach((_, index) => candidates.push(['services', name, 'steps', index, 'analysis']));
    for (const path of candidates) {
      const analysis = objectAt(raw, path);
      if (!analysis || 'templates' in analysis) continue;
      const keys = Object.keys(analysis).filter((key) => FLAGGER_ANALYSIS_KEYS.includes(key));
      if (keys.length > 0) found.push({ path, keys });
    }
  }
  return found;
}

/**
 * Entries of `services:` named like a key of a service (`steps`, `traffic`) whose value is not a
 * service: a key indented too little. A real service that happens to be called `sync` is left alone.
 */
function misplacedServiceKeys(raw: unknown): string[] {
  const serviceKeys = keysAt(CONFIG, ['services', '*']);
  return Object.entries(objectAt(raw, ['services']) ?? {})
    .filter(([name, value]) => serviceKeys.includes(name) && !(isObject(value) && Object.keys(value).some((key) => serviceKeys.includes(key))))
    .map(([name]) => name);
}

/** `; found "steps:" at services.steps (line 7): check its indentation`, or nothing. */
function foundElsewhere(raw: unknown, key: PropertyKey, wanted: readonly PropertyKey[], lineOf: LineOf): string {
  if (typeof key !== 'string') return '';
  const places = pathsWithKey(raw, key).filter((path) => formatKeyPath(path) !== formatKeyPath(wanted));
  if (places.length === 0) return '';
  const listing = places
    .slice(0, 3)
    .map((path) => {
      const line = lineOf(path);
      return `${formatKeyPath(path)}${line === undefined ? '' : ` (line ${line})`}`;
    })
    .join(', ');
  return `; "${key}:" was found at ${listing}: check its indentation`;
}

/** Every path in the parsed config whose last key is `key`; the walk is bounded in depth and size. */
function pathsWithKey(raw: unknown, key: string): PropertyKey[][] {
  const found: PropertyKey[][] = [];
  let budget = 10_000;
  const walk = (node: unknown, path: PropertyKey[]) => {
    if (budget-- <= 0 || path.length > 12) return;
    if (Array.isArray(node)) node.forEach((item, index) => walk(item, [...path, index]));
    else if (isObject(node)) {
      for (const [name, value] of Object.entries(node)) {
        if (name === key) found.push([...path, name]);
        walk(value, [...path, name]);
      }
    }
  };
  walk(raw, []);
  return found;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectAt(raw: unknown, path: readonly PropertyKey[]): Record<string, unknown> | undefined {
  let node = raw;
  for (const part of path) {
    if (Array.isArray(node) && typeof part === 'number') node = node[part];
    else if (isObject(node) && typeof part === 'string') node = node[part];
    else return undefined;
  }
  return isObject(node) ? node : undefined;
}

// Reading the schema's own shape, so the suggestions follow it when keys are added.

interface SchemaDef {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  valueType?: AnySchema;
  options?: AnySchema[];
}
interface AnySchema {
  _zod: { def: SchemaDef };
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'readonly', 'catch']);

function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (let depth = 0; depth < 20; depth++) {
    const def = current._zod.def;
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else break;
  }
  return current;
}

/** The object schemas a value at this schema may be (several for a union). */
function objectsOf(schema: AnySchema): SchemaDef[] {
  const def = unwrap(schema)._zod.def;
  if (def.type === 'object') return [def];
  if (def.type === 'union') return (def.options ?? []).flatMap(objectsOf);
  return [];
}

/** The schemas of a path's value: object keys, array items and record values (`*` or any name). */
function schemasAt(schema: AnySchema, path: readonly PropertyKey[]): AnySchema[] {
  let current = [schema];
  for (const part of path) {
    current = current.flatMap((candidate) => {
      const def = unwrap(candidate)._zod.def;
      if (def.type === 'array' && def.element) return [def.element];
      if (def.type === 'record' && def.valueType) return [def.valueType];
      return objectsOf(candidate).flatMap((object) => {
        const child = typeof part === 'string' ? object.shape?.[part] : undefined;
        return child ? [child] : [];
      });
    });
  }
  return current;
}

function keysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] {
  return [...new Set(schemasAt(schema, path).flatMap(objectsOf).flatMap((object) => Object.keys(object.shape ?? {})))];
}

const CONFIG = configSchema as unknown as AnySchema;

/**
 * Where a key of the schema lives when it lives in one place only (`steps` →
 * `services.<name>.steps`), to name it for a key found elsewhere; `name` or `file` have many.
 */
const KEY_HOMES: ReadonlyMap<string, string> = (() => {
  const homes = new Map<string, Set<string>>();
  const walk = (schema: AnySchema, path: string, depth: number) => {
    if (depth > 8) return;
    const def = unwrap(schema)._zod.def;
    if (def.type === 'array' && def.element) return walk(def.element, `${path}[i]`, depth + 1);
    if (def.type === 'record' && def.valueType) return walk(def.valueType, `${path}.<name>`, depth + 1);
    for (const object of objectsOf(schema)) {
      for (const [key, child] of Object.entries(object.shape ?? {})) {
        const at = path ? `${path}.${key}` : key;
        homes.set(key, (homes.get(key) ?? new Set()).add(at));
        walk(child, at, depth + 1);
      }
    }
  };
  walk(CONFIG, '', 0);
  return new Map([...homes].filter(([, places]) => places.size === 1).map(([key, places]) => [key, [...places][0]]));
})();
