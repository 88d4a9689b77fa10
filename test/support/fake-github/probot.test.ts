import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Probot, ProbotOctokit } from 'probot';
import { startFakeGitHub, type FakeGitHub } from './index.js';
import { fullName, owner, repo } from './testing.js';

describe('fake GitHub with Probot', () => {
  let gh: FakeGitHub;
  let probot: Probot;

  beforeEach(async () => {
    gh = await startFakeGitHub();
    gh.createRepo(owner, repo, {
      files: { '.github/opsbox.yml': 'services:\n  api:\n    image: ghcr.io/acme/api\n', 'apps/api/canary.yaml': 'image: v1\n' },
    });
    probot = new Probot({
      appId: gh.app.id,
      privateKey: gh.appPrivateKey(),
      secret: 'webhook-secret',
      // the Enterprise base URL Probot derives from GHE_HOST=127.0.0.1:PORT and GHE_PROTOCOL=http
      baseUrl: gh.apiUrl,
      logLevel: 'fatal',
      Octokit: ProbotOctokit.defaults({ throttle: { enabled: false }, retry: { enabled: false } }),
    });
  });

  afterEach(async () => {
    await gh.close();
  });

  it('delivers a merged pull request whose handler reads config and comments as the bot', async () => {
    const opened = gh.openPullRequest(fullName, { head: 'bump', files: { 'apps/api/canary.yaml': 'image: v2\n' } });
    const merged = gh.mergePullRequest(fullName, opened.number);
    const seen: Array<Record<string, unknown>> = [];
    await probot.load((app) => {
      app.on('pull_request.closed', async (context) => {
        const config = await context.config<Record<string, unknown>>('opsbox.yml');
        seen.push({ merged: context.payload.pull_request.merged, config });
        await context.octokit.rest.issues.createComment(context.issue({ body: 'rollout started' }));
      });
    });
    await probot.receive({ id: 'delivery-1', name: 'pull_request', payload: merged.payload as never });

    expect(seen).toEqual([{ merged: true, config: { services: { api: { image: 'ghcr.io/acme/api' } } } }]);
    expect(gh.comments(fullName, opened.number).map((comment) => [comment.user.login, comment.body])).toEqual([
      ['opsbox-canary[bot]', 'rollout started'],
    ]);
    expect(gh.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `POST /app/installations/${gh.app.installationId}/access_tokens`,
      'GET /repos/acme/manifests/contents/.github/opsbox.yml',
      `POST /repos/acme/manifests/issues/${opened.number}/comments`,
    ]);
    expect(gh.unhandled).toEqual([]);
  });
});
