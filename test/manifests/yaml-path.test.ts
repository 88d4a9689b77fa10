import { describe, expect, it } from '@jest/globals';
import { formatPath, parsePath, PathSyntaxError } from '../../src/manifests/yaml-path.js';

describe('YAML paths', () => {
  it.each([
    ['image.tag', ['image', 'tag']],
    ['api.image', ['api', 'image']],
    ['spec.images[0]', ['spec', 'images', 0]],
    ['router.routes[12].weights.canary', ['router', 'routes', 12, 'weights', 'canary']],
    ['[0].tag', [0, 'tag']],
    ['metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"]', ['metadata', 'annotations', 'nginx.ingress.kubernetes.io/canary-weight']],
    ["a['b.c'].d", ['a', 'b.c', 'd']],
  ])('parses %s', (text, segments) => {
    expect(parsePath(text)).toEqual(segments);
  });

  it.each(['', 'image..tag', 'image.', 'images[x]', 'images[0', 'a["b]', 'a]b'])('rejects %j with a hint', (text) => {
    expect(() => parsePath(text)).toThrow(PathSyntaxError);
    expect(() => parsePath(text)).toThrow('e.g. image.tag or spec.images[0].newTag');
  });

  it('formats paths back, bracketing keys with dots', () => {
    expect(formatPath(['spec', 'template', 'spec', 'containers', 0, 'image'])).toBe('spec.template.spec.containers[0].image');
    expect(formatPath(['metadata', 'annotations', 'nginx.ingress.kubernetes.io/canary'])).toBe('metadata.annotations["nginx.ingress.kubernetes.io/canary"]');
    expect(parsePath(formatPath(['a', 'b.c', 3, 'd']))).toEqual(['a', 'b.c', 3, 'd']);
  });
});
