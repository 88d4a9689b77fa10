import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { parseConfigOrThrow } from '../../src/config/load.js';
import { RevisionCache } from '../../src/forge/github/revision-cache.js';
import { planRollouts, type MergedPullRequest } from '../../src/app/trigger.js';
import { problemsOfService } from '../../src/config/problems.js';
import { bumpApi, fixtureFiles } from '../support/app-harness.js';
import { silentLog, startFakeGitHub, type FakeGitHub } from '../support/fake-github/index.js';
import { githubRepoRef, type GitHubForge } from '../../src/forge/github/github-forge.js';
import { githubForge } from '../forge/github/fixture.js';

const CANARY = 'apps/api/canary.yaml';
const T0 = Date.parse('2026-11-26T10:00:00Z');

describe('planning rollouts for a merge', () => {
  let gh: FakeGitHub;
  let octokit: Octokit;
  let revisions: RevisionCache;
  let forge: GitHubForge;
  let files: Record<string, string>;

  beforeEach(async () => {
    gh = await startFakeGitHub();
    files = await fixtureFiles();
    gh.createRepo('acme', 'manifests', { files });
    octokit = new Octokit({ baseUrl: gh.apiUrl, auth: 'installation-token', log: silentLog });
    revisions = new RevisionCache();
    forge = githubForge(octokit, { revisions });
  });

  afterEach(async () => {
    await gh.close();
  });

  function merge(changed: Record<string, string>): MergedPullRequest {
    const opened = gh.openPullRequest('acme/manifests', { head: `bump-${Math.random().toString(36).slice(2)}`, files: changed, title: 'Bump' });
    const merged = gh.mergePullRequest('acme/manifests', opened.number);
    return {
      repo: githubRepoRef({ installationId: 1, owner: 'acme', repo: 'manifests', defaultBranch: 'main' }),
      number: opened.number,
      title: 'Bump',
      url: `http://127.0.0.1/acme/manifests/pull/${opened.number}`,
      mergeSha: merged.mergeCommitSha,
    };
  }

  const config = () => parseConfigOrThrow(files['.github/opsbox.yml']);

  it('starts a rollout from the old canary tag to the new one', async () => {
    const plan = await planRollouts(forge, config(), merge({ [CANARY]: bumpApi(files[CANARY], 'v2') }), T0);
    expect(plan.kind).toBe('start');
    if (plan.kind !== 'start') return;
    expect(plan.rollouts.map((r) => [r.service, r.from, r.to])).toEqual([['api', 'v1', 'v2']]);
  });

  it('is not blocked by an invalid template the service does not use, and runs the templates a template includes', async () => {
    files['analysis/unrelated.yaml'] = 'apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: unrelated}\nspec:\n  metricz: []\n';
    files['analysis/canary-checks.yaml'] =
      'apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: canary-checks}\nspec:\n  templates: [{templateName: error-rate}]\n  metrics: [{name: up, provider: {prometheus: {query: up}}}]\n';
    files['.github/opsbox.yml'] = files['.github/opsbox.yml'].replace('templateName: error-rate', 'templateName: canary-checks');
    gh.createRepo('acme', 'manifests2', { files });
    const opened = gh.openPullRequest('acme/manifests2', { head: 'bump', files: { [CANARY]: bumpApi(files[CANARY], 'v2') }, title: 'Bump' });
    const merged = gh.mergePullRequest('acme/manifests2', opened.number);
    const plan = await planRollouts(
      forge,
      config(),
      { repo: githubRepoRef({ installationId: 1, owner: 'acme', repo: 'manifests2', defaultBranch: 'main' }), number: opened.number, title: 'Bump', url: 'http://127.0.0.1/x', mergeSha: merged.mergeCommitSha },
      T0,
    );
    expect(plan.kind).toBe('start');
    if (plan.kind !== 'start') return;
    expect(plan.problems).toEqual([]);
    expect(plan.rollouts[0].analyses['step:1'].metrics.map((m) => m.name)).toEqual(['up', 'error-rate']);
  });

  it('refuses a template whose secret argument is not in the environment, naming the variable, and keeps the value out of the plan', async () => {
    files['analysis/status.yaml'] =
      'apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: status}\nspec:\n  args:\n    - name: token\n      valueFrom: {secretKeyRef: {name: status-api, key: token}}\n' +
      '  metrics:\n    - name: status\n      successCondition: result == true\n      provider:\n        web:\n          url: https://status.example.com/api\n          headers: [{key: X-Api-Key, value: "{{args.token}}"}]\n';
    files['.github/opsbox.yml'] = files['.github/opsbox.yml'].replace('templateName: error-rate', 'templateName: status');
    gh.createRepo('acme', 'manifests3', { files });
    const start = (env: Record<string, string>, version: string) => {
      const opened = gh.openPullRequest('acme/manifests3', { head: `bump-${version}`, files: { [CANARY]: bumpApi(files[CANARY], version) }, title: 'Bump' });
      const merged = gh.mergePullRequest('acme/manifests3', opened.number);
      const pr = { repo: githubRepoRef({ installationId: 1, owner: 'acme', repo: 'manifests3', defaultBranch: 'main' }), number: opened.number, title: 'Bump', url: 'http://127.0.0.1/x', mergeSha: merged.mergeCommitSha };
      return planRollouts(forge, config(), pr, T0, { secretEnv: env });
    };
    const refused = await start({}, 'v2');
    expect(refused.kind).toBe('invalid');
    expect(JSON.stringify(refused)).toContain('OPSBOX_SECRET_STATUS_API_TOKEN is not set');

    const planned = await start({ OPSBOX_SECRET_STATUS_API_TOKEN: 'sekret-9a7b' }, 'v3');
    expect(planned.kind).toBe('start');
    if (planned.kind !== 'start') return;
    expect(planned.rollouts[0].analyses['step:1'].metrics[0]).toMatchObject({ name: 'status', provider: 'web', query: 'GET https://status.example.com/api' });
    expect(JSON.stringify(planned)).not.toContain('sekret-9a7b');
  });

  it('refuses a job metric at the start where Jobs cannot run, saying what to set up', async () => {
    files['analysis/smoke.yaml'] =
      'apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: smoke}\nspec:\n  metrics:\n    - name: smoke\n      provider:\n        job:\n' +
      '          spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: curlimages/curl}]}}}\n';
    files['.github/opsbox.yml'] = files['.github/opsbox.yml'].replace('templateName: error-rate', 'templateName: smoke');
    gh.createRepo('acme', 'manifests4', { files });
    const start = (unavailableProviders: Record<string, string>, version: string) => {
      const opened = gh.openPullRequest('acme/manifests4', { head: `bump-${version}`, files: { [CANARY]: bumpApi(files[CANARY], version) }, title: 'Bump' });
      const merged = gh.mergePullRequest('acme/manifests4', opened.number);
      const pr = { repo: githubRepoRef({ installationId: 1, owner: 'acme', repo: 'manifests4', defaultBranch: 'main' }), number: opened.number, title: 'Bump', url: 'http://127.0.0.1/x', mergeSha: merged.mergeCommitSha };
      return planRollouts(forge, config(), pr, T0, { secretEnv: {}, unavailableProviders });
    };
    const refused = await start({ job: 'OPSBOX_JOB_NAMESPACE is not set; the operator sets it' }, 'v2');
    expect(refused).toMatchObject({
      kind: 'invalid',
      problems: [
        {
          file: 'analysis/smoke.yaml',
          message: expect.stringContaining('metric "smoke" uses provider.job, which cannot run here: OPSBOX_JOB_NAMESPACE is not set; the operator sets it'),
        },
      ],
    });
    expect((await start({}, 'v3')).kind).toBe('start');
  });

  it('reads secret arguments from the cluster before the environment', async () => {
    files['analysis/status.yaml'] =
      'apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: status}\nspec:\n  args:\n    - name: token\n      valueFrom: {secretKeyRef: {name: status-api, key: token}}\n' +
      '  metrics:\n    - name: status\n      provider:\n        web:\n          url: https://status.example.com/api\n          headers: [{key: X-Api-Key, value: "{{args.token}}"}]\n';
    files['.github/opsbox.yml'] = files['.github/opsbox.yml'].replace('templateName: error-rate', 'templateName: status');
    gh.createRepo('acme', 'manifests5', { files });
    const reads: string[] = [];
    const clusterSecrets = { namespace: 'checks', read: async (name: string) => (reads.push(name), name === 'status-api' ? { token: 'from-cluster' } : null) };
    const opened = gh.openPullRequest('acme/manifests5', { head: 'bump', files: { [CANARY]: bumpApi(files[CANARY], 'v2') }, title: 'Bump' });
    const merged = gh.mergePullRequest('acme/manifests5', opened.number);
    const pr = { repo: githubRepoRef({ installationId: 1, owner: 'acme', repo: 'manifests5', defaultBranch: 'main' }), number: opened.number, title: 'Bump', url: 'http://127.0.0.1/x', mergeSha: merged.mergeCommitSha };
    const plan = await planRollouts(forge, config(), pr, T0, { secretEnv: {}, clusterSecrets });
    expect(plan.kind).toBe('start');
    expect(reads).toEqual(['status-api']);
    expect(JSON.stringify(plan)).not.toContain('from-cluster');
  });

  it('starts nothing for a merge that brings the canary back to the stable tag', async () => {
    const pr = merge({ [CANARY]: bumpApi(files[CANARY], 'v2') });
    await planRollouts(forge, config(), pr, T0);
    const back = merge({ [CANARY]: files[CANARY] });
    expect(await planRollouts(forge, config(), back, T0)).toEqual({ kind: 'none', reason: 'the canary was brought back to the stable version' });
  });

  describe('a canary that already takes traffic', () => {
    const VS = 'apps/api/virtualservice.yaml';
    const atHalf = () => files[VS].replace('weight: 100 # stable', 'weight: 50 # stable').replace('weight: 0 # canary', 'weight: 50 # canary');

    it('starts nothing when no rollout of the service is under way, naming the weight', async () => {
      const pr = merge({ [CANARY]: bumpApi(files[CANARY], 'v2'), [VS]: atHalf() });
      const plan = await planRollouts(forge, config(), pr, T0, { hasActiveRollout: async () => false });
      expect(plan).toEqual({
        kind: 'invalid',
        services: ['api'],
        problems: [
          {
            file: VS,
            key: 'services.api.traffic',
            message: `the canary already carries 50% of the traffic and no rollout is moving it; it must carry 0% until a rollout does. Give the canary weight 0 and stable all of it in ${VS}.`,
          },
        ],
      });
    });

    it('starts from the current weight when the bump supersedes a rollout under way', async () => {
      const asked: string[] = [];
      const pr = merge({ [CANARY]: bumpApi(files[CANARY], 'v2'), [VS]: atHalf() });
      const plan = await planRollouts(forge, config(), pr, T0, { hasActiveRollout: async (service) => (asked.push(service), true) });
      expect(asked).toEqual(['api']);
      expect(plan.kind === 'start' && plan.rollouts.map((r) => [r.service, r.weight])).toEqual([['api', 50]]);
    });
  });

  it('reads both sides of the merge, the traffic and stable files and the templates in one GraphQL query', async () => {
    const pr = merge({ [CANARY]: bumpApi(files[CANARY], 'v2') });
    gh.resetRequests();
    const plan = await planRollouts(forge, config(), pr, T0);

    expect(plan.kind).toBe('start');
    expect(gh.requests.map((r) => [r.method, r.path, r.read])).toEqual([['POST', '/api/graphql', true]]);
  });

  it('gives the executor what it needs at the merge commit: files and template folders, with no request of its own', async () => {
    const pr = merge({ [CANARY]: bumpApi(files[CANARY], 'v2') });
    await planRollouts(forge, config(), pr, T0);
    expect(revisions.listing(pr.mergeSha, 'analysis')).toEqual(['analysis/error-rate.yaml']);
    expect(revisions.file(pr.mergeSha, 'analysis/error-rate.yaml')).toBe(files['analysis/error-rate.yaml']);
    expect(revisions.file(pr.mergeSha, 'apps/api/virtualservice.yaml')).toBe(files['apps/api/virtualservice.yaml']);
  });

  it('hands the files it read at the merge commit to the commit cache, with the merge as the branch head', async () => {
    const pr = merge({ [CANARY]: bumpApi(files[CANARY], 'v2') });
    await planRollouts(forge, config(), pr, T0);
    expect(revisions.head('acme', 'manifests', 'main')).toBe(pr.mergeSha);
    expect(revisions.file(pr.mergeSha, 'apps/api/virtualservice.yaml')).toBe(files['apps/api/virtualservice.yaml']);
    expect(revisions.file(pr.mergeSha, CANARY)).toContain('ghcr.io/acme/api:v2');
    expect(revisions.file(pr.mergeSha, 'apps/api/stable.yaml')).toBe(files['apps/api/stable.yaml']);
  });
});

describe('problemsOfService', () => {
  it('keeps a service\'s own problems and those outside services, never those of a service whose name starts the same', () => {
    const problems = [{ key: 'services.api' }, { key: 'services.api.steps[0]' }, { key: 'services.api-worker.image' }, { key: 'analysisTemplates' }];
    expect(problemsOfService(problems, 'api').map((p) => p.key)).toEqual(['services.api', 'services.api.steps[0]', 'analysisTemplates']);
    expect(problemsOfService(problems, 'api-worker').map((p) => p.key)).toEqual(['services.api-worker.image', 'analysisTemplates']);
  });
});
