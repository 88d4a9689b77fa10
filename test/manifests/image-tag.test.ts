import { describe, expect, it } from '@jest/globals';
import { createPatch } from 'diff';
import { readImageVersion, setImageVersion } from '../../src/manifests/image-tag.js';
import { changedLines, manifestFixture, thrown, toCrlf } from './helpers.js';

const API = 'ghcr.io/acme/api';
const DIGEST_A = 'sha256:0000000000000000000000000000000000000000000000000000000000000001';
const DIGEST_B = 'sha256:b5a0c7f1e2d3c4b5a697887766554433221100ffeeddccbbaa99887766554433';

describe('workload documents', () => {
  const location = { file: 'apps/api/canary.yaml' };

  it('reads the tag shared by the main container and the init container, ignoring the sidecar', () => {
    expect(readImageVersion(manifestFixture('deployment-sidecar.yaml'), location, API)).toBe('v1');
    expect(readImageVersion(manifestFixture('deployment-sidecar.yaml'), location, 'envoyproxy/envoy')).toBe('v1.29.1');
  });

  it('sets every container that runs the image and nothing else', () => {
    const before = manifestFixture('deployment-sidecar.yaml');
    const after = setImageVersion(before, location, API, 'v2');
    expect(changedLines(before, after)).toEqual([
      '-        image: ghcr.io/acme/api:v1',
      '+        image: ghcr.io/acme/api:v2',
      '-        image: ghcr.io/acme/api:v1 # pinned',
      '+        image: ghcr.io/acme/api:v2 # pinned',
    ]);
    expect(readImageVersion(after, location, API)).toBe('v2');
  });

  it('produces a unified diff with only the image lines', () => {
    const before = manifestFixture('deployment-sidecar.yaml');
    const after = setImageVersion(before, location, API, 'v2');
    expect(createPatch('apps/api/canary.yaml', before, after, undefined, undefined, { context: 1 })).toBe(
      [
        'Index: apps/api/canary.yaml',
        '===================================================================',
        '--- apps/api/canary.yaml',
        '+++ apps/api/canary.yaml',
        '@@ -28,3 +28,3 @@',
        '       - name: migrate',
        '-        image: ghcr.io/acme/api:v1',
        '+        image: ghcr.io/acme/api:v2',
        '         args: ["migrate", "--wait-for-db=60s"]',
        '@@ -32,3 +32,3 @@',
        '       - name: api',
        '-        image: ghcr.io/acme/api:v1 # pinned',
        '+        image: ghcr.io/acme/api:v2 # pinned',
        '         ports:',
        '',
      ].join('\n'),
    );
  });

  it('returns the same text when the version is already set', () => {
    const before = manifestFixture('deployment-sidecar.yaml');
    expect(setImageVersion(before, location, API, 'v1')).toBe(before);
  });

  it('refuses to read containers that disagree, and aligns them when setting', () => {
    const before = manifestFixture('deployment-sidecar.yaml').replace('image: ghcr.io/acme/api:v1\n', 'image: ghcr.io/acme/api:v0\n');
    const error = thrown(() => readImageVersion(before, location, API));
    expect(error.code).toBe('versions-disagree');
    expect(error.message).toBe(
      'apps/api/canary.yaml:29:16: spec.template.spec.initContainers[0].image: the places that use ghcr.io/acme/api disagree: container migrate v0, container api v1. Give them the same version.',
    );
    const after = setImageVersion(before, location, API, 'v1');
    expect(changedLines(before, after)).toEqual(['-        image: ghcr.io/acme/api:v0', '+        image: ghcr.io/acme/api:v1']);
  });

  it('keeps double quotes of an Argo Rollout image', () => {
    const before = manifestFixture('rollout.yaml');
    const after = setImageVersion(before, { file: 'rollout.yaml' }, API, 'v2');
    expect(changedLines(before, after)).toEqual(['-          image: "ghcr.io/acme/api:v1"', '+          image: "ghcr.io/acme/api:v2"']);
  });

  it('edits one document of a multi-document file and leaves anchors, flow lists, blank lines and the other documents alone', () => {
    const before = manifestFixture('multi-document.yaml');
    const location = { file: 'apps/api/stable.yaml' };
    expect(readImageVersion(before, location, API)).toBe('v1');
    const after = setImageVersion(before, location, API, 'v2');
    expect(changedLines(before, after)).toEqual([
      "-          image: 'ghcr.io/acme/api:v1'    # promoted by OpsBox",
      "+          image: 'ghcr.io/acme/api:v2'    # promoted by OpsBox",
    ]);
    // the ConfigMap mentions the image in a string, which is not a container
    expect(after).toContain('RELEASE_NOTES: "ghcr.io/acme/api:v1 is the current release"');
  });

  it('finds the containers of a CronJob job template', () => {
    const before = manifestFixture('cronjob.yaml');
    const after = setImageVersion(before, { file: 'cronjob.yaml' }, API, 'v3');
    expect(changedLines(before, after)).toEqual(['-              image: ghcr.io/acme/api:v1', '+              image: ghcr.io/acme/api:v3']);
  });

  it('keeps the registry port and single quotes', () => {
    const before = manifestFixture('registry-port.yaml');
    const location = { file: 'registry-port.yaml' };
    expect(readImageVersion(before, location, 'localhost:5000/acme/api')).toBe('v1');
    const after = setImageVersion(before, location, 'localhost:5000/acme/api', 'v2');
    expect(changedLines(before, after)).toEqual(["-          image: 'localhost:5000/acme/api:v1'", "+          image: 'localhost:5000/acme/api:v2'"]);
  });

  it('reads and writes digests', () => {
    const before = manifestFixture('digest-only.yaml');
    const location = { file: 'digest-only.yaml' };
    expect(readImageVersion(before, location, API)).toBe(DIGEST_A);

    const byDigest = setImageVersion(before, location, API, DIGEST_B);
    expect(changedLines(before, byDigest)).toEqual([
      `-          image: ghcr.io/acme/api@${DIGEST_A} # by digest`,
      `+          image: ghcr.io/acme/api@${DIGEST_B} # by digest`,
    ]);

    const both = setImageVersion(before, location, API, `v2@${DIGEST_B}`);
    expect(changedLines(before, both)).toEqual([
      `-          image: ghcr.io/acme/api@${DIGEST_A} # by digest`,
      `+          image: ghcr.io/acme/api:v2@${DIGEST_B} # by digest`,
    ]);
    expect(readImageVersion(both, location, API)).toBe(`v2@${DIGEST_B}`);

    const tagOnly = setImageVersion(both, location, API, 'v3');
    expect(changedLines(both, tagOnly)).toEqual([
      `-          image: ghcr.io/acme/api:v2@${DIGEST_B} # by digest`,
      `+          image: ghcr.io/acme/api:v3 # by digest`,
    ]);
  });

  it('keeps CRLF line endings', () => {
    const before = toCrlf(manifestFixture('deployment-sidecar.yaml'));
    const after = setImageVersion(before, { file: 'canary.yaml' }, API, 'v2');
    expect(changedLines(before, after)).toEqual([
      '-        image: ghcr.io/acme/api:v1\r',
      '+        image: ghcr.io/acme/api:v2\r',
      '-        image: ghcr.io/acme/api:v1 # pinned\r',
      '+        image: ghcr.io/acme/api:v2 # pinned\r',
    ]);
    expect(after.replace(/\r\n/g, '')).not.toContain('\n');
  });

  it('edits an anchored image once when other containers use it through an alias', () => {
    const before = [
      'kind: Deployment',
      'metadata: {name: api}',
      'spec:',
      '  template:',
      '    spec:',
      '      initContainers:',
      '        - name: migrate',
      '          image: &api ghcr.io/acme/api:v1',
      '      containers:',
      '        - name: api',
      '          image: *api',
      '',
    ].join('\n');
    const after = setImageVersion(before, { file: 'alias.yaml' }, API, 'v2');
    expect(changedLines(before, after)).toEqual(['-          image: &api ghcr.io/acme/api:v1', '+          image: &api ghcr.io/acme/api:v2']);
    expect(readImageVersion(after, { file: 'alias.yaml' }, API)).toBe('v2');
  });

  it('needs `name` when several documents run the image', () => {
    const text = manifestFixture('canary-and-stable.yaml');
    const error = thrown(() => readImageVersion(text, { file: 'apps/api/deployments.yaml' }, API));
    expect(error.code).toBe('ambiguous');
    expect(error.message).toBe(
      'apps/api/deployments.yaml: 2 documents run ghcr.io/acme/api (Deployment api-stable, Deployment api-canary); set `name` to the metadata.name of the one to use.',
    );
    expect(readImageVersion(text, { file: 'd.yaml', name: 'api-canary' }, API)).toBe('v2');
    const after = setImageVersion(text, { file: 'd.yaml', name: 'api-stable' }, API, 'v2');
    expect(changedLines(text, after)).toEqual(['-          image: ghcr.io/acme/api:v1', '+          image: ghcr.io/acme/api:v2']);
    expect(after.indexOf('ghcr.io/acme/api:v2')).toBeLessThan(after.indexOf('name: api-canary'));
  });
});

