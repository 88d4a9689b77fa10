import { describe, expect, it } from '@jest/globals';
import { parseDocument } from 'yaml';
import { AnalysisTemplateError } from '../../src/analysis/errors.js';
import { parseJudgeText } from '../../src/analysis/judge/judges.js';
import { parseTemplateText } from '../../src/analysis/templates.js';
import { ManifestError } from '../../src/manifests/errors.js';
import { YamlFile } from '../../src/manifests/yaml-file.js';
import { duplicateKeys, MAX_MANIFEST_BYTES, MAX_TEMPLATE_BYTES, oversize } from '../../src/util/yaml-limits.js';
import { thrownBy } from '../analysis/support.js';

/** A mapping of many short keys: what makes a quadratic duplicate-key check slow. */
function manyKeys(bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `k${i}: 1\n`;
    lines.push(line);
    size += line.length;
  }
  return lines.join('');
}

describe('duplicateKeys', () => {
  it('finds a key repeated in one mapping, at its second occurrence, in nested mappings too', () => {
    const text = 'a: 1\nb:\n  x: 1\n  x: 2\na: 3\n';
    const found = duplicateKeys(parseDocument(text, { uniqueKeys: false }));
    expect(found.map((d) => [d.key, text.slice(d.offset, d.offset + 4)]).sort()).toEqual([
      ['a', 'a: 3'],
      ['x', 'x: 2'],
    ]);
  });

  it('allows the same key in different mappings', () => {
    expect(duplicateKeys(parseDocument('a: {x: 1}\nb: {x: 1}\n', { uniqueKeys: false }))).toEqual([]);
  });
});

describe('oversize', () => {
  it('says how large the file is and the limit, and passes a file within it', () => {
    expect(oversize('x'.repeat(2048), 1024, 'a template file')).toBe('the file is 2 KB; a template file may be at most 1 KB. Is this the right file?');
    expect(oversize('x'.repeat(1024), 1024, 'a template file')).toBeUndefined();
  });

  it('counts UTF-8 bytes, not characters', () => {
    expect(oversize('é'.repeat(600), 1024, 'x')).toContain('the file is 2 KB');
  });
});

describe('files read from a repository stay bounded', () => {
  it('refuses a template file over the limit before parsing it', () => {
    const error = thrownBy(AnalysisTemplateError, () => parseTemplateText(manyKeys(MAX_TEMPLATE_BYTES + 1), 'analysis/huge.yaml'));
    expect(error.message).toMatch(/^analysis\/huge\.yaml:1:1: the file is \d+ KB; a template file may be at most 256 KB/);
  });

  it('refuses a judge file over the limit', () => {
    const error = thrownBy(AnalysisTemplateError, () => parseJudgeText(manyKeys(MAX_TEMPLATE_BYTES + 1), 'analysis/judge.yaml'));
    expect(error.message).toContain('a judge file may be at most 256 KB');
  });

  it('refuses a manifest over the limit', () => {
    const error = thrownBy(ManifestError, () => YamlFile.parse('apps/api/values.yaml', manyKeys(MAX_MANIFEST_BYTES + 1)));
    expect([error.code, error.line, error.detail]).toEqual(['yaml-parse', 1, expect.stringContaining('a manifest may be at most 1.0 MB')]);
  });

  it('still reports a repeated key, with its line, in templates, judges and manifests', () => {
    const template = 'apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: t}\nkind: AnalysisTemplate\n';
    const fromTemplate = thrownBy(AnalysisTemplateError, () => parseTemplateText(template, 'a.yaml'));
    expect(fromTemplate.message).toBe('a.yaml:4:1: invalid YAML: the key "kind" appears twice in the same mapping; keep one');
    const fromJudge = thrownBy(AnalysisTemplateError, () => parseJudgeText('kind: CanaryJudge\nkind: CanaryJudge\n', 'j.yaml'));
    expect(fromJudge.message).toContain('j.yaml:2:1: invalid YAML: the key "kind" appears twice');
    const fromManifest = thrownBy(ManifestError, () => YamlFile.parse('m.yaml', 'spec:\n  replicas: 1\n  replicas: 2\n'));
    expect([fromManifest.line, fromManifest.column, fromManifest.detail]).toEqual([3, 3, 'invalid YAML: the key "replicas" appears twice in the same mapping; keep one.']);
  });

  it('parses a large file of many keys within the limit (the quadratic check would take seconds)', () => {
    // no timing here (bench/ measures): this only shows such a file is read, not refused
    const file = YamlFile.parse('apps/api/values.yaml', manyKeys(200 * 1024));
    expect(file.documents).toHaveLength(1);
  });
});
