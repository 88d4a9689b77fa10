import { afterEach, describe, expect, it } from '@jest/globals';
import { AppHarness, FULL_NAME, bumpApi, fixtureFiles } from '../support/app-harness.js';

const CANARY = 'apps/api/canary.yaml';

describe('GitHub Deployments of rollouts (github.deployments)', () => {
  let h: AppHarness;
  let waits: number[];

  async function start(enabled = true) {
    waits = [];
    const files = await fixtureFiles();
    if (enabled) files['.github/opsbox.yml'] += '\ngithub:\n  deployments: {environment: production}\n';
    h = await AppHarness.start({ files, app: { notifySleep: async (ms) => void waits.push(ms) } });
  }

  afterEach(async () => {
    await h.close();
  });

  const bump = (to: string) => h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), to) }, { title: `Bump api to ${to}` });
  const deploymentWrites = () => h.github.requests.filter((r) => r.write && r.path.includes('/deployments'));

  it('one deployment on the merge commit; in_progress at each weight, success on promotion; one write per commit', async () => {
    await start();
    h.prometheus.answer([0.01]);
    const pr = await bump('v2');
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Succeeded', 30_000);
    const [rollout] = await h.rollouts();

    const deployments = h.github.deployments(FULL_NAME);
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatchObject({ sha: pr.mergeSha, ref: pr.mergeSha, environment: 'production', task: 'deploy:canary', payload: { rollout: rollout.id, service: 'api', from: 'v1', to: 'v2' } });
    expect(deployments[0].statuses.map((s) => s.state)).toEqual([...rollout.commits.slice(0, -1).map(() => 'in_progress'), 'success']);
    const commentUrl = `http://${h.github.host}/${FULL_NAME}/pull/${pr.number}#issuecomment-${rollout.statusRef!.native.commentId}`;
    expect(deployments[0].statuses.at(-1)).toMatchObject({ logUrl: commentUrl, description: 'v2 promoted' });
    // the deployment itself, then one status per commit of the app
    expect(deploymentWrites()).toHaveLength(1 + rollout.commits.length);
  });

  it('failure on rollback, inactive when superseded', async () => {
    await start();
    h.prometheus.answer([0.01]);
    await bump('v2');
    h.prometheus.answer([0.2]);
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Aborted', 30_000);
    expect(h.github.deployments(FULL_NAME)[0].statuses.map((s) => s.state)).toEqual(['in_progress', 'failure']);

    h.prometheus.answer([0.01]);
    await bump('v3');
    await bump('v4');
    const [, second, third] = h.github.deployments(FULL_NAME);
    expect(second.payload).toMatchObject({ to: 'v3' });
    expect(second.statuses.map((s) => s.state).at(-1)).toBe('inactive');
    expect(third.payload).toMatchObject({ to: 'v4' });
  });

  it('a failed write is tried again and never holds up the rollout', async () => {
    await start();
    h.prometheus.answer([0.01]);
    h.github.failNext({ method: 'POST', path: /\/deployments$/, status: 502, message: 'Bad Gateway', times: 2 });
    await bump('v2');
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Succeeded', 30_000);
    expect(waits.slice(0, 2)).toEqual([1000, 2000]);
    expect(h.github.deployments(FULL_NAME)[0].statuses.at(-1)?.state).toBe('success');
  });

  it('is off unless configured: no deployments requests at all', async () => {
    await start(false);
    h.prometheus.answer([0.01]);
    await bump('v2');
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Succeeded', 30_000);
    expect(h.github.requests.filter((r) => r.path.includes('/deployments'))).toEqual([]);
  });
});
