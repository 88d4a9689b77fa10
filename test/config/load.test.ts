import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { MAX_CONFIG_BYTES, parseConfigSource, parseConfigText, validateConfig } from '../../src/config/load.js';
import { formatProblem } from '../../src/config/problems.js';

const MINIMAL = [
  'services:',
  '  api:',
  '    image: ghcr.io/acme/api',
  '    canary: { file: apps/api/canary.yaml }',
  '    stable: { file: apps/api/stable.yaml }',
  '    traffic: { provider: replicas, total: 4 }',
  '    steps:',
  '      - setWeight: 10',
  '      - pause:',
  '      - analysis: { templates: [{ templateName: error-rate }] }',
  '',
].join('\n');

function problems(text: string): string[] {
  const result = parseConfigText(text);
  if (result.ok) throw new Error('expected problems');
  return result.problems.map(formatProblem);
}

describe('config defaults', () => {
  it('fills in what SPEC §1 leaves optional', () => {
    const result = parseConfigText(MINIMAL);
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    expect(result.config.analysisTemplates).toEqual([]);
    expect(result.config.prometheus).toBeUndefined();
    const api = result.config.services.api;
    expect(api.onFailure).toBe('rollback');
    expect(api.sync).toEqual({ delay: '30s', timeout: '10m' });
    expect(api.steps).toEqual([{ setWeight: 10 }, { pause: {} }, { analysis: { templates: [{ templateName: 'error-rate' }], args: [] } }]);
  });

  it('keeps the other sync defaults when only a gate is set', () => {
    const result = parseConfigText(MINIMAL.replace('    steps:', '    sync: { commitStatus: argocd/api }\n    steps:'));
    expect(result.ok && result.config.services.api.sync).toEqual({ delay: '30s', timeout: '10m', commitStatus: 'argocd/api' });
  });

  it('ignores `_extends`, which Probot has already applied', () => {
    const result = validateConfig({ _extends: '.github', ...parse(MINIMAL.replace('    steps:', '    onFailure: pause\n    steps:')) });
    expect(result.ok && result.config.services.api.onFailure).toBe('pause');
  });
});

describe('config problems', () => {
  it('locate a bad value by line, column and key path', () => {
    expect(problems(MINIMAL.replace('provider: replicas', 'provider: linkerd'))).toEqual([
      '.github/opsbox.yml:6:26: services.api.traffic.provider: expected one of istio, gateway-api, smi, nginx, traefik, replicas, yaml-path',
    ]);
  });

  it('point at an unknown key itself', () => {
    expect(problems(MINIMAL.replace('    steps:', '    synk: { delay: 1m }\n    steps:'))).toEqual([
      '.github/opsbox.yml:7:5: services.api.synk: unknown key "synk"; check the spelling against the config reference',
    ]);
  });

  it('bracket a key with dots', () => {
    expect(problems(MINIMAL.replace('    steps:', '    app.kubernetes.io/name: api\n    steps:'))).toEqual([
      '.github/opsbox.yml:7:5: services.api["app.kubernetes.io/name"]: unknown key "app.kubernetes.io/name"; check the spelling against the config reference',
    ]);
  });

  it('name a missing key at its parent', () => {
    expect(problems(MINIMAL.replace('    image: ghcr.io/acme/api\n', ''))).toEqual(['.github/opsbox.yml:3:5: services.api.image: is required (string)']);
  });

  it('index list items', () => {
    expect(problems(MINIMAL.replace('setWeight: 10', 'setWeight: 110'))).toEqual(['.github/opsbox.yml:8:20: services.api.steps[0].setWeight: must be between 0 and 100']);
  });

  it('give YAML syntax errors their line and column', () => {
    const [problem] = problems('services:\n  api:\n\timage: x\n');
    expect(problem).toMatch(/^\.github\/opsbox\.yml:3:1: invalid YAML: /);
  });
});


describe('config text that is not usable YAML', () => {
  it('a repeated key is found in one pass and located', () => {
    expect(problems('services: {}\nprometheus: {}\nservices: {}\n')).toEqual([
      '.github/opsbox.yml:3:1: invalid YAML: the key "services" appears twice in the same mapping; keep one',
    ]);
  });

  it('too many alias expansions, and a file over the size limit, are problems with a place', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `l${i}: &l${i} [${Array(9).fill(i === 0 ? '*a' : `*l${i - 1}`).join(', ')}]`)].join('\n');
    expect(problems(bomb)).toEqual([expect.stringMatching(/^\.github\/opsbox\.yml:2:\d+: invalid YAML: Excessive alias count/)]);
    const parsed = parseConfigSource(`# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    expect(parsed.ok ? [] : parsed.problems.map(formatProblem)).toEqual([expect.stringMatching(/^\.github\/opsbox\.yml:1:1: the file is \d+ KB; a config may be at most 256 KB/)]);
  });

  it('anything but a mapping says what it found, at the start of the file', () => {
    expect(problems('- a\n- b\n')).toEqual(['.github/opsbox.yml:1:1: expected a mapping with `services:`, found a list (see the config reference in README.md)']);
  });
});
