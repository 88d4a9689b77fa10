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
      '.github/opsbox.yml:7:5: services.api.synk: unknown key "synk"; did you mean "sync"?',
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

  it('refuse canary and stable at the same place, naming the file', () => {
    expect(problems(MINIMAL.replace('stable: { file: apps/api/stable.yaml }', 'stable: { file: apps/api/canary.yaml }'))).toEqual([
      '.github/opsbox.yml:5:13: services.api.stable: points at the same place as canary (apps/api/canary.yaml), so a bump would change both and start no rollout; give stable its own file, or tell them apart with name (the workloads\' metadata.name) or path',
    ]);
    const named = MINIMAL.replace('canary: { file: apps/api/canary.yaml }', 'canary: { file: apps/api/all.yaml, name: api }').replace('stable: { file: apps/api/stable.yaml }', 'stable: { file: apps/api/all.yaml, name: api }');
    expect(problems(named)[0]).toContain('services.api.stable: points at the same place as canary (apps/api/all.yaml, name api)');
    expect(parseConfigText(named.replace('all.yaml, name: api }\n    traffic', 'all.yaml, name: api-stable }\n    traffic')).ok).toBe(true);
  });

  it('say that a valid Argo Rollouts step is not supported, instead of calling it unknown', () => {
    for (const step of ['setCanaryScale: { weight: 10 }', 'experiment: { duration: 1h }', 'setHeaderRoute: { name: h }', 'setMirrorRoute: { name: m }']) {
      const name = step.slice(0, step.indexOf(':'));
      expect(problems(MINIMAL.replace('      - pause:\n', `      - ${step}\n`))).toEqual([
        `.github/opsbox.yml:9:9: services.api.steps[1].${name}: "${name}" is an Argo Rollouts step that is not supported by OpsBox Canary; use setWeight, pause and analysis steps`,
      ]);
    }
  });

  it('suggest the key a misspelt one was meant to be, and drop the "required" of that key', () => {
    expect(problems(MINIMAL.replace('    traffic:', '    trafic:'))).toEqual(['.github/opsbox.yml:6:5: services.api.trafic: unknown key "trafic"; did you mean "traffic"?']);
    expect(problems(MINIMAL.replace('setWeight: 10', 'setweight: 10'))).toEqual(['.github/opsbox.yml:8:9: services.api.steps[0].setweight: unknown key "setweight"; did you mean "setWeight"?']);
    expect(problems(MINIMAL.replace('      - pause:\n', '      - pause: { duraton: 1m }\n'))).toEqual([
      '.github/opsbox.yml:9:18: services.api.steps[1].pause.duraton: unknown key "duraton"; did you mean "duration"?',
    ]);
  });

  it('name where a mis-indented steps block was found', () => {
    const outdented = MINIMAL.replace(/    steps:\n(.*\n)+/, '  steps:\n    - setWeight: 10\n');
    expect(problems(outdented)).toEqual([
      '.github/opsbox.yml:3:5: services.api.steps: is required (array); "steps:" was found at services.steps (line 7): check its indentation',
      '.github/opsbox.yml:7:3: services.steps: "steps" is not a service but a key of one: indent it under its service (services.<name>.steps)',
    ]);
    const underTraffic = MINIMAL.replace('    traffic: { provider: replicas, total: 4 }\n    steps:\n', '    traffic:\n      provider: replicas\n      total: 4\n      steps:\n');
    expect(problems(underTraffic)).toEqual([
      '.github/opsbox.yml:9:7: services.api.traffic.steps: unknown key "steps" here; "steps" belongs at services.<name>.steps: check its indentation',
      '.github/opsbox.yml:3:5: services.api.steps: is required (array); "steps:" was found at services.api.traffic.steps (line 9): check its indentation',
    ]);
  });

  it('take a service named like a service key for a service', () => {
    const sync = MINIMAL.replace('  api:\n', '  sync:\n').replace('image: ghcr.io/acme/api', 'imag: ghcr.io/acme/api');
    expect(problems(sync)).toEqual(['.github/opsbox.yml:3:5: services.sync.imag: unknown key "imag"; did you mean "image"?']);
  });

  it("recognise Flagger's analysis block and point at the Argo syntax", () => {
    const flagger = MINIMAL.replace('    steps:', '    analysis:\n      interval: 1m\n      threshold: 5\n      stepWeight: 10\n      metrics:\n        - name: request-success-rate\n          thresholdRange: { min: 99 }\n    steps:');
    expect(problems(flagger)).toEqual([
      ".github/opsbox.yml:7:5: services.api.analysis: this is Flagger's analysis (interval, threshold, stepWeight, metrics); OpsBox Canary uses Argo Rollouts' syntax: put the metrics in an AnalysisTemplate and reference it with analysis: { templates: [{ templateName: <name> }], args: [...] }, the weights as `- setWeight: N` steps (see the config reference)",
    ]);
  });

  it('tell a value of the wrong type from a missing one', () => {
    expect(problems(MINIMAL.replace(/    steps:\n(.*\n)+/, '    steps: setWeight 10\n'))).toEqual([
      '.github/opsbox.yml:7:12: services.api.steps: Invalid input: expected array, received string',
    ]);
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
