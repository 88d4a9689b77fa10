/**
 * The Handlebars environment of the reports: its own instance (no global helpers leak in or
 * out), output not HTML-escaped (the output is Markdown; escaping is explicit, per context,
 * through the helpers below), and the Markdown templates of `templates/` compiled once.
 */
import { existsSync, readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { cellText, codeCell, codeSpan, commentSafe, blockText, fenceFor, inlineText } from './markdown.js';

/** Templates rendered on their own. */
export const TEMPLATE_NAMES = [
  'status-comment',
  'check-run-summary',
  'check-run-text',
  'revert-pr-body',
  'failure-comment',
  'config-problems',
  'command-reply',
  'command-help',
  'preflight-check',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Templates included by others as `{{> name}}`; their files start with `_`. */
export const PARTIAL_NAMES = ['steps', 'analyses', 'metric', 'chart', 'commits', 'commands', 'command-table', 'history', 'failure', 'judgement', 'problems'] as const;

/** The package's `templates/`: two levels above src/report, three above a compiled dist/src/report. */
export const DEFAULT_TEMPLATE_DIR =
  [new URL('../../templates/', import.meta.url), new URL('../../../templates/', import.meta.url)].find((dir) =>
    existsSync(new URL('status-comment.md.hbs', dir)),
  ) ?? new URL('../../templates/', import.meta.url);

export class ReportTemplateError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'ReportTemplateError';
  }
}

export type CompiledTemplates = Record<TemplateName, Handlebars.TemplateDelegate>;

/** Loads and compiles every template of `dir`; a missing or broken file fails here, naming it. */
export function compileTemplates(dir: URL = DEFAULT_TEMPLATE_DIR): CompiledTemplates {
  const env = Handlebars.create();
  registerHelpers(env);
  const options: CompileOptions = { noEscape: true, preventIndent: true };
  for (const name of PARTIAL_NAMES) {
    const file = new URL(`_${name}.md.hbs`, dir);
    env.registerPartial(name, compileFile(env, file, options));
  }
  const compiled = {} as CompiledTemplates;
  for (const name of TEMPLATE_NAMES) compiled[name] = compileFile(env, new URL(`${name}.md.hbs`, dir), options);
  return compiled;
}

type CompileOptions = Parameters<typeof Handlebars.compile>[1];
type TemplateSpecification = Parameters<typeof Handlebars.template>[0];

function compileFile(env: typeof Handlebars, file: URL, options: CompileOptions): Handlebars.TemplateDelegate {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (error as Error).message})`;
    throw new ReportTemplateError(`report template ${file.pathname} ${why}; it ships in the package's templates/ folder`, file.pathname);
  }
  try {
    // `compile` would defer the work to the first render (and partials to their first use), which
    // then stalls whatever the process is doing; precompiling surfaces syntax errors at load time too.
    const spec = env.precompile(source, options);
    return env.template(new Function(`return ${spec};`)() as TemplateSpecification);
  } catch (error) {
    throw new ReportTemplateError(`report template ${file.pathname} is not valid Handlebars: ${(error as Error).message}`, file.pathname);
  }
}

function registerHelpers(env: typeof Handlebars): void {
  env.registerHelper({
    // Escaping, one helper per Markdown context.
    text: (value: unknown) => inlineText(value),
    cell: (value: unknown) => cellText(value),
    code: (value: unknown) => codeSpan(value),
    codeCell: (value: unknown) => codeCell(value),
    fence: (value: unknown) => fenceFor(value),
    block: (value: unknown) => blockText(value),
    commentSafe: (value: unknown) => commentSafe(value),
    // Small list and logic helpers; the structure stays in the templates.
    join: (list: unknown, separator: unknown) => (Array.isArray(list) ? list.join(typeof separator === 'string' ? separator : ', ') : ''),
    last: (list: unknown, count: unknown) => (Array.isArray(list) ? list.slice(-Math.max(0, Number(count) || 0)) : []),
    omitted: (list: unknown, count: unknown) => (Array.isArray(list) ? Math.max(0, list.length - (Number(count) || 0)) : 0),
    eq: (a: unknown, b: unknown) => a === b,
    ne: (a: unknown, b: unknown) => a !== b,
    or: (...args: unknown[]) => args.slice(0, -1).some(Boolean),
    and: (...args: unknown[]) => args.slice(0, -1).every(Boolean),
    not: (value: unknown) => !value,
    add: (a: unknown, b: unknown) => (Number(a) || 0) + (Number(b) || 0),
    plural: (count: unknown, singular: unknown, plural: unknown) => (Number(count) === 1 ? singular : plural),
  });
}
