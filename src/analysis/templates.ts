/**
 * Loads AnalysisTemplate and ClusterAnalysisTemplate documents from files and folders and finds
 * them by name. Files may hold several YAML documents; documents of other kinds are ignored.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseAllDocuments, visit, type Document } from 'yaml';
import { duplicateKeyMessage, duplicateKeys, MAX_TEMPLATE_BYTES, oversize } from '../util/yaml-limits.js';
import { RepoReadError } from '../repo/files.js';
import { AnalysisTemplateError, type TemplateLocation } from './errors.js';
import { TEMPLATE_KINDS, describeIssues, templateDocumentSchema, type TemplateDocument } from './template.schema.js';
import type { TemplateKind } from './types.js';

export interface LoadedTemplate {
  readonly kind: TemplateKind;
  readonly name: string;
  /** The file as the user named it (relative to the base directory when loaded from disk). */
  readonly file: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: TemplateDocument['spec'];
}

/**
 * A template document that was found but is invalid. It is an error only for an analysis that uses
 * it; otherwise it is a warning, so one broken template does not block the rollouts of others.
 */
export interface BrokenTemplate {
  readonly kind: TemplateKind;
  /** Absent when the document has no usable metadata.name (nothing can reference it). */
  readonly name?: string;
  readonly file: string;
  /** 1-based line where the document starts. */
  readonly line?: number;
  readonly error: AnalysisTemplateError;
}

export interface TemplateCatalog {
  readonly templates: readonly LoadedTemplate[];
  readonly broken: readonly BrokenTemplate[];
  /** The files and folders the templates were loaded from, for "not found" messages. */
  readonly searched: readonly string[];
}

/** A reference as Argo Rollouts writes it in a step: `{ templateName, clusterScope }`. */
export interface TemplateRef {
  readonly templateName: string;
  readonly clusterScope?: boolean;
}

/**
 * Where template files come from: the local disk, or a repository read through an API.
 * `listFiles` returns every file under a folder (recursively), `[path]` for a file, or null
 * when nothing exists at that path.
 */
export interface TemplateFileSource {
  listFiles(path: string): Promise<string[] | null>;
  readFile(path: string): Promise<string>;
}

const TEMPLATE_FILE = /\.ya?ml$/i;

/** Loads templates from `paths` (files or folders) relative to `baseDir` on the local disk. */
export async function loadTemplates(baseDir: string, paths: readonly string[]): Promise<TemplateCatalog> {
  return loadTemplatesFromSource(diskSource(baseDir), paths);
}

/** Loads templates through any file source (e.g. the GitHub contents of a manifests repository). */
export async function loadTemplatesFromSource(source: TemplateFileSource, paths: readonly string[]): Promise<TemplateCatalog> {
  const templates: LoadedTemplate[] = [];
  const broken: BrokenTemplate[] = [];
  for (const wanted of paths) {
    const files = await source.listFiles(wanted);
    if (files === null) {
      throw new AnalysisTemplateError('template-load', `template path "${wanted}" does not exist; fix analysisTemplates or the --template option`);
    }
    const yamlFiles = files.filter((file) => TEMPLATE_FILE.test(file) || file === wanted).sort();
    for (const file of yamlFiles) {
      let text: string;
      try {
        text = await source.readFile(file);
      } catch (error) {
        // GitHub failing to answer says nothing about the template: the caller tries again later.
        if (error instanceof RepoReadError) throw error;
        throw new AnalysisTemplateError('template-load', `cannot read the file: ${(error as Error).message}`, { file });
      }
      const parsed = parseTemplateDocuments(text, file);
      templates.push(...parsed.templates);
      broken.push(...parsed.broken);
    }
  }
  return catalogOf(templates, paths, broken);
}

/** Builds a catalog from already parsed templates, rejecting two templates of one kind with one name. */
export function catalogOf(templates: readonly LoadedTemplate[], searched: readonly string[] = [], broken: readonly BrokenTemplate[] = []): TemplateCatalog {
  const seen = new Map<string, LoadedTemplate>();
  for (const template of templates) {
    const key = `${template.kind}/${template.name}`;
    const earlier = seen.get(key);
    if (earlier) {
      throw new AnalysisTemplateError(
        'template-duplicate',
        `${template.kind} "${template.name}" is defined twice (also in ${earlier.file}); rename or remove one of them`,
        { file: template.file, template: template.name },
      );
    }
    seen.set(key, template);
  }
  return { templates: [...templates], searched: [...searched], broken: [...broken] };
}

/** Parses every AnalysisTemplate / ClusterAnalysisTemplate document of one YAML file; the first invalid one throws. */
export function parseTemplateText(text: string, file: string): LoadedTemplate[] {
  const { templates, broken } = parseTemplateDocuments(text, file);
  if (broken.length > 0) throw broken[0].error;
  return templates;
}

/**
 * Parses every template document of one YAML file, keeping invalid documents apart with their
 * error. A file that is not YAML at all throws: which templates it holds cannot be known.
 */
