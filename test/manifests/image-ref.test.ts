import { describe, expect, it } from '@jest/globals';
import { canonicalRepository, formatImageReference, formatVersion, parseImageReference, parseVersion, sameRepository } from '../../src/manifests/image-ref.js';

const DIGEST = 'sha256:4f1d0b2c3e5a6978877665544332211ffeeddccbbaa99887766554433221100a';

describe('image references', () => {
  it.each([
    ['ghcr.io/acme/api:v1', { repository: 'ghcr.io/acme/api', tag: 'v1', digest: undefined }],
    ['localhost:5000/acme/api:v1', { repository: 'localhost:5000/acme/api', tag: 'v1', digest: undefined }],
    ['localhost:5000/acme/api', { repository: 'localhost:5000/acme/api', tag: undefined, digest: undefined }],
    [`ghcr.io/acme/api@${DIGEST}`, { repository: 'ghcr.io/acme/api', tag: undefined, digest: DIGEST }],
    [`registry.local:443/api:v2@${DIGEST}`, { repository: 'registry.local:443/api', tag: 'v2', digest: DIGEST }],
    ['nginx', { repository: 'nginx', tag: undefined, digest: undefined }],
  ])('parses %s', (reference, parsed) => {
    expect(parseImageReference(reference)).toEqual(parsed);
  });

  it('formats a reference from a repository and a version', () => {
    expect(formatImageReference('localhost:5000/acme/api', { tag: 'v2' })).toBe('localhost:5000/acme/api:v2');
    expect(formatImageReference('ghcr.io/acme/api', { digest: DIGEST })).toBe(`ghcr.io/acme/api@${DIGEST}`);
    expect(formatImageReference('ghcr.io/acme/api', { tag: 'v2', digest: DIGEST })).toBe(`ghcr.io/acme/api:v2@${DIGEST}`);
  });

  it('parses versions and rejects references and garbage', () => {
    expect(parseVersion('v2')).toEqual({ tag: 'v2' });
    expect(parseVersion('1.2.3-rc.1_build')).toEqual({ tag: '1.2.3-rc.1_build' });
    expect(parseVersion(DIGEST)).toEqual({ digest: DIGEST });
    expect(parseVersion(`v2@${DIGEST}`)).toEqual({ tag: 'v2', digest: DIGEST });
    for (const bad of ['', 'ghcr.io/acme/api:v2', 'v2@', '.v2', 'sha256:short', 'a b']) expect(parseVersion(bad)).toBeUndefined();
    expect(formatVersion({ tag: 'v2', digest: DIGEST })).toBe(`v2@${DIGEST}`);
    expect(formatVersion({})).toBeUndefined();
  });

  it('compares Docker Hub names in all their spellings', () => {
    expect(canonicalRepository('nginx')).toBe('docker.io/library/nginx');
    expect(sameRepository('nginx', 'docker.io/library/nginx')).toBe(true);
    expect(sameRepository('envoyproxy/envoy', 'index.docker.io/envoyproxy/envoy')).toBe(true);
    expect(sameRepository('ghcr.io/acme/api', 'ghcr.io/acme/api-worker')).toBe(false);
    expect(sameRepository('localhost:5000/acme/api', 'localhost/acme/api')).toBe(false);
  });
});