describe('kustomization images', () => {
  const location = { file: 'apps/api/canary/kustomization.yaml' };

  it('reads newTag, digest, and a newName entry', () => {
    const text = manifestFixture('kustomization.yaml');
    expect(readImageVersion(text, location, API)).toBe('v1');
    expect(readImageVersion(text, location, 'ghcr.io/acme/worker')).toBe(
      '2024.05.1@sha256:4f1d0b2c3e5a6978877665544332211ffeeddccbbaa99887766554433221100a',
    );
    expect(readImageVersion(text, location, 'docker.io/bitnami/postgresql')).toBe('16.2.0');
    expect(readImageVersion(text, location, 'postgres')).toBe('16.2.0');
  });

  it('sets newTag in place', () => {
    const before = manifestFixture('kustomization.yaml');
    const after = setImageVersion(before, location, API, 'v2');
    expect(changedLines(before, after)).toEqual(['-    newTag: v1   # bumped by Renovate', '+    newTag: v2   # bumped by Renovate']);
  });

  it('adds a digest line next to newTag with the same indentation', () => {
    const before = manifestFixture('kustomization.yaml');
    const after = setImageVersion(before, location, API, `v2@${DIGEST_B}`);
    expect(changedLines(before, after)).toEqual(['-    newTag: v1   # bumped by Renovate', '+    newTag: v2   # bumped by Renovate', `+    digest: ${DIGEST_B}`]);
    expect(readImageVersion(after, location, API)).toBe(`v2@${DIGEST_B}`);
  });

  it('updates both fields of a tag@digest entry and keeps the quotes of newTag', () => {
    const before = manifestFixture('kustomization.yaml');
    const after = setImageVersion(before, location, 'ghcr.io/acme/worker', `2024.06.0@${DIGEST_B}`);
    expect(changedLines(before, after)).toEqual([
      '-    newTag: "2024.05.1"',
      '-    digest: sha256:4f1d0b2c3e5a6978877665544332211ffeeddccbbaa99887766554433221100a',
      '+    newTag: "2024.06.0"',
      `+    digest: ${DIGEST_B}`,
    ]);
  });

  it('drops the digest line when the new version is a tag only, and newTag for a digest only', () => {
    const before = manifestFixture('kustomization.yaml');
    const tagOnly = setImageVersion(before, location, 'ghcr.io/acme/worker', '2024.06.0');
    expect(changedLines(before, tagOnly)).toEqual([
      '-    newTag: "2024.05.1"',
      '-    digest: sha256:4f1d0b2c3e5a6978877665544332211ffeeddccbbaa99887766554433221100a',
      '+    newTag: "2024.06.0"',
    ]);
    const digestOnly = setImageVersion(before, location, 'ghcr.io/acme/worker', DIGEST_B);
    expect(changedLines(before, digestOnly)).toEqual([
      '-    newTag: "2024.05.1"',
      '-    digest: sha256:4f1d0b2c3e5a6978877665544332211ffeeddccbbaa99887766554433221100a',
      `+    digest: ${DIGEST_B}`,
    ]);
    expect(readImageVersion(digestOnly, location, 'ghcr.io/acme/worker')).toBe(DIGEST_B);
  });

  it('handles an entry whose first key is newTag and a flow-style entry', () => {
    const before = ['images:', '  - newTag: v1', '    name: ghcr.io/acme/api', '  - {name: ghcr.io/acme/web, newTag: v5}', ''].join('\n');
    const kustomization = { file: 'kustomization.yml' };
    const api = setImageVersion(before, kustomization, API, DIGEST_B);
    expect(api).toBe(['images:', '  - name: ghcr.io/acme/api', `    digest: ${DIGEST_B}`, '  - {name: ghcr.io/acme/web, newTag: v5}', ''].join('\n'));
    const web = setImageVersion(before, kustomization, 'ghcr.io/acme/web', `v6@${DIGEST_B}`);
    expect(changedLines(before, web)).toEqual(['-  - {name: ghcr.io/acme/web, newTag: v5}', `+  - {name: ghcr.io/acme/web, newTag: v6, digest: ${DIGEST_B}}`]);
  });

  it('uses spec.images of a Flux Kustomization', () => {
    const before = manifestFixture('flux-kustomization.yaml');
    const flux = { file: 'clusters/prod/api-canary.yaml' };
    expect(readImageVersion(before, flux, API)).toBe('v1');
    const after = setImageVersion(before, flux, API, `v2@${DIGEST_B}`);
    expect(changedLines(before, after)).toEqual(['-      newTag: v1 # canary', '+      newTag: v2 # canary', `+      digest: ${DIGEST_B}`]);
  });

  it('lists the images entries when the image is not there', () => {
    const error = thrown(() => readImageVersion(manifestFixture('kustomization.yaml'), location, 'ghcr.io/acme/web'));
    expect(error.code).toBe('image-not-found');
    expect(error.message).toBe(
      'apps/api/canary/kustomization.yaml:9:3: images: no images: entry has name or newName ghcr.io/acme/web; found: ghcr.io/acme/api, ghcr.io/acme/worker, postgres → docker.io/bitnami/postgresql. Check the service\'s `image`.',
    );
  });
});

