import { afterEach, describe, expect, it } from '@jest/globals';
import { AppHarness, FULL_NAME, bumpApi, fixtureFiles } from '../support/app-harness.js';

const CANARY = 'apps/api/canary.yaml';

/** The fixture with `sync.commitStatus: argocd/api` on the api service. */
async function gatedFiles(extra = ''): Promise<Record<string, string>> {
  const files = await fixtureFiles();
  files['.github/opsbox.yml'] = files['.github/opsbox.yml'].replace('      delay: 30s', `      delay: 30s\n      commitStatus: argocd/api${extra}`);
  return files;
}

describe('waiting for a commit status before measuring', () => {
  let h: AppHarness;

  afterEach(async () => {
    await h.close();
  });

  async function bump() {
    return h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), 'v2') }, { title: 'Bump api to v2' });
  }

  it('holds the weight step until Argo CD reports the commit synced, then measures', async () => {
    h = await AppHarness.start({ files: await gatedFiles() });
    h.prometheus.answer([0.01]);
    await bump();
    const [weight10] = h.appCommits();

    await h.advance(30_000);
    await h.advance(15_000, 4);
    let [state] = await h.rollouts();
    expect(state.stepIndex).toBe(0);
    expect(state.step).toMatchObject({ kind: 'setWeight', syncDetail: `status argocd/api has not been reported on ${weight10.sha.slice(0, 7)}` });
    expect(h.prometheus.queries).toHaveLength(0);

    h.github.setCommitStatus(FULL_NAME, weight10.sha, { state: 'success', context: 'argocd/api' });
    await h.advance(15_000);
    [state] = await h.rollouts();
    expect(state.step?.kind).toBe('analysis');
    expect(state.history.map((e) => e.message)).toContain(`weight 10% applied: status argocd/api is success on ${weight10.sha.slice(0, 7)}`);
  });

  it('rolls back when the status says the sync failed', async () => {
    h = await AppHarness.start({ files: await gatedFiles() });
    await bump();
    const [weight10] = h.appCommits();
    h.github.setCommitStatus(FULL_NAME, weight10.sha, { state: 'failure', context: 'argocd/api', description: 'ComparisonError' });
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Aborted', 15_000);
    const [state] = await h.rollouts();
    expect(state.failure?.reason).toBe(`the weight 10% commit was not applied: status argocd/api is failure on ${weight10.sha.slice(0, 7)}: ComparisonError`);
    expect(h.appCommits().map((c) => c.message.split('\n')[0])).toEqual([
      'canary(api): weight 10% → v2',
      'canary(api): roll back v2, weight 0% (traffic to stable v1)',
    ]);
  });

  it('fails the step when no report comes within sync.timeout', async () => {
    h = await AppHarness.start({ files: await gatedFiles('\n      timeout: 2m') });
    await bump();
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Aborted', 15_000);
    const [state] = await h.rollouts();
    expect(state.failure?.reason).toMatch(/^commit [0-9a-f]{7} was not applied within 2m \(status argocd\/api has not been reported on [0-9a-f]{7}\)$/);
  });
});
