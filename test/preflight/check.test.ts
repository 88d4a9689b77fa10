import { afterEach, describe, expect, it } from '@jest/globals';
import { parseConfigText } from '../../src/config/load.js';
import { CONFIG_PATH, type OpsboxConfig } from '../../src/config/opsbox.schema.js';
import type { MetricProvider, ResolvedMetric } from '../../src/analysis/types.js';
import { buildPreflightCheck, type ActiveRollout, type RecentChecks } from '../../src/preflight/check.js';
import { DiskRepoFiles } from '../../src/repo/files.js';
import { createReportRenderer } from '../../src/report/render.js';
import type { CustomObjectRef, CustomObjects } from '../../src/sync/kubernetes.js';
import { ANY_SYNC_GATE } from '../../src/sync/registry.js';
import { copyFixtureRepo, type FixtureEdit, type FixtureRepo } from '../support/fixture-repo.js';

const CANARY = 'apps/api/canary.yaml';
const TEMPLATE = 'analysis/error-rate.yaml';
const BUMP: FixtureEdit = { file: CANARY, replace: 'ghcr.io/acme/api:v1', with: 'ghcr.io/acme/api:v2' };

/** Answers every query with `values` and records what it was asked. */
function recordingProvider(values: number[] | Error): MetricProvider & { asked: ResolvedMetric[] } {
  const asked: ResolvedMetric[] = [];
  return {
    asked,
    measure: async (metric) => {
      asked.push(metric);
      if (values instanceof Error) throw values;
      return { value: values, raw: '' };
    },
  };
}

