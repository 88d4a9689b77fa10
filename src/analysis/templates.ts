/**
 * Loads AnalysisTemplate and ClusterAnalysisTemplate documents from files and folders and finds
 * them by name. Files may hold several YAML documents; documents of other kinds are ignored.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { AnalysisTemplateError } from './errors.js';
import { TEMPLATE_KINDS, describeIssues, templateDocumentSchema, type TemplateDocument } from './template.schema.js';
import type { TemplateKind } from './types.js';

export interface LoadedTemplate {
  readonly kind: TemplateKind;
  readonly name: string;
  /** The file as the user named it (relative to the base directory when loaded from disk). */
  readonly file: string;
  readonly spec: TemplateDocument['spec'];
}

export interface TemplateCatalog {
  readonly templates: readonly LoadedTemplate[];
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
        throw new AnalysisTemplateError('template-load', `cannot read the file: ${(error as Error).message}`, { file });
      }
      templates.push(...parseTemplateText(text, file));
    }
  }
  return catalogOf(templates, paths);
}

/** Builds a catalog from already parsed templates, rejecting two templates of one kind with one name. */
export function catalogOf(templates: readonly LoadedTemplate[], searched: readonly string[] = []): TemplateCatalog {
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
  return { templates: [...templates], searched: [...searched] };
}

/** Parses every AnalysisTemplate / ClusterAnalysisTemplate document of one YAML file. */
export function parseTemplateText(text: string, file: string): LoadedTemplate[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(documents)) {
    // An empty stream: nothing to load.
    return [];
  }
  const templates: LoadedTemplate[] = [];
  for (const document of documents) {
    if (document.errors.length > 0) {
      const error = document.errors[0];
      const position = lineCounter.linePos(error.pos[0]);
      throw new AnalysisTemplateError('template-load', `invalid YAML at line ${position.line}, column ${position.col}: ${error.message.split('\n')[0]}`, { file });
    }
    const raw: unknown = document.toJS();
    if (!isTemplateDocument(raw)) continue;
    const name = templateName(raw);
    const parsed = templateDocumentSchema.safeParse(raw);
    if (!parsed.success) {
      throw new AnalysisTemplateError('template-invalid', describeIssues(parsed.error, [], raw), { file, template: name });
    }
    templates.push({ kind: parsed.data.kind, name: parsed.data.metadata.name, file, spec: parsed.data.spec });
  }
  return templates;
}

/** Finds a referenced template; a missing one is an error that lists what exists. */
export function findTemplate(catalog: TemplateCatalog, ref: TemplateRef): LoadedTemplate {
  const kind: TemplateKind = ref.clusterScope ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate';
  const found = catalog.templates.find((template) => template.kind === kind && template.name === ref.templateName);
  if (found) return found;
  throw new AnalysisTemplateError('template-not-found', describeMissing(catalog, ref, kind), { template: ref.templateName });
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
