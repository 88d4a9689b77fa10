/**
 * Analysis arguments, Argo style: templates declare `spec.args` (optionally with a default),
 * the analysis step supplies values, and `{{args.name}}` is replaced everywhere in a metric.
 */
import { formatKeyPath } from '../config/problems.js';
import { AnalysisTemplateError, type TemplateLocation } from './errors.js';
import type { LoadedTemplate } from './templates.js';
import { readSecret, secretKeyRefOf, type ClusterSecretValues, type SecretEnv } from './secrets.js';

/** An argument as a rollout step writes it. */
export interface StepArg {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: unknown;
}

/** `{{args.name}}`, with optional whitespace inside the braces. */
const PLACEHOLDER = /\{\{\s*args\.([A-Za-z0-9_.-]+?)\s*\}\}/g;

/** Anything that declares arguments: an AnalysisTemplate or a CanaryJudge. */
export interface ArgsOwner {
  readonly name: string;
  readonly file: string;
  readonly spec: Pick<LoadedTemplate['spec'], 'args'>;
}

interface DeclaredArg {
  name: string;
  value?: string;
  valueFrom?: unknown;
  template: ArgsOwner;
}

/** Where secret arguments are read from, and where the values read are collected for redaction. */
export interface SecretArgs {
  readonly env?: SecretEnv;
  /** Secrets read from the cluster beforehand; the environment is the fallback. */
  readonly cluster?: ClusterSecretValues;
  readonly values: string[];
}

/**
 * Resolves the value of every argument the templates declare. Step values override template
 * defaults; step arguments no template declares are ignored.
 */
export function mergeArgs(templates: readonly ArgsOwner[], stepArgs: readonly StepArg[] = [], secrets?: SecretArgs | 'not-read'): Record<string, string> {
  const declared = new Map<string, DeclaredArg>();
  for (const template of templates) {
    template.spec.args.forEach((arg, index) => {
      const location = { file: template.file, template: template.name, field: `spec.args[${index}]` };
      if (arg.value !== undefined && arg.valueFrom !== undefined) {
        throw new AnalysisTemplateError('argument-invalid', `argument "${arg.name}" has both value and valueFrom; keep one`, location);
      }
      const earlier = declared.get(arg.name);
      if (earlier && earlier.value !== undefined && arg.value !== undefined && earlier.value !== arg.value) {
        throw new AnalysisTemplateError(
          'argument-invalid',
          `argument "${arg.name}" has the default ${JSON.stringify(arg.value)} here but ${JSON.stringify(earlier.value)} in template "${earlier.template.name}"; templates run together must agree`,
          location,
        );
      }
      if (!earlier || earlier.value === undefined) declared.set(arg.name, { ...arg, template });
    });
  }

  const supplied = new Map<string, string>();
  stepArgs.forEach((arg, index) => {
    if (arg.value !== undefined && arg.valueFrom !== undefined) {
      throw new AnalysisTemplateError('argument-invalid', `step argument "${arg.name}" has both value and valueFrom; keep one`, { field: `args[${index}]` });
    }
    if (arg.valueFrom !== undefined) {
      throw new AnalysisTemplateError(
        'argument-invalid',
        `step argument "${arg.name}" uses valueFrom, which is not supported here; give it a plain value`,
        { field: `args[${index}]` },
      );
    }
    if (arg.value !== undefined) supplied.set(arg.name, String(arg.value));
  });

  const values: Record<string, string> = {};
  for (const [name, arg] of declared) {
    const value = supplied.get(name) ?? arg.value;
    if (value !== undefined) {
      values[name] = value;
      continue;
    }
    const location = { file: arg.template.file, template: arg.template.name };
    const secretRef = secretKeyRefOf(arg.valueFrom);
    if (secretRef && secrets === 'not-read') {
      // Checking a checkout: where the secret comes from is a property of where the app runs.
      values[name] = `[secret ${secretRef.name}/${secretRef.key}]`;
      continue;
    }
    if (secretRef && typeof secrets === 'object') {
      const read = readSecret(secretRef, secrets.env, secrets.cluster);
      if ('problem' in read) throw new AnalysisTemplateError('argument-invalid', `argument "${name}" ${read.problem}`, location);
      values[name] = read.value;
      secrets.values.push(read.value);
      continue;
    }
    if (arg.valueFrom !== undefined) {
      const kind = Object.keys(arg.valueFrom as Record<string, unknown>).join(', ') || 'valueFrom';
      throw new AnalysisTemplateError(
        'argument-invalid',
        `argument "${name}" takes its value from ${kind} (valueFrom), which is not supported here; supply a value in the analysis step's args`,
        location,
      );
    }
    throw new AnalysisTemplateError('argument-missing', `argument "${name}" was not supplied; add it to the analysis step's args`, location);
  }
  return values;
}

/**
 * Replaces `{{args.name}}` in every string of `raw` (keys are left alone). An unknown argument
 * is an error naming the placeholder and the field it is in.
 */
export function substituteArgs<T>(
  raw: T,
  args: Readonly<Record<string, string>>,
  where: { location?: TemplateLocation; fieldPrefix?: readonly PropertyKey[] } = {},
): T {
  const substitute = (node: unknown, path: PropertyKey[]): unknown => {
    if (typeof node === 'string') return substituteString(node, args, path, where.location ?? {});
    if (Array.isArray(node)) return node.map((item, index) => substitute(item, [...path, index]));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(node)) out[key] = substitute(value, [...path, key]);
      return out;
    }
    return node;
  };
  return substitute(raw, [...(where.fieldPrefix ?? [])]) as T;
}

function substituteString(text: string, args: Readonly<Record<string, string>>, path: PropertyKey[], location: TemplateLocation): string {
  return text.replace(PLACEHOLDER, (placeholder, name: string) => {
    if (Object.hasOwn(args, name)) return args[name];
    const known = Object.keys(args);
    throw new AnalysisTemplateError(
      'placeholder-unresolved',
      `placeholder ${placeholder} has no argument "${name}" (${known.length ? `arguments: ${known.join(', ')}` : 'the template declares no arguments'}); declare it in spec.args`,
      { ...location, field: formatKeyPath(path) },
    );
  });
}