describe('buildPreflightCheck', () => {
  const repos: FixtureRepo[] = [];
  afterEach(async () => {
    await Promise.all(repos.splice(0).map((repo) => repo.cleanup()));
  });

  async function sides(baseEdits: FixtureEdit[], headEdits: FixtureEdit[]) {
    const base = await copyFixtureRepo(...baseEdits);
    const head = await copyFixtureRepo(...headEdits);
    repos.push(base, head);
    return { base, head };
  }

  async function configOf(repo: FixtureRepo): Promise<OpsboxConfig> {
    const parsed = parseConfigText(await repo.read(CONFIG_PATH), CONFIG_PATH);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    return parsed.config;
  }

  async function check(
    repos: { base: FixtureRepo; head: FixtureRepo },
    options: {
      fork?: boolean;
      provider?: MetricProvider;
      active?: ActiveRollout[];
      clusterObjects?: CustomObjects;
      recentChecks?: RecentChecks;
      unavailableProviders?: Record<string, string>;
    } = {},
  ) {
    const configRepo = options.fork ? repos.base : repos.head;
    return buildPreflightCheck({
      config: await configOf(configRepo),
      configFile: CONFIG_PATH,
      base: new DiskRepoFiles(repos.base.dir),
      head: new DiskRepoFiles(repos.head.dir),
      fork: options.fork ?? false,
      syncGates: ANY_SYNC_GATE,
      activeRollouts: async () => options.active ?? [],
      provider: options.provider,
      clusterObjects: options.clusterObjects,
      recentChecks: options.recentChecks,
      unavailableProviders: options.unavailableProviders,
    });
  }

  it('a bump gets the plan, passing validation and the live values, concluding success', async () => {
    const provider = recordingProvider([0.01]);
    const view = await check(await sides([], [BUMP]), { provider });
    expect(view.conclusion).toBe('success');
    expect(view.services.map((s) => [s.service, s.from, s.to])).toEqual([['api', 'v1', 'v2']]);
    expect(view.services[0].plan.map((step) => step.heading)).toEqual([
      'step 1: setWeight 10%',
      'step 2: analysis error-rate',
      'step 3: setWeight 50%',
      'step 4: analysis error-rate',
      'promotion',
    ]);
    expect(view.services[0].plan[0].commit?.patches.join('')).toContain('+          weight: 10 # canary');
    // one metric used by two steps is queried once
    expect(provider.asked).toHaveLength(1);
    expect(view.services[0].queries[0]).toMatchObject({ kind: 'data', series: 1, verdict: 'pass' });

    const output = createReportRenderer().preflightCheck(view);
    expect(output.conclusion).toBe('success');
    expect(output.summary).toContain('<details><summary>The plan: 5 steps');
    expect(output.summary).toContain('| `error-rate` | step 2, step 4 | 1 | `[0.01]` | `success when result[0] < 0.05` | ✅ would pass |');
    expect(output.summary).toContain('pass the checks of `opsbox validate`');
  });

  it('lists a web metric as not checked and never calls it', async () => {
    const provider = recordingProvider([0.01]);
    const webMetric: FixtureEdit = {
      file: TEMPLATE,
      replace: '  metrics:\n',
      with: '  metrics:\n    - name: status\n      successCondition: result == true\n      provider:\n        web:\n          url: https://status.example.com/api\n          jsonPath: "{$.ok}"\n',
    };
    const view = await check(await sides([], [BUMP, webMetric]), { provider });
    expect(provider.asked.map((metric) => metric.name)).toEqual(['error-rate']);
    expect(view.services[0].queries.map((query) => [query.query.metric.name, query.kind])).toEqual([
      ['status', 'not-checked'],
      ['error-rate', 'data'],
    ]);
    expect(createReportRenderer().preflightCheck(view).summary).toContain(
      '| `status` | step 2, step 4 |  | – | `success when result == true` | not checked: only Prometheus metrics are queried before the rollout |',
    );
  });

  it('a job metric where this app cannot run Jobs fails the check, saying what to set up, as the start would', async () => {
    const jobMetric: FixtureEdit = {
      file: TEMPLATE,
      replace: '  metrics:\n',
      with: '  metrics:\n    - name: smoke\n      provider:\n        job:\n          spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: curlimages/curl}]}}}\n',
    };
    const repos = await sides([], [BUMP, jobMetric]);
    const refused = await check(repos, { unavailableProviders: { job: 'OPSBOX_JOB_NAMESPACE is not set; the operator sets it' } });
    expect(refused.conclusion).toBe('failure');
    expect(refused.problems.map((problem) => problem.message)).toContainEqual(
      expect.stringContaining('metric "smoke" uses provider.job, which cannot run here: OPSBOX_JOB_NAMESPACE is not set'),
    );
    expect((await check(repos)).problems).toEqual([]);
  });

  it('preflight.args replace the rollout args in the queries', async () => {
    const provider = recordingProvider([0.01]);
    const withArgs: FixtureEdit = { file: CONFIG_PATH, replace: '    sync:\n      delay: 30s', with: '    sync:\n      delay: 30s\n    preflight:\n      args: { service: api-stable-track }' };
    await check(await sides([], [BUMP, withArgs]), { provider });
    expect(provider.asked[0].prometheus?.query).toContain('service="api-stable-track-canary"');
  });

  it('no series is a neutral warning with preflight.args, a failure with requireData, expected without them', async () => {
    const withArgs = (extra: string): FixtureEdit => ({
      file: CONFIG_PATH,
      replace: '    sync:\n      delay: 30s',
      with: `    sync:\n      delay: 30s\n    preflight:\n      args: { service: api }${extra}`,
    });
    const neutral = await check(await sides([], [BUMP, withArgs('')]), { provider: recordingProvider([]) });
    expect(neutral.conclusion).toBe('neutral');
    expect(neutral.warnings).toEqual(['`api` metric `error-rate` returned no series: the canary would be judged on no data']);
    expect(createReportRenderer().preflightCheck(neutral).summary).toContain('⚠️ no data');

    const failure = await check(await sides([], [BUMP, withArgs('\n      requireData: true')]), { provider: recordingProvider([]) });
    expect(failure.conclusion).toBe('failure');

    const expected = await check(await sides([], [BUMP]), { provider: recordingProvider([]) });
    expect(expected.conclusion).toBe('success');
    expect(createReportRenderer().preflightCheck(expected).summary).toContain('no data (expected');
  });

  it('a query error fails the check with its message', async () => {
    const view = await check(await sides([], [BUMP]), { provider: recordingProvider(new Error('address not allowed')) });
    expect(view.conclusion).toBe('failure');
    expect(createReportRenderer().preflightCheck(view).summary).toContain('❌ error: address not allowed');
  });

  it('a broken template on the head fails, naming the file and line', async () => {
    const broken: FixtureEdit = { file: TEMPLATE, replace: '  metrics:', with: '  metrics: [' };
    const view = await check(await sides([], [BUMP, broken]), { provider: recordingProvider([0.01]) });
    expect(view.conclusion).toBe('failure');
    const summary = createReportRenderer().preflightCheck(view).summary;
    expect(summary).toMatch(/\| `analysis\/error-rate.yaml:\d+:\d+` \| \(whole file\) \| invalid YAML: /);
  });

  it('a fork: the base templates run, with the head canary tag only', async () => {
    const elsewhere: FixtureEdit = { file: TEMPLATE, replace: '        prometheus:\n', with: '        prometheus:\n          address: http://127.0.0.2:1\n' };
    const provider = recordingProvider([0.01]);
    const view = await check(await sides([], [BUMP, elsewhere]), { fork: true, provider });
    expect(view.services.map((s) => s.to)).toEqual(['v2']);
    expect(provider.asked.map((m) => m.prometheus?.address)).toEqual([undefined]);
    expect(createReportRenderer().preflightCheck(view).summary).toContain('comes from a fork');
  });

  it('says which rollout a merge would supersede, and refuses a canary carrying traffic at rest', async () => {
    const active = await check(await sides([], [BUMP]), { active: [{ id: 'x', to: 'v1.5', sourceNumber: 7 }] });
    expect(createReportRenderer().preflightCheck(active).summary).toContain('The rollout of `v1.5` from #7 is under way: merging would supersede it.');

    const atRest: FixtureEdit = { file: 'apps/api/virtualservice.yaml', replace: 'weight: 0 # canary', with: 'weight: 10 # canary' };
    const stable: FixtureEdit = { file: 'apps/api/virtualservice.yaml', replace: 'weight: 100 # stable', with: 'weight: 90 # stable' };
    const refused = await check(await sides([], [BUMP, atRest, stable]));
    expect(refused.conclusion).toBe('failure');
    expect(refused.problems.map((p) => p.message).join('\n')).toContain('the canary already carries 10% of the traffic');
  });

  it('with cluster access, a missing Argo CD Application fails the check and an existing one is said', async () => {
    const argocd: FixtureEdit = { file: CONFIG_PATH, replace: '    sync:\n      delay: 30s', with: '    sync:\n      delay: 30s\n      argocd: { application: api }' };
    const cluster = (present: boolean): CustomObjects & { asked: CustomObjectRef[] } => {
      const asked: CustomObjectRef[] = [];
      return { asked, get: async (ref) => (asked.push(ref), present ? { metadata: { name: ref.name } } : null) };
    };
    const missing = cluster(false);
    const failed = await check(await sides([], [BUMP, argocd]), { clusterObjects: missing });
    expect(missing.asked).toEqual([expect.objectContaining({ group: 'argoproj.io', plural: 'applications', namespace: 'argocd', name: 'api' })]);
    expect(failed.conclusion).toBe('failure');
    expect(failed.problems).toEqual([expect.objectContaining({ key: 'services.api.sync.argocd', message: expect.stringContaining('Application argocd/api was not found in the cluster') })]);

    const found = await check(await sides([], [BUMP, argocd]), { clusterObjects: cluster(true) });
    expect(found.conclusion).toBe('success');
    expect(createReportRenderer().preflightCheck(found).summary).toContain('- Application argocd/api exists in the cluster.');
  });

  describe('sync.commitStatus: the name is looked for on recent commits of the base branch', () => {
    const commitStatus = (name: string): FixtureEdit => ({ file: CONFIG_PATH, replace: '    sync:\n      delay: 30s', with: `    sync:\n      delay: 30s\n      commitStatus: ${name}` });
    const recentChecks: RecentChecks = { commits: 20, names: ['argocd/api', 'ci/test'] };

    it('a name seen there is said, and the check succeeds', async () => {
      const view = await check(await sides([], [BUMP, commitStatus('argocd/api')]), { recentChecks });
      expect(view.conclusion).toBe('success');
      expect(view.warnings).toEqual([]);
      expect(view.services[0].commitStatus).toEqual({ name: 'argocd/api', seen: true });
      expect(createReportRenderer().preflightCheck(view).summary).toContain(
        '- The status `argocd/api` it waits for (`sync.commitStatus`) was seen on the last 20 commits of the base branch.',
      );
    });

    it('a misspelt name is a warning naming the names seen, never a failure', async () => {
      const view = await check(await sides([], [BUMP, commitStatus('argocd/apj')]), { recentChecks });
      expect(view.conclusion).toBe('neutral');
      expect(view.services[0].commitStatus).toEqual({ name: 'argocd/apj', seen: false });
      expect(view.warnings).toEqual([
        '`api` waits for the status `argocd/apj` (sync.commitStatus), which no status or check run of the last 20 commits has: seen there: `argocd/api`, `ci/test`. A misspelt name makes every weight step wait until sync.timeout and fail.',
      ]);
      const output = createReportRenderer().preflightCheck(view);
      expect(output.conclusion).toBe('neutral');
      expect(output.summary).toContain('seen there: `argocd/api`, `ci/test`');
      expect(output.summary).toContain('- ⚠️ The status `argocd/apj` it waits for (`sync.commitStatus`) was not seen on the last 20 commits of the base branch.');
    });

    it('no names read (no sync.commitStatus asked for): nothing is said', async () => {
      const view = await check(await sides([], [BUMP]), { recentChecks });
      expect(view.services[0].commitStatus).toBeUndefined();
      expect(view.conclusion).toBe('success');
    });
  });

  it('no canary tag changed: no bump', async () => {
    const view = await check(await sides([], [{ file: 'README.md', content: 'docs\n' }]));
    expect(view).toMatchObject({ noBump: true, conclusion: 'success', title: 'No image bump' });
  });
});
