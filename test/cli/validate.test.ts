import { describe, it, expect, afterEach } from '@jest/globals';
import { validateCommand } from '../../src/cli/validate.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from '../../src/cli/io.js';
import { copyFixtureRepo, FIXTURE_REPO, snapshotTree, type FixtureEdit, type FixtureRepo } from '../support/fixture-repo.js';
import { runCommand, type CliRun } from './support.js';

/** The run, with its non-empty stdout lines. */
async function validate(argv: string[]): Promise<CliRun & { lines: string[] }> {
  const run = await runCommand(validateCommand, argv, { env: {} });
  return { ...run, lines: run.stdout.split('\n').filter(Boolean) };
}

const CONFIG = '.github/opsbox.yml';

let repos: FixtureRepo[] = [];

async function variant(...edits: FixtureEdit[]): Promise<FixtureRepo> {
  const repo = await copyFixtureRepo(...edits);
  repos.push(repo);
  return repo;
}

afterEach(async () => {
  await Promise.all(repos.map((repo) => repo.cleanup()));
  repos = [];
});

describe('opsbox validate on the fixture repository', () => {
  it('exits 0 with an ok line per service', async () => {
    const before = await snapshotTree(FIXTURE_REPO);
    const run = await validate([FIXTURE_REPO]);
    expect(run.code).toBe(EXIT_OK);
    expect(run.stderr).toBe('');
    expect(run.lines).toEqual([
      'ok  api: canary v1, stable v1, canary weight 0%, 2 analyses',
      'ok  web: canary 2.3.0, stable 2.3.0, canary weight 0%, 0 analyses',
      'valid: 2 service(s), 1 template(s)',
    ]);
    expect(await snapshotTree(FIXTURE_REPO)).toEqual(before);
  });

  describe('the metric providers and the notifications block', () => {
    const smoke = (podSpec: string) => ({
      file: 'analysis/smoke.yaml',
      content:
        'apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: smoke}\nspec:\n  args:\n    - name: token\n      valueFrom: {secretKeyRef: {name: status-api, key: token}}\n' +
        '  metrics:\n    - name: status\n      successCondition: result == true\n      provider:\n        web: {url: "https://status.example.com/api", headers: [{key: X-Api-Key, value: "{{args.token}}"}]}\n' +
        `    - name: smoke\n      provider:\n        job:\n          spec:\n            template:\n              spec: ${podSpec}\n`,
    });
    const useSmoke = { file: CONFIG, replace: '{ templateName: error-rate }], args: [{ name: service, value: api }] }', with: '{ templateName: smoke }] }' };
    const notifications = (labels: string) => ({
      file: CONFIG,
      replace: 'analysisTemplates: [analysis/]',
      with: `analysisTemplates: [analysis/]\nnotifications:\n  alertmanager:\n    labels: {${labels}}\n    resendInterval: 10m\ngithub:\n  deployments: {environment: production}`,
    });

    it('accepts web and job metrics, secret arguments unread, and the notifications and github blocks', async () => {
      const repo = await variant(smoke('{restartPolicy: Never, containers: [{name: c, image: curlimages/curl}]}'), useSmoke, notifications('team: payments'));
      const run = await validate([repo.dir]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(EXIT_OK);
      expect(run.lines.at(-1)).toBe('valid: 2 service(s), 2 template(s)');
    });

    it('names the field of a job metric that Kubernetes would refuse', async () => {
      const repo = await variant(smoke('{containers: [{name: c, image: curlimages/curl}]}'), useSmoke);
      const run = await validate([repo.dir]);
      expect(run.code).toBe(EXIT_INVALID);
      expect(run.stdout).toContain("field spec.metrics[1].provider.job.spec.template.spec.restartPolicy: a Job's pods need restartPolicy Never or OnFailure");
    });

    it('names a label the app sets itself', async () => {
      const repo = await variant(notifications('service: x'));
      const run = await validate([repo.dir]);
      expect(run.code).toBe(EXIT_INVALID);
      expect(run.stdout).toContain('notifications.alertmanager.labels.service');
      expect(run.stdout).toContain('is set by the app (alertname, repository, service, to, from); choose another name');
    });
  });

  it('reports the versions it read from the files', async () => {
    const repo = await variant({ file: 'apps/api/canary.yaml', replace: 'ghcr.io/acme/api:v1', with: 'ghcr.io/acme/api:v2' });
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_OK);
    expect(run.lines[0]).toBe('ok  api: canary v2, stable v1, canary weight 0%, 2 analyses');
  });

  it('refuses a canary that already takes traffic, naming its weight', async () => {
    const repo = await variant(
      { file: 'apps/api/virtualservice.yaml', replace: 'weight: 100 # stable', with: 'weight: 75 # stable' },
      { file: 'apps/api/virtualservice.yaml', replace: 'weight: 0 # canary', with: 'weight: 25 # canary' },
    );
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.lines).toEqual([
      'apps/api/virtualservice.yaml: services.api.traffic: the canary already carries 25% of the traffic and no rollout is moving it; it must carry 0% until a rollout does. Give the canary weight 0 and stable all of it in apps/api/virtualservice.yaml.',
      '1 problem found',
    ]);
  });

  it('refuses a step the traffic object cannot express before any rollout commits it', async () => {
    const repo = await variant({ file: 'apps/web/ingress.yaml', replace: '    nginx.ingress.kubernetes.io/canary: "true"', with: '    nginx.ingress.kubernetes.io/canary: "true"\n    nginx.ingress.kubernetes.io/canary-weight-total: "10"' }, { file: CONFIG, replace: '      - setWeight: 20', with: '      - setWeight: 25' });
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.lines[0]).toMatch(/^apps\/web\/ingress\.yaml:\d+:\d+: services\.web\.steps\[0\]\.setWeight: .*25% cannot be written with a weight total of 10 \(the nearest is 30%\)/);
  });
});