describe('explicit paths', () => {
  it('reads and writes a bare tag and keeps its quotes', () => {
    const before = manifestFixture('values.yaml');
    const location = { file: 'apps/api/values-canary.yaml', path: 'image.tag' };
    expect(readImageVersion(before, location, API)).toBe('v1');
    const after = setImageVersion(before, location, API, 'v2');
    expect(changedLines(before, after)).toEqual(['-  tag: "v1"', '+  tag: "v2"']);
  });

  it('refuses a digest for a tag key, which a chart would render as repository:sha256:…', () => {
    const before = manifestFixture('values.yaml');
    const location = { file: 'apps/api/values.yaml', path: 'image.tag' };
    const digest = `sha256:${'a'.repeat(64)}`;
    const error = thrown(() => setImageVersion(before, location, API, digest));
    expect(error.code).toBe('invalid-version');
    expect(error.message).toBe(
      `apps/api/values.yaml:7:8: image.tag: holds a tag, and the digest ${digest} would render "repository:${digest}", which is not a valid image reference. Bump with a tag or tag@digest, or point \`path\` at a key that holds the full image reference.`,
    );
    // a tag with its digest renders repository:v2@sha256:…, which is valid
    expect(readImageVersion(setImageVersion(before, location, API, `v2@${digest}`), location, API)).toBe(`v2@${digest}`);
    // a canary bumped that way is refused when it is read, before a rollout starts
    const bumped = before.replace('tag: "v1"', `tag: "${digest}"\n  digest: ""`);
    expect(thrown(() => readImageVersion(bumped, location, API)).message).toContain('(image.digest is a separate key; OpsBox writes only the one `path` names)');
  });

  it('refuses a tag for a digest key', () => {
    const before = `image:\n  digest: sha256:${'b'.repeat(64)}\n`;
    const location = { file: 'values.yaml', path: 'image.digest' };
    expect(setImageVersion(before, location, API, `sha256:${'c'.repeat(64)}`)).toBe(`image:\n  digest: sha256:${'c'.repeat(64)}\n`);
    expect(thrown(() => setImageVersion(before, location, API, 'v2')).message).toContain('image.digest: holds a digest, and v2 would render "repository@v2"');
  });

  it('keeps the repository of a full reference', () => {
    const before = manifestFixture('values-reference.yaml');
    const location = { file: 'values.yaml', path: 'api.image' };
    expect(readImageVersion(before, location, API)).toBe('v1');
    const after = setImageVersion(before, location, API, 'v2');
    expect(changedLines(before, after)).toEqual(['-  image: ghcr.io/acme/api:v1 # canary', '+  image: ghcr.io/acme/api:v2 # canary']);
  });

  it('reads a plain number as written and quotes a version that would otherwise turn into a number', () => {
    const before = 'image:\n  tag: 1.10 # unquoted on purpose\n';
    const location = { file: 'values.yaml', path: 'image.tag' };
    expect(readImageVersion(before, location, API)).toBe('1.10');
    expect(setImageVersion(before, location, API, '1.20')).toBe('image:\n  tag: "1.20" # unquoted on purpose\n');
    expect(setImageVersion(before, location, API, 'v1.20')).toBe('image:\n  tag: v1.20 # unquoted on purpose\n');
  });

  it('follows list indices', () => {
    const before = 'components:\n  - name: api\n    tag: v1\n';
    expect(setImageVersion(before, { file: 'v.yaml', path: 'components[0].tag' }, API, 'v2')).toBe('components:\n  - name: api\n    tag: v2\n');
  });

  it('says which key is missing and which exist', () => {
    const error = thrown(() => readImageVersion(manifestFixture('values.yaml'), { file: 'values.yaml', path: 'image.version' }, API));
    expect(error.code).toBe('path-not-found');
    expect(error.message).toBe(
      'values.yaml:5:3: image.version: document 1 has no key "version" in image; found: repository, tag, pullPolicy. Check the path to the image version.',
    );
  });

  it('rejects a reference to another image', () => {
    const error = thrown(() => readImageVersion(manifestFixture('values-reference.yaml'), { file: 'values.yaml', path: 'worker.image' }, API));
    expect(error.code).toBe('image-not-found');
    expect(error.message).toContain('holds "ghcr.io/acme/worker:v7", which is neither a version');
  });

  it('rejects a path that points at a map', () => {
    const error = thrown(() => readImageVersion(manifestFixture('values.yaml'), { file: 'values.yaml', path: 'image' }, API));
    expect(error.code).toBe('not-a-scalar');
  });

  it('rejects a path with a syntax error', () => {
    const error = thrown(() => readImageVersion(manifestFixture('values.yaml'), { file: 'values.yaml', path: 'image..tag' }, API));
    expect(error.code).toBe('invalid-path');
  });
});

