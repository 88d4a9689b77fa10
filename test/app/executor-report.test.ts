import { describe, expect, it } from '@jest/globals';
import { serviceSchema } from '../../src/config/opsbox.schema.js';
import { ForgeEffectExecutor } from '../../src/app/executor.js';
import { ForgeRegistry } from '../../src/forge/registry.js';
import { newRollout } from '../../src/rollout/new-rollout.js';
import type { Effect, EffectResult, RolloutState } from '../../src/rollout/types.js';
import { CANARY, fullName, githubForge, owner, repo, useFixture } from '../forge/github/fixture.js';
import { githubRepoRef } from '../../src/forge/github/github-forge.js';

const T0 = Date.parse('2026-11-26T10:00:00Z');

describe('status updates at the edge', () => {
  const fixture = useFixture();

  function setup(): { executor: ForgeEffectExecutor; state: RolloutState } {
    const { gh, octokit } = fixture;
    const pr = gh.openPullRequest(fullName, { head: 'bump', files: { [CANARY]: 'image: ghcr.io/acme/api:v3\n' } });
    const state = newRollout({
      id: `${fullName}#${pr.number}/api`,
      repo: githubRepoRef({ installationId: 1, owner, repo, defaultBranch: 'main' }),
      service: 'api',
      serviceConfig: serviceSchema.parse({
        image: 'ghcr.io/acme/api',
        canary: { file: CANARY },
        stable: { file: 'apps/api/stable.yaml' },
        traffic: { provider: 'istio', file: 'apps/api/virtualservice.yaml', stable: 'api-stable', canary: 'api-canary' },
        steps: [{ setWeight: 20 }],
      }),
      from: 'v2',
      to: 'v3',
      source: { number: pr.number, title: 'Bump api to v3', url: `https://github.com/${fullName}/pull/${pr.number}`, mergeSha: gh.branchSha(fullName, 'main')! },
      analyses: {},
      templatePaths: [],
    }, T0);
    state.phase = 'Progressing';
    const executor = new ForgeEffectExecutor({ forges: new ForgeRegistry([githubForge(octokit)]), env: {}, clock: () => T0 });
    return { executor, state };
  }

  const report = (id: number, started?: boolean): Effect => ({ id, type: 'publishStatus', final: false, ...(started ? { started } : {}) });

  function apply(state: RolloutState, result: EffectResult): RolloutState {
    if (result.type !== 'publishStatus') throw new Error('not a status update');
    return { ...state, statusRef: result.statusRef };
  }
  const ids = (state: RolloutState) => state.statusRef?.native ?? {};

  it('creates the comment and the check run without listing, then edits them by id, and sends nothing when the text is the same', async () => {
    const { gh } = fixture;
    const { executor, state } = setup();
    gh.resetRequests();

    const created = apply(state, await executor.execute(state, report(1)));
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /repos/${fullName}/issues/${state.source.number}/comments`,
      `POST /repos/${fullName}/check-runs`,
    ]);

    gh.resetRequests();
    const same = await executor.execute(created, report(2));
    expect(gh.requests).toEqual([]);
    expect(same).toMatchObject({ statusRef: { native: { commentId: ids(created).commentId, checkRunId: ids(created).checkRunId } } });

    gh.resetRequests();
    const moved = { ...created, weight: 20, commits: [{ kind: 'weight' as const, weight: 20, step: 0, sha: 'a'.repeat(40), at: T0 }] };
    await executor.execute(moved, report(3));
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `PATCH /repos/${fullName}/issues/comments/${ids(created).commentId}`,
      `PATCH /repos/${fullName}/check-runs/${ids(created).checkRunId}`,
    ]);
  });

  it('a run after an earlier one that lost its result finds the comment and the check run instead of making second ones', async () => {
    const { gh } = fixture;
    const { executor, state } = setup();
    await executor.execute(state, report(1)); // the result is lost: the state never learns the ids

    await executor.execute(state, report(1, true));
    const comments = gh.comments(fullName, state.source.number).filter((c) => String(c.body).includes('opsbox:status'));
    expect(comments).toHaveLength(1);
    expect(gh.checkRuns(fullName)).toHaveLength(1);
  });
});
