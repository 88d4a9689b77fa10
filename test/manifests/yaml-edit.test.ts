import { describe, expect, it } from '@jest/globals';
import { isMap, type YAMLMap } from 'yaml';
import { ManifestError } from '../../src/manifests/errors.js';
import { applyEdits, insertPair, isPlainSafe, removePair, renderScalar, replaceScalar, type MapValue, type ScalarStyle, type ScalarValue } from '../../src/manifests/yaml-edit.js';
import { YamlFile } from '../../src/manifests/yaml-file.js';

function mapAt(file: YamlFile, path: (string | number)[]): YAMLMap {
  const node = file.nodeAt(file.documents[0], path);
  if (!isMap(node)) throw new Error('not a map');
  return node;
}

/** The text after inserting `key: value` into the map at `path` of the first document. */
function inserted(text: string, path: (string | number)[], key: string, value: ScalarValue | MapValue, options?: { style?: ScalarStyle }): string {
  const file = YamlFile.parse('f.yaml', text);
  return applyEdits(text, [insertPair(file, mapAt(file, path), key, value, options)]);
}

describe('rendering scalars', () => {
  it('keeps plain text plain only when it reads back as the same string in YAML 1.2 and 1.1', () => {
    for (const safe of ['v2', 'sha256:abc', 'ghcr.io/acme/api:v2', '2024.05.1-rc']) expect(isPlainSafe(safe)).toBe(true);
    for (const unsafe of ['1.10', '10', 'true', 'yes', 'on', '~', 'null', 'a: b', '- a', '#x', 'x #y', ' v2', '{a}', '', '0o17', '010']) {
      expect(isPlainSafe(unsafe)).toBe(false);
    }
  });

  it('renders each style', () => {
    expect(renderScalar('v2', 'PLAIN')).toBe('v2');
    expect(renderScalar('1.20', 'PLAIN')).toBe('"1.20"');
    expect(renderScalar(10, 'PLAIN')).toBe('10');
    expect(renderScalar('10', 'QUOTE_DOUBLE')).toBe('"10"');
    expect(renderScalar('say "hi"', 'QUOTE_DOUBLE')).toBe('"say \\"hi\\""');
    expect(renderScalar("it's", 'QUOTE_SINGLE')).toBe("'it''s'");
  });
});

describe('in-place edits', () => {
  it('replaces a scalar without touching its anchor, tag or comment', () => {
    const text = 'a: &x !!str v1   # keep\nb: *x\n';
    const file = YamlFile.parse('f.yaml', text);
    const node = file.editableScalarAt(file.documents[0], ['a']);
    expect(applyEdits(text, [replaceScalar(file, node, 'v2')])).toBe('a: &x !!str v2   # keep\nb: *x\n');
  });

  it('fills an empty value', () => {
    const text = 'image:\n  tag:\n  pullPolicy: Always\n';
    const file = YamlFile.parse('f.yaml', text);
    const node = file.editableScalarAt(file.documents[0], ['image', 'tag']);
    expect(applyEdits(text, [replaceScalar(file, node, 'v2')])).toBe('image:\n  tag: v2\n  pullPolicy: Always\n');
  });

  it('refuses to edit a value reached through an alias, and block scalars', () => {
    const file = YamlFile.parse('f.yaml', 'base: &b {weight: 1}\nroute: *b\nnote: |\n  text\n');
    expect(() => file.editableScalarAt(file.documents[0], ['route', 'weight'])).toThrow(ManifestError);
    expect(() => file.editableScalarAt(file.documents[0], ['route', 'weight'])).toThrow('comes from an alias');
    const note = file.editableScalarAt(file.documents[0], ['note']);
    expect(() => replaceScalar(file, note, 'x')).toThrow('block scalar');
  });

  it('inserts a key after the last entry of a block map, before a following comment, with the siblings indentation', () => {
    const text = 'route:\n  - destination:\n      host: a\n    # the next destination\n  - destination:\n      host: b\n';
    expect(inserted(text, ['route', 0], 'weight', 90)).toBe('route:\n  - destination:\n      host: a\n    weight: 90\n    # the next destination\n  - destination:\n      host: b\n');
  });

  it('inserts at the end of a file without a final newline, and with CRLF', () => {
    expect(inserted('spec:\r\n  a: 1\r\n  b: 2', ['spec'], 'c', 3)).toBe('spec:\r\n  a: 1\r\n  b: 2\r\n  c: 3');
  });

  it('inserts into flow maps, empty or not', () => {
    const text = 'a: {x: 1}\nb: {}\n';
    const file = YamlFile.parse('f.yaml', text);
    const edits = [insertPair(file, mapAt(file, ['a']), 'z', 2), insertPair(file, mapAt(file, ['b']), 'k', 'v')];
    expect(applyEdits(text, edits)).toBe('a: {x: 1, z: 2}\nb: {k: v}\n');
  });

  it('quotes a key that YAML 1.1 would read as a boolean', () => {
    expect(inserted('a: {x: 1}\n', ['a'], 'y', 2)).toBe('a: {x: 1, "y": 2}\n');
  });

  it('inserts a nested map with quoted values', () => {
    expect(inserted('metadata:\n  name: x\n', ['metadata'], 'annotations', { 'example.com/a': 'true' }, { style: 'QUOTE_DOUBLE' })).toBe('metadata:\n  name: x\n  annotations:\n    example.com/a: "true"\n');
  });

  it('removes a key with its line, including a trailing comment', () => {
    const text = 'entry:\n  name: x\n  digest: sha256:abc # pinned\n  newTag: v1\n';
    const file = YamlFile.parse('f.yaml', text);
    expect(applyEdits(text, [removePair(file, mapAt(file, ['entry']), 'digest')])).toBe('entry:\n  name: x\n  newTag: v1\n');
  });

  it('removes the first or a later key of a flow map', () => {
    const text = 'e: {a: 1, b: 2, c: 3}\n';
    const file = YamlFile.parse('f.yaml', text);
    expect(applyEdits(text, [removePair(file, mapAt(file, ['e']), 'a')])).toBe('e: {b: 2, c: 3}\n');
    expect(applyEdits(text, [removePair(file, mapAt(file, ['e']), 'b')])).toBe('e: {a: 1, c: 3}\n');
  });

  it('applies edits at the same offset in the order given and rejects overlaps', () => {
    expect(applyEdits('ab', [{ start: 1, end: 1, text: 'x' }, { start: 1, end: 1, text: 'y' }])).toBe('axyb');
    expect(() => applyEdits('abc', [{ start: 0, end: 2, text: '' }, { start: 1, end: 3, text: '' }])).toThrow('overlapping');
  });
});

describe('YamlFile', () => {
  it('skips empty documents and knows kind and name', () => {
    const file = YamlFile.parse('f.yaml', '---\n# only a comment\n---\nkind: Service\nmetadata: {name: api}\n---\n');
    expect(file.documents.map((doc) => file.describe(doc))).toEqual(['Service api']);
  });

  it('reports the first syntax error with line, column and a hint', () => {
    expect(() => YamlFile.parse('apps/x.yaml', 'a:\n\tb: 1\n')).toThrow(/^apps\/x\.yaml:2:1: invalid YAML: .*; indent with spaces, not tabs\.$/);
    expect(() => YamlFile.parse('apps/x.yaml', 'a: 1\na: 2\n')).toThrow('apps/x.yaml:2:1: invalid YAML: the key "a" appears twice in the same mapping; keep one.');
  });
});
