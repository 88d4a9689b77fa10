import { afterEach, describe, expect, it } from '@jest/globals';
import { AppHarness, FULL_NAME, bumpApi, fixtureFilesWithApiWeights } from '../support/app-harness.js';
import type { RecordedRequest } from '../support/fake-github/index.js';

const CANARY = 'apps/api/canary.yaml';
const REPO_PATH = `/repos/${FULL_NAME}`;

/** A request as `METHOD endpoint`, ids and numbers replaced so requests of one kind group together. */
function kind(request: RecordedRequest): string {
  const path = request.path.replace(/^\/api(?=\/graphql$)/, '').replace(REPO_PATH, '{repo}').replace(/\/\d+(?=\/|$)/g, '/{id}').replace(/\/contents\/.*$/, '/contents/{path}');
  return `${request.method} ${path}${path === '/graphql' ? (request.read ? ' (query)' : ' (mutation)') : ''}`;
}

function countByKind(requests: readonly RecordedRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const request of requests) counts[kind(request)] = (counts[kind(request)] ?? 0) + 1;
  return counts;
}

describe('GitHub requests of one rollout, 20% → analysis → 60% → analysis → promote', () => {
  let h: AppHarness;

  afterEach(async () => {
    await h.close();
  });

  async function run(answer: number, end: 'Succeeded' | 'Aborted'): Promise<{ number: number; requests: RecordedRequest[] }> {
    h = await AppHarness.start({ files: await fixtureFilesWithApiWeights(20, 60) });
    h.prometheus.answer([answer]);
    h.github.resetRequests();
    const pr = await h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), 'v2') }, { title: 'Bump api to v2' });
    await h.advanceUntil(async () => (await h.rollouts())[0]?.phase === end, 60_000);
    expect(h.github.errors).toEqual([]);
    return { number: pr.number, requests: [...h.github.requests] };
  }

  it('happy path: 12 requests, the start reads the config and then everything else in one query, nothing is listed', async () => {
    const { number, requests } = await run(0.01, 'Succeeded');
    expect(h.appCommits().map((c) => c.message.split('\n')[0])).toEqual([
      'canary(api): weight 20% → v2',
      'canary(api): weight 60% → v2',
      'canary(api): promote v2 to stable, weight 0%',
    ]);

    expect(countByKind(requests)).toEqual({
      'POST /app/installations/{id}/access_tokens': 1,
      'GET {repo}/contents/{path}': 1, // .github/opsbox.yml
      'POST /graphql (query)': 1, // both sides of the merge, traffic, stable, templates
      'POST /graphql (mutation)': 3, // the three commits
      // one update per visible change: the first commit (creating both), the first verdict with the
      // 60% commit, the second verdict with the promotion
      [`POST {repo}/issues/{id}/comments`]: 1,
      'POST {repo}/check-runs': 1,
      'PATCH {repo}/issues/comments/{id}': 2,
      'PATCH {repo}/check-runs/{id}': 2,
    });
    expect(requests.length).toBeLessThanOrEqual(14);

    // the status comment made first is the one edited afterwards, by its id
    const [status] = h.github.comments(FULL_NAME, number);
    const edits = requests.filter((r) => r.method === 'PATCH' && r.path.includes('/issues/comments/'));
    expect(edits.map((r) => r.path)).toEqual([`${REPO_PATH}/issues/comments/${status.id}`, `${REPO_PATH}/issues/comments/${status.id}`]);
  });

  it('failing path: 15 requests for the weight, the rollback, the revert pull request and the failure comment', async () => {
    const { number, requests } = await run(0.2, 'Aborted');
    expect(h.appCommits().map((c) => c.message.split('\n')[0])).toEqual(['canary(api): weight 20% → v2', 'canary(api): roll back v2, weight 0% (traffic to stable v1)']);
    expect(h.github.pullRequests(FULL_NAME).filter((pr) => pr.head.ref.startsWith('opsbox/revert/'))).toHaveLength(1);

    const counts = countByKind(requests);
    expect(counts).toEqual({
      'POST /app/installations/{id}/access_tokens': 1,
      'GET {repo}/contents/{path}': 1,
      'POST /graphql (query)': 1,
      'POST /graphql (mutation)': 3, // weight, rollback, the revert commit
      'POST {repo}/git/refs': 1, // the revert branch
      'POST {repo}/pulls': 1,
      // the status comment and the failure comment; no list of comments or check runs
      [`POST {repo}/issues/{id}/comments`]: 2,
      'POST {repo}/check-runs': 1,
      'PATCH {repo}/issues/comments/{id}': 2,
      'PATCH {repo}/check-runs/{id}': 2,
    });
    expect(requests.length).toBeLessThanOrEqual(18);
    const bodies = h.github.comments(FULL_NAME, number).map((c) => String(c.body));
    expect(bodies.filter((b) => b.includes('opsbox:failure'))).toHaveLength(1);
  });
});