describe('errors', () => {
  it('reports malformed YAML with line and column', () => {
    const error = thrown(() => readImageVersion(manifestFixture('malformed.yaml'), { file: 'apps/api/canary.yaml' }, API));
    expect(error.code).toBe('yaml-parse');
    expect([error.file, error.line, error.column]).toEqual(['apps/api/canary.yaml', 11, 1]);
    expect(error.message).toMatch(/^apps\/api\/canary\.yaml:11:1: invalid YAML: .+; check the indentation and quoting of this line and the one before\.$/);
  });

  it('lists the images of the file when the image is not found', () => {
    const error = thrown(() => readImageVersion(manifestFixture('deployment-sidecar.yaml'), { file: 'apps/api/canary.yaml' }, 'ghcr.io/acme/web'));
    expect(error.code).toBe('image-not-found');
    expect(error.message).toBe(
      "apps/api/canary.yaml: no container in this file runs ghcr.io/acme/web (compared as ghcr.io/acme/web); found images: ghcr.io/acme/api:v1, docker.io/envoyproxy/envoy:v1.29.1. Check the service's `image`.",
    );
  });

  it('suggests `path` for a file without workloads', () => {
    const error = thrown(() => readImageVersion(manifestFixture('values.yaml'), { file: 'values.yaml' }, API));
    expect(error.code).toBe('image-not-found');
    expect(error.message).toContain('set `path` to the field that holds the tag');
  });

  it('names the documents when `name` matches none', () => {
    const error = thrown(() => readImageVersion(manifestFixture('multi-document.yaml'), { file: 'stable.yaml', name: 'api' }, API));
    expect(error.code).toBe('document-not-found');
    expect(error.message).toBe(
      'stable.yaml: no document named "api"; found: Service api-stable, Deployment api-stable, ConfigMap api-config. Fix `name` or the file.',
    );
  });

  it('rejects an image without tag or digest when reading', () => {
    const text = manifestFixture('rollout.yaml').replace('"ghcr.io/acme/api:v1"', 'ghcr.io/acme/api');
    const error = thrown(() => readImageVersion(text, { file: 'rollout.yaml' }, API));
    expect(error.code).toBe('version-missing');
    expect(error.line).toBe(23);
  });

  it('rejects a version that is not a tag or digest', () => {
    const error = thrown(() => setImageVersion(manifestFixture('rollout.yaml'), { file: 'rollout.yaml' }, API, 'ghcr.io/acme/api:v2'));
    expect(error.code).toBe('invalid-version');
    expect(error.message).toBe('rollout.yaml: "ghcr.io/acme/api:v2" is not an image version; use a tag (v2), a digest (sha256:…) or both (v2@sha256:…).');
  });
});
