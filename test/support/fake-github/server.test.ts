import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { silentLog, startFakeGitHub, type FakeGitHub } from './index.js';
import { fullName, owner, repo } from './testing.js';

/** Unsigned: the fake only checks that an app JWT is present. */
const FAKE_JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjQyNDJ9.c2lnbmF0dXJl';

describe('fake GitHub server', () => {
  let gh: FakeGitHub;

  beforeEach(async () => {
    gh = await startFakeGitHub();
    gh.createRepo(owner, repo, {
      files: { '.github/opsbox.yml': 'services: {}\n', 'apps/api/canary.yaml': 'image: api:v1\n' },
    });
  });

  afterEach(async () => {
    await gh.close();
  });

  it('serves the same routes at / and under /api/v3 and logs reads and writes', async () => {
    const root = new Octokit({ baseUrl: gh.url, auth: 't', log: silentLog });
    const enterprise = new Octokit({ baseUrl: gh.apiUrl, auth: 't', log: silentLog });
    const a = await root.rest.repos.get({ owner, repo });
    const b = await enterprise.rest.repos.get({ owner, repo });
    expect(a.data.full_name).toBe(fullName);
    expect(b.data).toMatchObject({ full_name: fullName, default_branch: 'main', private: false, owner: { login: owner } });
    await enterprise.rest.issues.create({ owner, repo, title: 'x' });
    expect(gh.requests.map((request) => [request.method, request.path, request.status, request.write])).toEqual([
      ['GET', '/repos/acme/manifests', 200, false],
      ['GET', '/repos/acme/manifests', 200, false],
      ['POST', '/repos/acme/manifests/issues', 201, true],
    ]);
    expect(gh.unhandled).toEqual([]);
  });

  it('answers unknown routes with 404 Not Found and records them', async () => {
    const octokit = new Octokit({ baseUrl: gh.apiUrl, auth: 't', log: silentLog });
    await expect(octokit.request('GET /repos/{owner}/{repo}/environments', { owner, repo })).rejects.toMatchObject({
      status: 404,
      response: { data: { message: 'Not Found' } },
    });
    expect(gh.unhandled.map((request) => `${request.method} ${request.path}`)).toEqual(['GET /repos/acme/manifests/environments']);
  });

  it('requires authentication, and an app JWT for app endpoints', async () => {
    const anonymous = new Octokit({ baseUrl: gh.apiUrl, log: silentLog });
    await expect(anonymous.rest.repos.get({ owner, repo })).rejects.toMatchObject({ status: 401 });
    const installation = new Octokit({ baseUrl: gh.apiUrl, auth: 'ghs_token', log: silentLog });
    await expect(installation.rest.apps.getAuthenticated()).rejects.toMatchObject({ status: 401 });
  });

  it('exchanges an app JWT for an installation token that acts as the bot', async () => {
    const app = new Octokit({ baseUrl: gh.apiUrl, auth: FAKE_JWT, log: silentLog });
    const me = await app.rest.apps.getAuthenticated();
    expect(me.data).toMatchObject({ id: gh.app.id, slug: 'opsbox-canary' });
    const installation = await app.rest.apps.getRepoInstallation({ owner, repo });
    expect(installation.data.id).toBe(gh.app.installationId);
    const token = await app.rest.apps.createInstallationAccessToken({ installation_id: installation.data.id });
    expect(token.status).toBe(201);
    expect(token.data).toMatchObject({ repository_selection: 'all', permissions: { contents: 'write' } });
    expect(Date.parse(token.data.expires_at)).toBeGreaterThan(Date.now());

    const bot = new Octokit({ baseUrl: gh.apiUrl, auth: token.data.token, log: silentLog });
    await bot.rest.issues.create({ owner, repo, title: 'by the bot' });
    expect(gh.requests.at(-1)?.actor).toBe('opsbox-canary[bot]');
  });

  it('serves file contents in base64 and raw, directory listings, and 404 for missing files', async () => {
    const octokit = new Octokit({ baseUrl: gh.apiUrl, auth: 't', log: silentLog });
    const file = await octokit.rest.repos.getContent({ owner, repo, path: '.github/opsbox.yml' });
    const data = file.data as { type: string; encoding: string; content: string; sha: string };
    expect(data.type).toBe('file');
    expect(Buffer.from(data.content, 'base64').toString('utf8')).toBe('services: {}\n');
    const raw = await octokit.rest.repos.getContent({ owner, repo, path: 'apps/api/canary.yaml', mediaType: { format: 'raw' } });
    expect(raw.data).toBe('image: api:v1\n');
    const listing = await octokit.rest.repos.getContent({ owner, repo, path: 'apps' });
    expect((listing.data as Array<{ name: string; type: string }>).map((entry) => [entry.name, entry.type])).toEqual([['api', 'dir']]);
    await expect(octokit.rest.repos.getContent({ owner, repo, path: 'nope.yaml' })).rejects.toMatchObject({ status: 404 });

    const old = gh.branchSha(fullName, 'main')!;
    gh.commitFiles(fullName, 'main', { 'apps/api/canary.yaml': 'image: api:v2\n' });
    const atOld = await octokit.rest.repos.getContent({ owner, repo, path: 'apps/api/canary.yaml', ref: old, mediaType: { format: 'raw' } });
    expect(atOld.data).toBe('image: api:v1\n');
    // and nothing above counts as an unknown route
    expect(gh.unhandled).toEqual([]);
  });

  it('fails requests on demand', async () => {
    const octokit = new Octokit({ baseUrl: gh.apiUrl, auth: 't', log: silentLog });
    gh.failNext({ method: 'GET', path: '/repos/acme/manifests', status: 502, message: 'Bad Gateway' });
    await expect(octokit.rest.repos.get({ owner, repo })).rejects.toMatchObject({ status: 502 });
    const after = await octokit.rest.repos.get({ owner, repo });
    expect(after.status).toBe(200);
  });

  it('keeps state per server', async () => {
    const other = await startFakeGitHub();
    try {
      expect(() => other.readFile(fullName, 'main', 'apps/api/canary.yaml')).toThrow(/no repository/);
      other.createRepo(owner, repo, { files: { 'x.yaml': 'other\n' } });
      expect(gh.readFile(fullName, 'main', 'x.yaml')).toBeNull();
      expect(other.url).not.toBe(gh.url);
    } finally {
      await other.close();
    }
  });
});
