import { describe, it, expect } from '@jest/globals';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AnalysisTemplateError } from '../../src/analysis/errors.js';
import { catalogOf, findTemplate, loadTemplates, loadTemplatesFromSource, parseTemplateText } from '../../src/analysis/templates.js';
import { thrownBy } from './support.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/analysis');

const catch_ = (fn: () => unknown): AnalysisTemplateError => thrownBy(AnalysisTemplateError, fn);

describe('loadTemplates', () => {
  it('loads files and folders recursively, .yaml and .yml, several documents per file, other kinds ignored', async () => {
    const catalog = await loadTemplates(fixtures, ['library', 'error-rate.yaml']);
    const names = catalog.templates.map((t) => `${t.kind}/${t.name} ${t.file}`).sort();
    expect(names).toEqual([
      'AnalysisTemplate/error-rate error-rate.yaml',
      'AnalysisTemplate/saturation library/nested/saturation.yml',
      'AnalysisTemplate/success-rate library/templates.yaml',
      'ClusterAnalysisTemplate/latency library/templates.yaml',
    ]);
    expect(catalog.searched).toEqual(['library', 'error-rate.yaml']);
  });

  it('names a path that does not exist', async () => {
    await expect(loadTemplates(fixtures, ['analysis/missing'])).rejects.toThrow('template path "analysis/missing" does not exist');
  });

  it('reads through any file source', async () => {
    const files: Record<string, string> = {
      'analysis/a.yaml': 'apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: a}\nspec:\n  metrics: [{name: m, provider: {prometheus: {query: up}}}]\n',
      'analysis/notes.txt': 'ignored',
    };
    const source = {
      listFiles: async (p: string) => {
        const found = Object.keys(files).filter((f) => f === p || f.startsWith(`${p}/`));
        return found.length ? found : null;
      },
      readFile: async (p: string) => files[p],
    };
    const catalog = await loadTemplatesFromSource(source, ['analysis']);
    expect(catalog.templates.map((t) => t.name)).toEqual(['a']);
  });
});

describe('parseTemplateText', () => {
  it('reports invalid YAML with the file and line', () => {
    const error = catch_(() => parseTemplateText('kind: AnalysisTemplate\nspec: [\n', 'analysis/broken.yaml'));
    expect(error.code).toBe('template-load');
    expect(error.message).toMatch(/^analysis\/broken\.yaml:\d+:\d+: invalid YAML: /);
    expect([error.file, typeof error.line, typeof error.column]).toEqual(['analysis/broken.yaml', 'number', 'number']);
  });

  it('reports a template without metrics, naming the file, template and field', () => {
    const text = 'apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: empty}\nspec:\n  metrics: []\n';
    const error = catch_(() => parseTemplateText(text, 'a.yaml'));
    expect(error.code).toBe('template-invalid');
    expect(error.message).toBe('a.yaml, template "empty": spec.metrics: needs at least one metric');
  });

  it('rejects a template of another apiVersion', () => {
    const text = 'apiVersion: argoproj.io/v2\nkind: AnalysisTemplate\nmetadata: {name: x}\nspec:\n  metrics: [{name: m}]\n';
    expect(catch_(() => parseTemplateText(text, 'a.yaml')).message).toContain('apiVersion');
  });

  it('ignores empty documents and documents of other kinds', () => {
    expect(parseTemplateText('---\n---\nkind: Service\n', 'a.yaml')).toEqual([]);
    expect(parseTemplateText('', 'a.yaml')).toEqual([]);
  });
});

describe('unknown fields and invalid templates', () => {
  const doc = (name: string, extra = '') =>
    `apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: ${name}, labels: {team: a}}\nspec:\n  metrics: [{name: m, provider: {prometheus: {query: up}}}]\n${extra}`;

  it('are errors naming the field, never ignored', () => {
    expect(catch_(() => parseTemplateText(doc('t', '  metric: []\n'), 'a.yaml')).message).toBe('a.yaml, template "t": spec.metric: unknown field "metric"');
    expect(catch_(() => parseTemplateText(`${doc('t')}status: {}\n`, 'a.yaml')).message).toBe('a.yaml, template "t": status: unknown field "status"');
    expect(catch_(() => parseTemplateText(doc('t', '  templates: [{templateName: x, scope: cluster}]\n'), 'a.yaml')).message).toBe(
      'a.yaml, template "t": spec.templates[0].scope: unknown field "scope"',
    );
  });

  it('are kept apart in a catalog: only a lookup of that template fails, with its own error', async () => {
    const files: Record<string, string> = { 'analysis/good.yaml': doc('good'), 'analysis/bad.yaml': `# a comment\n${doc('bad', '  metricz: []\n')}` };
    const source = {
      listFiles: async (p: string) => (p === 'analysis' ? Object.keys(files) : null),
      readFile: async (p: string) => files[p],
    };
    const catalog = await loadTemplatesFromSource(source, ['analysis']);
    expect(catalog.templates.map((t) => t.name)).toEqual(['good']);
    expect(catalog.broken.map((t) => [t.file, t.name, t.line])).toEqual([['analysis/bad.yaml', 'bad', 2]]);
    expect(findTemplate(catalog, { templateName: 'good' }).name).toBe('good');
    expect(catch_(() => findTemplate(catalog, { templateName: 'bad' })).message).toBe('analysis/bad.yaml, template "bad": spec.metricz: unknown field "metricz"');
  });
});

describe('findTemplate', () => {
  it('finds by name and scope', async () => {
    const catalog = await loadTemplates(fixtures, ['library']);
    expect(findTemplate(catalog, { templateName: 'success-rate' }).kind).toBe('AnalysisTemplate');
    expect(findTemplate(catalog, { templateName: 'latency', clusterScope: true }).kind).toBe('ClusterAnalysisTemplate');
  });

  it('names a missing template and lists the names found', async () => {
    const catalog = await loadTemplates(fixtures, ['library']);
    const error = catch_(() => findTemplate(catalog, { templateName: 'error-rates' }));
    expect(error.code).toBe('template-not-found');
    expect(error.message).toBe('template "error-rates": AnalysisTemplate "error-rates" not found in library; found "saturation", "success-rate"');
  });

  it('points at clusterScope when the other kind has the name', async () => {
    const catalog = await loadTemplates(fixtures, ['library']);
    const error = catch_(() => findTemplate(catalog, { templateName: 'latency' }));
    expect(error.message).toContain('a ClusterAnalysisTemplate with that name exists: set clusterScope: true');
  });

  it('rejects two templates of one kind with one name', () => {
    const doc = 'apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: twin}\nspec:\n  metrics: [{name: m}]\n';
    const error = catch_(() => catalogOf([...parseTemplateText(doc, 'a.yaml'), ...parseTemplateText(doc, 'b.yaml')]));
    expect(error.code).toBe('template-duplicate');
    expect(error.message).toContain('b.yaml, template "twin": AnalysisTemplate "twin" is defined twice (also in a.yaml)');
  });
});