describe('opsbox validate on broken variants', () => {
  it('accepts the commit status gate', async () => {
    const repo = await variant({ file: CONFIG, replace: '      delay: 30s', with: '      delay: 30s\n      commitStatus: argocd/api' });
    expect((await validate([repo.dir])).code).toBe(EXIT_OK);
  });

  it('accepts the Argo CD and Flux gates: whether the app can read a cluster is a matter of where it runs', async () => {
    const repo = await variant({
      file: CONFIG,
      replace: '      delay: 30s',
      with: '      delay: 30s\n      argocd: { application: api }\n      flux: { kustomization: api }',
    });
    expect((await validate([repo.dir])).code).toBe(EXIT_OK);
  });

  it('names the line, column and key of an unknown traffic provider', async () => {
    const repo = await variant({ file: CONFIG, replace: 'provider: istio', with: 'provider: istioo' });
    const at = await repo.position(CONFIG, 'istioo');
    expect(at).toEqual({ line: 11, column: 17 });
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.lines).toEqual([
      `${CONFIG}:11:17: services.api.traffic.provider: expected one of istio, gateway-api, smi, nginx, traefik, replicas, yaml-path`,
    ]);
  });

  it('names the traffic file and the backends it found when a backend is missing', async () => {
    const repo = await variant({ file: 'apps/api/virtualservice.yaml', replace: 'host: api-canary', with: 'host: api-preview' });
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.lines).toHaveLength(2);
    const [problem, summary] = run.lines;
    expect(problem.startsWith('apps/api/virtualservice.yaml')).toBe(true);
    expect(problem).toContain('"api-canary"');
    expect(problem).toContain('found: api-stable, api-preview');
    expect(summary).toBe('1 problem found');
  });

  it('names the config key of a file that does not exist', async () => {
    const repo = await variant({ file: CONFIG, replace: 'apps/api/canary.yaml', with: 'apps/api/nope.yaml' });
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.lines).toEqual([
      `${CONFIG}: services.api.canary.file: file "apps/api/nope.yaml" does not exist in the repository; fix the path`,
      '1 problem found',
    ]);
  });

  it('names the config key of a traffic file that does not exist', async () => {
    const repo = await variant({ file: 'apps/web/ingress.yaml', remove: true });
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.lines[0]).toMatch(/^\.github\/opsbox\.yml: services\.web\.traffic\.file: .*"apps\/web\/ingress\.yaml"/);
    expect(run.lines.at(-1)).toBe('1 problem found');
  });

  it('names the file, line and column of malformed YAML in a manifest', async () => {
    const repo = await variant({ file: 'apps/api/canary.yaml', replace: '  replicas: 2\n', with: '  replicas: 2: 3\n' });
    const at = await repo.position('apps/api/canary.yaml', '2: 3');
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.lines).toHaveLength(2);
    expect(run.lines[0]).toMatch(new RegExp(`^apps/api/canary\\.yaml:${at.line}:\\d+: services\\.api\\.canary: invalid YAML: `));
    expect(run.lines[1]).toBe('1 problem found');
  });

  it('names the line and column of malformed YAML in the config', async () => {
    const repo = await variant({ file: CONFIG, replace: '      delay: 30s\n', with: '      delay: 30s: x\n' });
    const at = await repo.position(CONFIG, '30s: x');
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.lines.length).toBeGreaterThan(0);
    expect(run.lines[0]).toMatch(new RegExp(`^\\.github/opsbox\\.yml:${at.line}:\\d+: invalid YAML: `));
    for (const line of run.lines) expect(line).toMatch(/^\.github\/opsbox\.yml:\d+:\d+: invalid YAML: /);
  });

  it('names an unknown template and the config key that uses it', async () => {
    const repo = await variant({ file: CONFIG, replace: 'templateName: error-rate', with: 'templateName: error-rat' });
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.lines).toHaveLength(2);
    expect(run.lines[0].startsWith(`${CONFIG}`)).toBe(true);
    expect(run.lines[0]).toContain('services.api.steps[1].analysis');
    expect(run.lines[0]).toContain('"error-rat"');
    expect(run.lines[0]).toContain('found "error-rate"');
  });

  it('knows web metrics and secret arguments, which it does not read', async () => {
    const webMetric = (provider: string): FixtureEdit[] => [
      { file: 'analysis/error-rate.yaml', replace: '    - name: service\n', with: '    - name: service\n    - name: token\n      valueFrom:\n        secretKeyRef: {name: status-api, key: token}\n' },
      {
        file: 'analysis/error-rate.yaml',
        replace: '  metrics:\n',
        with: `  metrics:\n    - name: status\n      successCondition: result == true\n      provider:\n        web:\n${provider}`,
      },
    ];
    const valid = await variant(...webMetric('          url: https://status.example.com/api/{{args.service}}\n          headers: [{key: X-Api-Key, value: "{{args.token}}"}]\n          jsonPath: "{$.ok}"\n'));
    const run = await validate([valid.dir]);
    expect(run.stderr).toBe('');
    expect(run.lines[0]).toBe('ok  api: canary v1, stable v1, canary weight 0%, 2 analyses');
    expect(run.code).toBe(EXIT_OK);

    const invalid = await variant(...webMetric('          url: https://status.example.com/api\n          body: "{}"\n'));
    const refused = await validate([invalid.dir]);
    expect(refused.code).toBe(EXIT_INVALID);
    expect(refused.lines[0]).toContain('field spec.metrics[0].provider.web.method: a body needs method POST or PUT');
  });

  it.each([
    ['no scheme', 'prometheus.monitoring:9090', 'must start with http:// or https://'],
    ['not a URL', 'http://prom etheus:9090', 'is not a valid URL'],
  ])("names the template field of an invalid prometheus address (%s)", async (_name, address, reason) => {
    const repo = await variant({
      file: 'analysis/error-rate.yaml',
      replace: '        prometheus:\n',
      with: `        prometheus:\n          address: "${address}"\n`,
    });
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.lines[0]).toContain('analysis/error-rate.yaml');
    expect(run.lines[0]).toContain('field spec.metrics[0].provider.prometheus.address');
    expect(run.lines[0]).toContain(reason);
  });

  it('warns about an invalid template no service uses, and still exits 0', async () => {
    const repo = await variant({
      file: 'analysis/unused.yaml',
      content: 'apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: unused}\nspec:\n  metric: []\n',
    });
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_OK);
    expect(run.lines[0]).toMatch(/^warning: analysis\/unused\.yaml:1: .*template "unused": spec\.metric: unknown field "metric".*blocks nothing/);
    expect(run.lines.at(-1)).toBe('valid: 2 service(s), 1 template(s)');
  });

  it('refuses an unknown field in a template a service uses, naming the field', async () => {
    const repo = await variant({ file: 'analysis/error-rate.yaml', replace: '  metrics:\n', with: '  dryrun: []\n  metrics:\n' });
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.stdout).toContain('template "error-rate": spec.dryrun: unknown field "dryrun"');
    expect(run.stdout).toContain('used by services.api.steps[1].analysis');
  });

  it('runs the metrics of templates a template includes (spec.templates)', async () => {
    const repo = await variant(
      {
        file: 'analysis/canary-checks.yaml',
        content: 'apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: canary-checks}\nspec:\n  templates: [{templateName: error-rate}, {templateName: missing}]\n',
      },
      { file: CONFIG, replace: 'templateName: error-rate', with: 'templateName: canary-checks' },
    );
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.stdout).toContain('analysis/canary-checks.yaml, template "canary-checks", field spec.templates[1]: AnalysisTemplate "missing" not found');

    await repo.apply({ file: 'analysis/canary-checks.yaml', replace: ', {templateName: missing}', with: '' });
    const fixed = await validate([repo.dir]);
    expect(fixed.code).toBe(EXIT_OK);
    expect(fixed.lines[0]).toBe('ok  api: canary v1, stable v1, canary weight 0%, 2 analyses');
  });

  it('names the canary file and the image when the canary image is not found', async () => {
    const repo = await variant({ file: 'apps/api/canary.yaml', replace: 'ghcr.io/acme/api:v1', with: 'ghcr.io/acme/apii:v1' });
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.lines).toHaveLength(2);
    expect(run.lines[0]).toMatch(/^apps\/api\/canary\.yaml(:\d+(:\d+)?)?: services\.api\.canary: /);
    expect(run.lines[0]).toContain('ghcr.io/acme/api');
    expect(run.lines[0]).toContain('ghcr.io/acme/apii:v1');
  });

  it('names the stable document when its image is not found in a shared file', async () => {
    const repo = await variant({ file: 'apps/web/deployments.yaml', replace: 'ghcr.io/acme/web:2.3.0', with: 'ghcr.io/acme/other:2.3.0' });
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.lines).toHaveLength(2);
    expect(run.lines[0]).toMatch(/^apps\/web\/deployments\.yaml(:\d+(:\d+)?)?: services\.web\.stable: /);
    expect(run.lines[0]).toContain('ghcr.io/acme/web');
  });

  it('prints several problems each on its own line', async () => {
    const repo = await variant(
      { file: CONFIG, replace: 'apps/api/canary.yaml', with: 'apps/api/nope.yaml' },
      { file: CONFIG, replace: 'templateName: error-rate', with: 'templateName: error-rat' },
      { file: 'apps/api/virtualservice.yaml', replace: 'host: api-canary', with: 'host: api-preview' },
      { file: 'apps/web/ingress.yaml', replace: '  ingressClassName: nginx\n', with: '  ingressClassName: [nginx\n' },
    );
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.stdout.endsWith('\n')).toBe(true);
    expect(run.lines).toHaveLength(5);
    const expected = [
      /^\.github\/opsbox\.yml: services\.api\.canary\.file: .*apps\/api\/nope\.yaml/,
      /^apps\/api\/virtualservice\.yaml.*found: api-stable, api-preview/,
      /^\.github\/opsbox\.yml: services\.api\.steps\[1\]\.analysis: .*"error-rat"/,
      /^apps\/web\/ingress\.yaml:\d+:\d+: services\.web\.traffic: invalid YAML: /,
    ];
    for (const pattern of expected) expect(run.lines.filter((line) => pattern.test(line))).toHaveLength(1);
    expect(run.lines[4]).toBe('4 problems found');
  });

  it('prints several config problems each on its own line', async () => {
    const repo = await variant(
      { file: CONFIG, replace: 'provider: istio', with: 'provider: istioo' },
      { file: CONFIG, replace: '    sync:\n', with: '    synk:\n' },
    );
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.lines).toHaveLength(2);
    expect(run.lines.filter((line) => line.startsWith(`${CONFIG}:11:17: services.api.traffic.provider: expected one of`))).toHaveLength(1);
    expect(run.lines.filter((line) => /^\.github\/opsbox\.yml:\d+:\d+: services\.api\.synk: unknown key "synk"/.test(line))).toHaveLength(1);
  });
});

describe('opsbox validate: arguments', () => {
  it('prints its usage for --help and exits 0', async () => {
    for (const flag of ['--help', '-h']) {
      const run = await validate([flag]);
      expect(run.code).toBe(EXIT_OK);
      expect(run.stdout).toContain('Usage: opsbox validate [DIR]');
      expect(run.stderr).toBe('');
    }
  });

  it('exits 1 with a clear message in a folder without .github/opsbox.yml', async () => {
    const repo = await variant({ file: CONFIG, remove: true });
    const run = await validate([repo.dir]);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.stderr).toContain(`${CONFIG}: not found in ${repo.dir}`);
    expect(run.stdout).toBe('');
  });

  it('exits 4 on an unknown option or two folders', async () => {
    for (const argv of [['--bogus', FIXTURE_REPO], [FIXTURE_REPO, FIXTURE_REPO]]) {
      const run = await validate(argv);
      expect([argv, run.code]).toEqual([argv, EXIT_USAGE]);
      expect(run.stderr).toContain('Usage: opsbox validate');
      expect(run.stdout).toBe('');
    }
  });
});