export function parseTemplateDocuments(text: string, file: string): { templates: LoadedTemplate[]; broken: BrokenTemplate[] } {
  const tooBig = oversize(text, MAX_TEMPLATE_BYTES, 'a template file');
  if (tooBig) throw new AnalysisTemplateError('template-load', tooBig, { file, line: 1, column: 1 });
  const lineCounter = new LineCounter();
  // uniqueKeys off: the library's check is quadratic; duplicateKeys below is one pass
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const templates: LoadedTemplate[] = [];
  const broken: BrokenTemplate[] = [];
  if (!Array.isArray(documents)) {
    // An empty stream: nothing to load.
    return { templates, broken };
  }
  for (const document of documents) {
    if (document.errors.length > 0) {
      const error = document.errors[0];
      const position = lineCounter.linePos(error.pos[0]);
      throw new AnalysisTemplateError('template-load', `invalid YAML: ${error.message.split('\n')[0]}`, { file, line: position.line, column: position.col });
    }
    const [repeated] = duplicateKeys(document);
    if (repeated) {
      const position = lineCounter.linePos(repeated.offset);
      throw new AnalysisTemplateError('template-load', `invalid YAML: ${duplicateKeyMessage(repeated.key)}`, { file, line: position.line, column: position.col });
    }
    let raw: unknown;
    try {
      raw = document.toJS({ maxAliasCount: MAX_TEMPLATE_ALIASES });
    } catch (error) {
      // Too many alias expansions (`Excessive alias count …`): point at the first alias.
      const position = lineCounter.linePos(firstAliasOffset(document) ?? 0);
      throw new AnalysisTemplateError('template-load', `invalid YAML: ${(error as Error).message.split('\n')[0]}; write the repeated values out or use fewer aliases`, {
        file,
        line: position.line,
        column: position.col,
      });
    }
    if (!isTemplateDocument(raw)) continue;
    const name = templateName(raw);
    const parsed = templateDocumentSchema.safeParse(raw);
    if (!parsed.success) {
      const line = document.contents ? lineCounter.linePos(document.contents.range[0]).line : undefined;
      const error = new AnalysisTemplateError('template-invalid', describeIssues(parsed.error, [], raw), { file, template: name });
      broken.push({ kind: raw.kind as TemplateKind, ...(name !== undefined ? { name } : {}), file, ...(line !== undefined ? { line } : {}), error });
      continue;
    }
    templates.push({ kind: parsed.data.kind, name: parsed.data.metadata.name, file, annotations: parsed.data.metadata.annotations, spec: parsed.data.spec });
  }
  return { templates, broken };
}

/** Alias expansions allowed while reading a template file: plenty for real templates, not for a bomb. */
const MAX_TEMPLATE_ALIASES = 100;

function firstAliasOffset(document: Document): number | undefined {
  let offset: number | undefined;
  visit(document, {
    Alias(_key, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}

/**
 * Finds a referenced template; a missing one is an error that lists what exists, located at `where`
 * (the reference) when given; an invalid one throws its own error.
 */
export function findTemplate(catalog: TemplateCatalog, ref: TemplateRef, where?: TemplateLocation): LoadedTemplate {
  const kind: TemplateKind = ref.clusterScope ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate';
  const found = catalog.templates.find((template) => template.kind === kind && template.name === ref.templateName);
  if (found) return found;
  const broken = catalog.broken.find((template) => template.kind === kind && template.name === ref.templateName);
  if (broken) throw broken.error;
  throw new AnalysisTemplateError('template-not-found', describeMissing(catalog, ref, kind), where ?? { template: ref.templateName });
}

function describeMissing(catalog: TemplateCatalog, ref: TemplateRef, kind: TemplateKind): string {
  const namesOf = (k: TemplateKind) => catalog.templates.filter((t) => t.kind === k).map((t) => t.name);
  const where = catalog.searched.length ? ` in ${catalog.searched.join(', ')}` : '';
  const sameKind = namesOf(kind);
  let message = `${kind} "${ref.templateName}" not found${where}; found ${sameKind.length ? sameKind.map((n) => `"${n}"`).join(', ') : `no ${kind}`}`;
  const otherKind: TemplateKind = kind === 'AnalysisTemplate' ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate';
  if (namesOf(otherKind).includes(ref.templateName)) {
    message += `; a ${otherKind} with that name exists: set clusterScope: ${otherKind === 'ClusterAnalysisTemplate'} in the reference`;
  }
  return message;
}

function isTemplateDocument(raw: unknown): raw is Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return false;
  const kind = (raw as Record<string, unknown>).kind;
  return typeof kind === 'string' && (TEMPLATE_KINDS as readonly string[]).includes(kind);
}

function templateName(raw: Record<string, unknown>): string | undefined {
  const metadata = raw.metadata;
  if (metadata && typeof metadata === 'object' && typeof (metadata as Record<string, unknown>).name === 'string') {
    return (metadata as Record<string, unknown>).name as string;
  }
  return undefined;
}

/** Reads files under `baseDir`; names stay relative so messages match what the user wrote. */
export function diskSource(baseDir: string): TemplateFileSource {
  return {
    async listFiles(relative) {
      const absolute = path.resolve(baseDir, relative);
      const info = await stat(absolute).catch(() => null);
      if (!info) return null;
      if (info.isFile()) return [relative];
      const entries = await readdir(absolute, { recursive: true, withFileTypes: true });
      return entries
        .filter((entry) => entry.isFile())
        .map((entry) => path.join(relative, path.relative(absolute, path.join(entry.parentPath, entry.name))));
    },
    readFile(relative) {
      return readFile(path.resolve(baseDir, relative), 'utf8');
    },
  };
}
