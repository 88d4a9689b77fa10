import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Octokit } from '@octokit/rest';
import { AppHarness, FULL_NAME, bumpApi, fixtureFiles } from '../support/app-harness.js';
import { silentLog } from '../support/fake-github/index.js';

const CANARY = 'apps/api/canary.yaml';
const CONFIG = '.github/opsbox.yml';
const TEMPLATE = 'analysis/error-rate.yaml';
const STABLE_ARGS = '    sync:\n      delay: 30s\n    preflight:\n      args: { service: api-stable }\n';

/** A loopback server that answers like an empty Prometheus and records every request it gets. */
async function recordingServer(): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((request, response) => {
    hits.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('preflight check on a bump pull request', () => {
  let h: AppHarness | undefined;
  const servers: { close(): Promise<void> }[] = [];

  afterEach(async () => {
    await h?.close();
    h = undefined;
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  async function start(options: { config?: (text: string) => string; alsoAllow?: string[] } = {}) {
    const files = await fixtureFiles();
    if (options.config) files[CONFIG] = options.config(files[CONFIG]);
    h = await AppHarness.start({ files, alsoAllow: options.alsoAllow });
    return h;
  }

  /** Opens a pull request with `files` on a new branch and delivers `pull_request.opened`. */
  async function open(harness: AppHarness, files: Record<string, string>, options: { fork?: boolean } = {}) {
    const branch = `bump-${Math.random().toString(36).slice(2, 10)}`;
    const opened = harness.github.openPullRequest(FULL_NAME, { head: branch, files, title: 'Bump api' });
    const payload = opened.payload as { pull_request: { head: { repo: Record<string, unknown> } } };
    if (options.fork) payload.pull_request.head.repo = { ...payload.pull_request.head.repo, full_name: 'mallory/manifests', fork: true };
    expect(await harness.deliver('pull_request', payload)).toBe(200);
    return { ...opened, branch, payload };
  }

  function checksOf(harness: AppHarness, headSha: string) {
    return harness.github.checkRuns(FULL_NAME, { headSha }).filter((run) => run.name === 'opsbox/preflight');
  }

  it('a bump PR gets the check with the plan, validation and live values, and writes nothing else', async () => {
    const harness = await start();
    harness.prometheus.answer([0.01]);
    const mainBefore = harness.github.log(FULL_NAME, 'main').length;
    const pr = await open(harness, { [CANARY]: bumpApi(harness.file(CANARY), 'v2') });

    const [check] = checksOf(harness, pr.headSha);
    expect(check).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(check.output.title).toBe('Ready to roll out: api v1 → v2');
    const summary = String(check.output.summary);
    expect(summary).toContain('- **`api`**: `v1` → `v2`');
    expect(summary).toContain('<details><summary>The plan: 5 steps for `api`</summary>');
    expect(summary).toContain('+          weight: 10 # canary');
    expect(summary).toContain('pass the checks of `opsbox validate`');
    expect(summary).toContain('| `error-rate` | step 2, step 4 | 1 | `[0.01]` | `success when result[0] < 0.05` | ✅ would pass |');
    expect(harness.prometheus.queries.some((query) => query.includes('service="api-canary"'))).toBe(true);
    // no commit, no comment, no rollout
    expect(harness.github.log(FULL_NAME, 'main')).toHaveLength(mainBefore);
    expect(harness.github.comments(FULL_NAME, pr.number)).toHaveLength(0);
    expect(await harness.rollouts()).toHaveLength(0);
  });

  it('a pull request into another branch than the default one gets no check: its merge starts no rollout', async () => {
    const harness = await start();
    harness.github.commitFiles(FULL_NAME, 'release', { 'README.md': 'release notes\n' });
    const opened = harness.github.openPullRequest(FULL_NAME, { head: 'bump-release', base: 'release', files: { [CANARY]: bumpApi(harness.file(CANARY), 'v2') } });
    expect(await harness.deliver('pull_request', opened.payload)).toBe(200);
    expect(checksOf(harness, opened.headSha)).toEqual([]);
    expect(harness.prometheus.queries).toEqual([]);
  });

  it('other pull requests get a success "No image bump" check only with preflight.everyPullRequest', async () => {
    const harness = await start({ config: (text) => text.replace('analysisTemplates: [analysis/]\n', 'analysisTemplates: [analysis/]\npreflight: { everyPullRequest: true }\n') });
    const docs = await open(harness, { 'README.md': 'docs\n' });
    const [check] = checksOf(harness, docs.headSha);
    expect(check).toMatchObject({ conclusion: 'success', output: { title: 'No image bump' } });
    expect(harness.prometheus.queries).toEqual([]);
  });

  it('without preflight.everyPullRequest a pull request that bumps nothing gets no check', async () => {
    const harness = await start();
    const docs = await open(harness, { 'README.md': 'docs\n' });
    expect(checksOf(harness, docs.headSha)).toEqual([]);
  });

  it('a query with no data under preflight.args: neutral, with the warning', async () => {
    const harness = await start({ config: (text) => text.replace('    sync:\n      delay: 30s\n', STABLE_ARGS) });
    harness.prometheus.answer([]);
    const pr = await open(harness, { [CANARY]: bumpApi(harness.file(CANARY), 'v2') });
    const [check] = checksOf(harness, pr.headSha);
    expect(check.conclusion).toBe('neutral');
    expect(check.output.summary).toContain('`api` metric `error-rate` returned no series: the canary would be judged on no data');
    expect(harness.prometheus.queries.some((query) => query.includes('service="api-stable-canary"'))).toBe(true);
  });

  describe('sync.commitStatus: the name is looked for on the default branch\'s recent commits, in the base side\'s one query', () => {
    async function withStatusName(name: string) {
      const harness = await start({ config: (text) => text.replace('    sync:\n      delay: 30s\n', `    sync:\n      delay: 30s\n      commitStatus: ${name}\n`) });
      harness.prometheus.answer([0.01]);
      // what an Argo CD notification and a CI app reported on the last commits of main
      const earlier = harness.github.branchSha(FULL_NAME, 'main')!;
      const latest = harness.github.commitFiles(FULL_NAME, 'main', { 'README.md': 'manifests\n' });
      harness.github.setCommitStatus(FULL_NAME, earlier, { state: 'success', context: 'argocd/api' });
      const [owner, repo] = FULL_NAME.split('/');
      const ci = new Octokit({ baseUrl: harness.github.apiUrl, auth: 'app-installation-token', log: silentLog });
      await ci.rest.checks.create({ owner, repo, head_sha: latest, name: 'ci/lint', status: 'completed', conclusion: 'success' });
      harness.github.resetRequests();
      const pr = await open(harness, { [CANARY]: bumpApi(harness.file(CANARY), 'v2') });
      return { harness, pr, check: checksOf(harness, pr.headSha)[0] };
    }

    it('a name seen: success, said; the config read, one query per side and the check run write, nothing more', async () => {
      const { harness, check } = await withStatusName('argocd/api');
      expect(check.conclusion).toBe('success');
      expect(check.output.summary).toContain('- The status `argocd/api` it waits for (`sync.commitStatus`) was seen on the last 2 commits of the base branch.');
      const app = harness.github.requests.filter((r) => r.actor === 'opsbox-canary[bot]');
      const kinds = app.map((r) => `${r.method} ${r.path.replace(/^\/api(?=\/graphql$)/, '').replace(`/repos/${FULL_NAME}`, '{repo}').replace(/\/commits\/[0-9a-f]{40}\//, '/commits/{sha}/')}${r.path.endsWith('/graphql') ? (r.read ? ' (query)' : ' (mutation)') : ''}`);
      expect(kinds.sort()).toEqual([
        'GET {repo}/commits/{sha}/check-runs', // opened: a check run to replace, if any
        'GET {repo}/contents/.github/opsbox.yml',
        'POST /graphql (query)', // base: canary file and the recent commits' statuses and check runs
        'POST /graphql (query)', // head: the files of the check
        'POST {repo}/check-runs',
      ]);
      expect(harness.github.errors).toEqual([]);
    });

    it('a misspelt name: neutral, listing the names seen', async () => {
      const { check } = await withStatusName('argocd/apj');
      expect(check.conclusion).toBe('neutral');
      expect(check.output.summary).toContain('`api` waits for the status `argocd/apj` (sync.commitStatus), which no status or check run of the last 2 commits has: seen there: `argocd/api`, `ci/lint`.');
    });
  });

  it('a broken template on the head: failure naming the file and line', async () => {
    const harness = await start();
    const broken = harness.file(TEMPLATE).replace('  metrics:', '  metrics: [');
    const pr = await open(harness, { [CANARY]: bumpApi(harness.file(CANARY), 'v2'), [TEMPLATE]: broken });
    const [check] = checksOf(harness, pr.headSha);
    expect(check.conclusion).toBe('failure');
    expect(check.output.summary).toMatch(/\| `analysis\/error-rate\.yaml:\d+:\d+` \| \(whole file\) \| invalid YAML: /);
  });

  it("a config on the head that does not parse: failure naming the config's line and column, read at the head", async () => {
    const harness = await start();
    const pr = await open(harness, { [CANARY]: bumpApi(harness.file(CANARY), 'v2'), [CONFIG]: `${harness.file(CONFIG)}extra: [unclosed\n` });
    const [check] = checksOf(harness, pr.headSha);
    expect(check.conclusion).toBe('failure');
    expect(check.output.summary).toMatch(/\.github\/opsbox\.yml:\d+:\d+/);
    expect(harness.github.requests.some((r) => r.path.includes('/contents/.github/opsbox.yml') && r.query.includes(`ref=${pr.headSha}`))).toBe(true);
  });

  it('a new commit gets its own check, and /preflight replaces the content of the head check', async () => {
    const harness = await start();
    harness.prometheus.answer([0.01]);
    const pr = await open(harness, { [CANARY]: bumpApi(harness.file(CANARY), 'v2') });
    expect(checksOf(harness, pr.headSha)[0].conclusion).toBe('success');

    harness.prometheus.answer([0.2]);
    const next = harness.github.commitFiles(FULL_NAME, pr.branch, { [CANARY]: bumpApi(harness.file(CANARY), 'v3') });
    const payload = structuredClone(pr.payload) as Record<string, any>;
    payload.action = 'synchronize';
    payload.pull_request.head.sha = next;
    harness.github.resetRequests();
    expect(await harness.deliver('pull_request', payload)).toBe(200);
    // a pushed head carries no check yet: created without looking for one to replace
    expect(harness.github.requests.filter((r) => r.path.endsWith('/check-runs')).map((r) => r.method)).toEqual(['POST']);
    const [second] = checksOf(harness, next);
    expect(second.output.title).toBe('1 warning: api v1 → v3');
    expect(second.conclusion).toBe('neutral');
    expect(second.output.summary).toContain('❌ would fail');

    // anyone may ask again on a pull request without a rollout: the same run is updated
    harness.prometheus.answer([0.01]);
    await harness.comment(pr.number, '/preflight', { user: 'mallory' });
    const after = checksOf(harness, next);
    expect(after).toHaveLength(1);
    expect(after[0].id).toBe(second.id);
    expect(after[0].conclusion).toBe('success');
    expect(harness.github.comments(FULL_NAME, pr.number).filter((c) => c.user?.login !== 'mallory')).toHaveLength(0);
  });

  it("a fork PR pointing a template at another address: the base's template is used, nothing reaches that address", async () => {
    const other = await recordingServer();
    servers.push(other);
    // both addresses allowed: only the choice of files keeps the fork's address from being queried
    const harness = await start({ alsoAllow: [other.url] });
    harness.prometheus.answer([0.01]);
    const elsewhere = harness.file(TEMPLATE).replace('        prometheus:\n', `        prometheus:\n          address: ${other.url}\n`);
    const files = { [CANARY]: bumpApi(harness.file(CANARY), 'v2'), [TEMPLATE]: elsewhere };

    const fork = await open(harness, files, { fork: true });
    const [check] = checksOf(harness, fork.headSha);
    expect(check.conclusion).toBe('success');
    expect(check.output.summary).toContain('comes from a fork');
    expect(check.output.summary).toContain('`api`**: `v1` → `v2`');
    expect(other.hits).toEqual([]);
    expect(harness.prometheus.queries.length).toBeGreaterThan(0);

    // the same change from a branch of the repository does use its own template
    const own = await open(harness, files);
    expect(checksOf(harness, own.headSha)).toHaveLength(1);
    expect(other.hits.length).toBeGreaterThan(0);
  });
});
